/* The sensor's lifecycle: read the configuration, build the shared pieces
 * (GeoIP, rules, outputs), start the workers, pump packets from the capture
 * sources through them, and at the end flush flows, write final stats and
 * close everything in reverse order. */
#include "sensor.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/capture.h"
#include "config/config.h"
#include "detect/detect.h"
#include "enrich/geoip.h"
#include "event/eve.h"
#include "event/sequence.h"
#include "exporters/exporter.h"
#include "util/log.h"
#include "worker.h"

#define SENSOR_MAX_RULE_FILES 256

/* Signal handlers may only set flags; the run loop acts on them. */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct sensor {
    const struct sensor_options *opts;
    struct config *config;
    struct diag diag;
    const char *sensor_id;
    const char *segment;
    char log_dir[PATH_MAX];
    struct geoip *geoip;
    struct detect_engine *detect;
    char *rule_paths[SENSOR_MAX_RULE_FILES];
    size_t nrule_paths;
    char classification_path[PATH_MAX];
    struct output_set *outputs;
    struct event_sequence *sequence;
    struct worker worker;
    bool worker_ready;
    struct capture_source *capture;
};

static uint64_t sensor_next_seq(void *ctx)
{
    struct sensor *s = ctx;
    return event_sequence_next(s->sequence);
}

static void sensor_deliver(void *ctx, const struct event_record *record)
{
    struct sensor *s = ctx;
    outputs_write(s->outputs, record);
}

static int sensor_load_config(struct sensor *s)
{
    s->config = config_new();
    if (!s->config)
        return -1;
    if (s->opts->config_file && config_load_file(s->config, s->opts->config_file, &s->diag) < 0)
        return -1;
    for (size_t i = 0; i < s->opts->noverrides; i++)
        if (config_set_override(s->config, s->opts->overrides[i], &s->diag) < 0)
            return -1;
    s->sensor_id = config_get_str(s->config, "sensor.id", "xiezhi");
    s->segment = config_get_str(s->config, "sensor.segment", "");
    const char *dir = s->opts->log_dir ? s->opts->log_dir : config_get_str(s->config, "logging.dir", ".");
    if (snprintf(s->log_dir, sizeof s->log_dir, "%s", dir) >= (int)sizeof s->log_dir)
        return -1;
    return 0;
}

static int add_rule_path(struct sensor *s, const char *dir, const char *file)
{
    if (s->nrule_paths >= SENSOR_MAX_RULE_FILES) {
        diag_error(&s->diag, "rules", 0, "more than %d rule files", SENSOR_MAX_RULE_FILES);
        return -1;
    }
    char path[PATH_MAX];
    if (file[0] == '/' || !dir || !dir[0])
        snprintf(path, sizeof path, "%s", file);
    else
        snprintf(path, sizeof path, "%s/%s", dir, file);
    s->rule_paths[s->nrule_paths] = strdup(path);
    return s->rule_paths[s->nrule_paths++] ? 0 : -1;
}

/* -S replaces the configured rule files; -s adds to them. */
static int sensor_collect_rule_files(struct sensor *s)
{
    const char *dir = config_get_str(s->config, "rules.dir", "rules");
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
    if (classification[0] == '/')
        snprintf(s->classification_path, sizeof s->classification_path, "%s", classification);
    else
        snprintf(s->classification_path, sizeof s->classification_path, "%s/%s", dir, classification);
    return 0;
}

static int sensor_load_rules(struct sensor *s, const struct classifier *classifier)
{
    if (sensor_collect_rule_files(s) < 0)
        return -1;
    struct detect_engine_config dc = {
        .config = s->config,
        .rule_files = (const char *const *)s->rule_paths,
        .nrule_files = s->nrule_paths,
        .classification_file = s->classification_path,
        .geoip = s->geoip,
        .classifier = classifier,
    };
    s->detect = detect_engine_load(&dc, &s->diag);
    if (!s->detect)
        return -1;
    const struct detect_engine_stats *st = detect_engine_stats(s->detect);
    log_info("rules: %zu loaded, %zu failed", st->rules_loaded, st->rules_failed);
    return 0;
}

static int sensor_open_geoip(struct sensor *s)
{
    const char *country = config_get_str(s->config, "geoip.country-db", "");
    const char *asn = config_get_str(s->config, "geoip.asn-db", "");
    if (!country[0] && !asn[0])
        return 0;
    s->geoip = geoip_open(country, asn, &s->diag);
    return s->geoip ? 0 : -1;
}

static int sensor_open_outputs(struct sensor *s)
{
    if (mkdir(s->log_dir, 0755) < 0 && errno != EEXIST) {
        log_error("%s: cannot create log directory: %s", s->log_dir, strerror(errno));
        return -1;
    }
    /* event_id sequence state lives beside the events it numbers, so a
     * fresh log directory starts at 1 and a reused one keeps increasing. */
    const char *state = config_get_str(s->config, "sensor.state-file", "xiezhi.seq");
    char path[PATH_MAX + 64];
    if (state[0] == '/')
        snprintf(path, sizeof path, "%s", state);
    else
        snprintf(path, sizeof path, "%s/%s", s->log_dir, state);
    s->sequence = event_sequence_open(path, &s->diag);
    if (!s->sequence)
        return -1;
    struct outputs_env env = { .log_dir = s->log_dir, .sensor_id = s->sensor_id, .version = XIEZHI_VERSION };
    s->outputs = outputs_open(s->config, &env, &s->diag);
    return s->outputs ? 0 : -1;
}

static void sensor_close(struct sensor *s)
{
    if (s->worker_ready)
        worker_free(&s->worker);
    if (s->capture)
        capture_close(s->capture);
    if (s->outputs)
        outputs_close(s->outputs);
    if (s->sequence)
        event_sequence_close(s->sequence);
    if (s->detect)
        detect_engine_free(s->detect);
    if (s->geoip)
        geoip_close(s->geoip);
    for (size_t i = 0; i < s->nrule_paths; i++)
        free(s->rule_paths[i]);
    config_free(s->config);
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int sensor_run_offline(struct sensor *s)
{
    if (capture_open_offline(&s->capture, s->opts->read_paths, s->opts->nread_paths) < 0)
        return 1;
    struct capture_packet frame;
    enum capture_status st;
    while (!stop_requested && (st = capture_next(s->capture, &frame)) != CAPTURE_END) {
        if (st == CAPTURE_ERROR)
            break;
        if (st == CAPTURE_OK)
            worker_process(&s->worker, &frame);
    }
    worker_finish(&s->worker);
    struct capture_stats cs;
    capture_get_stats(s->capture, &cs);
    worker_write_stats(&s->worker, &cs, NULL, NULL);
    return capture_had_errors(s->capture) ? 1 : 0;
}

/* Stage settings from the config; every key has a default. */
static void sensor_stage_config(struct sensor *s, struct worker_shared *shared)
{
    const struct config *c = s->config;
    struct diag *d = &s->diag;
    decoder_config_load(&shared->decoder, c, d);
    struct flow_table_config *f = &shared->flows;
    flow_table_config_defaults(f);
    f->max_flows = (size_t)config_get_int(c, "flow.max-flows", (int64_t)f->max_flows, 1, INT64_C(1) << 32, d);
    const struct {
        const char *key;
        uint64_t *field;
    } timeouts[] = {
        { "flow.timeouts.tcp-new", &f->tcp_new_timeout_usec },
        { "flow.timeouts.tcp-established", &f->tcp_established_timeout_usec },
        { "flow.timeouts.tcp-closed", &f->tcp_closed_timeout_usec },
        { "flow.timeouts.udp", &f->udp_timeout_usec },
        { "flow.timeouts.icmp", &f->icmp_timeout_usec },
        { "flow.timeouts.other", &f->other_timeout_usec },
        { "flow.timeouts.active", &f->active_timeout_usec },
    };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++)
        *timeouts[i].field = (uint64_t)config_get_duration_usec(c, timeouts[i].key,
                                                                (int64_t)*timeouts[i].field, d);
}

/* Builds everything a worker needs; returns an exit code on failure, 0 on success. */
static int sensor_prepare(struct sensor *s)
{
    if (sensor_load_config(s) < 0 || s->diag.errors)
        return 2;
    if (sensor_open_geoip(s) < 0)
        return 2;
    /* Rule names (protocols, risks) need an nDPI module: the worker's is not
     * built yet, so a short-lived one serves the parser. */
    struct classifier *names = classifier_new();
    if (!names)
        return 1;
    size_t config_errors = s->diag.errors;
    int rc = sensor_load_rules(s, names);
    classifier_free(names);
    if (rc < 0)
        return 2;
    /* As in Suricata, a bad rule is skipped and the sensor runs with the
     * rest; only -T turns rule problems into a failing exit code. */
    if (s->diag.errors > config_errors && !s->opts->test_only)
        log_warning("%zu rule problem(s) reported above; those rules are not loaded",
                    s->diag.errors - config_errors);
    return s->opts->test_only && s->diag.errors ? 2 : 0;
}

int sensor_main(const struct sensor_options *opts)
{
    log_set_level((enum log_level)(LOG_LEVEL_NOTICE + opts->verbosity));
    struct sensor s;
    memset(&s, 0, sizeof s);
    s.opts = opts;
    int rc = sensor_prepare(&s);
    if (opts->test_only) {
        if (rc == 0)
            printf("configuration and rules OK (%zu rules)\n",
                   detect_engine_stats(s.detect)->rules_loaded);
        else
            fprintf(stderr, "%zu error(s)\n", s.diag.errors);
        sensor_close(&s);
        return rc ? 2 : 0;
    }
    if (rc) {
        sensor_close(&s);
        return rc;
    }
    if (!opts->nread_paths) {
        log_error("nothing to read: give -r FILE (live capture with -i comes with the live sensor)");
        sensor_close(&s);
        return 2;
    }
    size_t errors_before_outputs = s.diag.errors;
    if (sensor_open_outputs(&s) < 0) {
        sensor_close(&s);
        return s.diag.errors > errors_before_outputs ? 2 : 1;
    }
    struct worker_shared shared = {
        .config = s.config,
        .geoip = s.geoip,
        .detect = s.detect,
        .sink = { .ctx = &s, .next_seq = sensor_next_seq, .deliver = sensor_deliver },
        .sensor_id = s.sensor_id,
        .segment = s.segment,
        .offline = true,
    };
    size_t errors_before = s.diag.errors;
    sensor_stage_config(&s, &shared);
    if (s.diag.errors > errors_before) {
        sensor_close(&s);
        return 2;
    }
    if (worker_init(&s.worker, 0, &shared) < 0) {
        sensor_close(&s);
        return 1;
    }
    s.worker_ready = true;
    install_signal_handlers();
    rc = sensor_run_offline(&s);
    sensor_close(&s);
    return rc;
}
