/* The sensor's rules: which files (configured, -S, -s), the engine built
 * from them, and SIGHUP's reload, which swaps in a new engine that each
 * worker picks up between packets, freeing the old one once all moved on. */
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "sensor_int.h"
#include "util/log.h"
#include "util/path.h"
#include "util/privileges.h"

static int add_rule_path(struct sensor *s, const char *dir, const char *file)
{
    if (s->nrule_paths >= SENSOR_MAX_RULE_FILES) {
        diag_error(&s->diag, "rules", 0, "more than %d rule files", SENSOR_MAX_RULE_FILES);
        return -1;
    }
    char path[PATH_MAX];
    if (path_join(path, sizeof path, dir, file) < 0) {
        diag_error(&s->diag, file, 0, "path too long");
        return -1;
    }
    char *copy = strdup(path);
    if (!copy)
        return -1;
    /* Owned by the sensor and freed in sensor_close, which the analyzer
     * does not follow through sensor_main. */
    s->rule_paths[s->nrule_paths++] = copy;
    return 0; // NOLINT(clang-analyzer-unix.Malloc)
}

/* -S replaces the configured rule files; -s adds to them. */
static int sensor_collect_rule_files(struct sensor *s)
{
    char dir[PATH_MAX];
    if (sensor_config_path(s, "rules.dir", "rules", dir, sizeof dir) < 0) {
        diag_error(&s->diag, "rules.dir", 0, "path too long");
        return -1;
    }
    if (s->opts->nrule_files) {
        for (size_t i = 0; i < s->opts->nrule_files; i++)
            if (add_rule_path(s, NULL, s->opts->rule_files[i]) < 0)
                return -1;
    } else if (config_has(s->config, "rules.files")) {
        for (size_t i = 0; i < config_list_count(s->config, "rules.files"); i++)
            if (add_rule_path(s, dir, config_list_item(s->config, "rules.files", i)) < 0)
                return -1;
    } else {
        static const char *const defaults[] = { "extranet.rules", "anomaly.rules", "ioc.rules" };
        for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
            if (add_rule_path(s, dir, defaults[i]) < 0)
                return -1;
    }
    for (size_t i = 0; i < s->opts->nextra_rule_files; i++)
        if (add_rule_path(s, NULL, s->opts->extra_rule_files[i]) < 0)
            return -1;
    const char *classification = config_get_str(s->config, "rules.classification", "classification.config");
    /* "": none, only the built-in standard classtypes */
    if (path_join(s->classification_path, sizeof s->classification_path,
                  classification[0] ? dir : NULL, classification) < 0) {
        diag_error(&s->diag, "rules.classification", 0, "path too long");
        return -1;
    }
    return 0;
}

/* Builds an engine from the rule files; NULL on a fatal problem.  Rule
 * errors are counted in diag (the caller decides whether they are fatal). */
static struct detect_engine *sensor_build_engine(struct sensor *s, struct diag *diag)
{
    for (size_t i = 0; i < s->nrule_paths; i++)
        if (privileges_check_file(s->rule_paths[i]) < 0)
            diag->errors++;
    if (privileges_check_file(s->classification_path) < 0)
        diag->errors++;
    /* Rule names (protocols, risks) need an nDPI module: a short-lived one
     * serves the parser, whatever the workers' modules are doing. */
    struct classifier *names = classifier_new();
    if (!names)
        return NULL;
    struct detect_engine_config dc = {
        .config = s->config,
        .rule_files = (const char *const *)s->rule_paths,
        .nrule_files = s->nrule_paths,
        .classification_file = s->classification_path,
        .geoip = s->geoip,
        .classifier = names,
    };
    struct detect_engine *de = detect_engine_load(&dc, diag);
    classifier_free(names);
    return de;
}

int sensor_load_rules(struct sensor *s)
{
    if (sensor_collect_rule_files(s) < 0)
        return -1;
    size_t errors = s->diag.errors;
    s->detect = sensor_build_engine(s, &s->diag);
    if (!s->detect)
        return -1;
    const struct detect_engine_stats *st = detect_engine_stats(s->detect);
    log_info("rules: %zu loaded, %zu failed", st->rules_loaded, st->rules_failed);
    if (st->pcre_without_jit)
        log_notice("pcre: %zu of %zu patterns run without JIT (executable memory refused, e.g. "
                   "systemd MemoryDenyWriteExecute=yes): about 1.7x the CPU on pcre-heavy rules; "
                   "see docs/operations.md", st->pcre_without_jit, st->pcre_total);
    /* As in Suricata, a bad rule is skipped and the sensor runs with the
     * rest; only -T turns rule problems into a failing exit code. */
    if (s->diag.errors > errors && !s->opts->test_only)
        log_warning("%zu rule problem(s) reported above; those rules are not loaded",
                    s->diag.errors - errors);
    atomic_store(&s->detect_current, s->detect);
    return 0;
}

/* ---- reload (SIGHUP) ------------------------------------------------- */

/* Frees the previous engine once no worker runs on it any more. */
void sensor_reap_engine(struct sensor *s)
{
    if (!s->retired)
        return;
    unsigned gen = atomic_load(&s->detect_gen);
    for (size_t i = 0; i < s->nworkers; i++)
        if (atomic_load(&s->workers[i].applied_gen) != gen && !atomic_load(&s->workers[i].exited))
            return;
    detect_engine_free(s->retired);
    s->retired = NULL;
    log_notice("rules: previous rule set released");
}

/* Called by each worker between packets. */
void sensor_worker_sync_detect(struct sensor_worker *sw)
{
    unsigned gen = atomic_load_explicit(&sw->sensor->detect_gen, memory_order_acquire);
    if (gen == sw->detect_gen)
        return;
    worker_set_detect(&sw->w, atomic_load(&sw->sensor->detect_current));
    sw->detect_gen = gen;
    atomic_store_explicit(&sw->applied_gen, gen, memory_order_release);
}

/* A new rule set from the same files, all or nothing: any error keeps the
 * running set.  Flows go on; their per-flow detection state (flowbits,
 * rules already fired) is plain numbers that the new engine reads safely. */
bool sensor_reload(struct sensor *s)
{
    if (s->retired)
        return false;                   /* the previous swap is still going on */
    log_notice("SIGHUP: reloading %zu rule file(s)", s->nrule_paths);
    struct diag d = { 0 };
    struct detect_engine *de = sensor_build_engine(s, &d);
    if (!de || d.errors) {
        log_error("reload refused: %zu error(s) in the new rule set (see above); the running rules stay",
                  d.errors ? d.errors : (size_t)1);
        if (de)
            detect_engine_free(de);
    } else {
        const struct detect_engine_stats *st = detect_engine_stats(de);
        detect_engine_carry_state(de, s->detect);    /* thresholds of unchanged rules */
        s->retired = s->detect;
        s->detect = de;
        atomic_store(&s->detect_current, de);
        atomic_fetch_add_explicit(&s->detect_gen, 1, memory_order_release);
        log_notice("reload: %zu rules loaded; workers switch at their next packet", st->rules_loaded);
    }
    pthread_mutex_lock(&s->event_lock);
    outputs_reopen(s->outputs);
    pthread_mutex_unlock(&s->event_lock);
    return true;
}
