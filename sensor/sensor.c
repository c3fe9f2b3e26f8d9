/* The sensor's lifecycle: read the configuration, build the shared pieces
 * (GeoIP, rules, outputs), open the capture, drop privileges, run the
 * workers (one on the main thread offline; N threads live, each reading its
 * own PACKET_FANOUT handle), act on signals (reload, stats, stop) from the
 * main loop, and at the end flush flows, write final stats and close
 * everything in reverse order.  The rules and their reload are in
 * sensor_rules.c, the event lock and outputs in sensor_events.c, stats in
 * sensor_stats.c, the live and offline loops in sensor_run.c. */
#include "sensor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "applayer/applayer.h"
#include "sensor_int.h"
#include "util/log.h"
#include "util/path.h"
#include "util/pidfile.h"
#include "util/privileges.h"

/* ---- configuration ---------------------------------------------------- */

static int sensor_setup_logging(struct sensor *s)
{
    static const char *const names[] = { "error", "warning", "notice", "info", "debug" };
    const char *name = config_get_str(s->config, "logging.level", "notice");
    int level = -1;
    for (int i = 0; i < (int)(sizeof names / sizeof names[0]); i++)
        if (strcmp(name, names[i]) == 0)
            level = i;
    if (level < 0) {
        unsigned line = 0;
        const char *origin = config_origin(s->config, "logging.level", &line);
        diag_error(&s->diag, origin, line, "logging.level: '%s' is not one of error, warning, "
                   "notice, info, debug", name);
        level = LOG_LEVEL_NOTICE;
    }
    level += s->opts->verbosity;
    level = level < LOG_LEVEL_ERROR ? LOG_LEVEL_ERROR : level > LOG_LEVEL_DEBUG ? LOG_LEVEL_DEBUG : level;
    log_set_level((enum log_level)level);
    s->set.syslog = config_get_bool(s->config, "logging.syslog", false, &s->diag);
    return 0;
}

static size_t online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > SENSOR_MAX_WORKERS ? SENSOR_MAX_WORKERS : (size_t)n;
}

static void sensor_read_settings(struct sensor *s)
{
    const struct config *c = s->config;
    struct sensor_settings *set = &s->set;
    const char *workers = config_get_str(c, "capture.workers", "auto");
    if (strcmp(workers, "auto") == 0)
        set->nworkers = online_cpus();
    else
        set->nworkers = (size_t)config_get_int(c, "capture.workers", 1, 1, SENSOR_MAX_WORKERS, &s->diag);
    set->stats_interval_usec = (uint64_t)config_get_duration_usec(c, "stats.interval", 30000000, &s->diag);
    set->run_as_user = s->opts->run_as_user ? s->opts->run_as_user
                                            : config_get_str(c, "run-as.user", "");
    set->run_as_group = s->opts->run_as_group ? s->opts->run_as_group
                                              : config_get_str(c, "run-as.group", "");
    set->pid_file = s->opts->pid_file ? s->opts->pid_file : config_get_str(c, "pid-file", "");
    /* Capture keys are read per interface later; reading them here lets -T
     * report a bad value before any interface is touched. */
    struct capture_live_config probe;
    capture_live_config_load(&probe, c, "-", &s->diag);
    /* The app-layer parsers' settings are read per worker, quietly: this
     * reading reports their problems once (and lets -T fail on them). */
    applayer_free(applayer_new(c, NULL, &s->diag));
}

static int sensor_load_config(struct sensor *s)
{
    s->config = config_new();
    if (!s->config)
        return -1;
    if (s->opts->config_file) {
        if (privileges_check_file(s->opts->config_file) < 0) {
            s->diag.errors++;
            return -1;
        }
        if (config_load_file(s->config, s->opts->config_file, &s->diag) < 0)
            return -1;
        const char *file = s->opts->config_file, *slash = strrchr(file, '/');
        if (!slash)
            snprintf(s->config_dir, sizeof s->config_dir, ".");
        else if (slash == file)
            snprintf(s->config_dir, sizeof s->config_dir, "/");
        else
            snprintf(s->config_dir, sizeof s->config_dir, "%.*s", (int)(slash - file), file);
    }
    for (size_t i = 0; i < s->opts->noverrides; i++)
        if (config_set_override(s->config, s->opts->overrides[i], &s->diag) < 0)
            return -1;
    sensor_setup_logging(s);
    s->sensor_id = config_get_str(s->config, "sensor.id", "xiezhi");
    s->segment = config_get_str(s->config, "sensor.segment", "");
    const char *dir = s->opts->log_dir ? s->opts->log_dir : config_get_str(s->config, "logging.dir", ".");
    if (snprintf(s->log_dir, sizeof s->log_dir, "%s", dir) >= (int)sizeof s->log_dir)
        return -1;
    sensor_read_settings(s);
    return 0;
}

/* The path a key names: absolute as it is; relative under the directory of
 * the configuration file that set it, so `cd / && xiezhi -c /etc/xiezhi/x.yaml`
 * finds what x.yaml names; from --set, relative to the working directory
 * like every command-line path.  A built-in default is relative to the
 * working directory when there (a source checkout), else to the installed
 * data directory.  Returns -1 if out is too small. */
int sensor_config_path(const struct sensor *s, const char *key, const char *def,
                       char *out, size_t len)
{
    const char *value = config_get_str(s->config, key, def);
    unsigned line;
    const char *origin = config_origin(s->config, key, &line);
    bool from_file = config_has(s->config, key) && strcmp(origin, "--set") != 0;
    const char *dir = NULL;          /* "" and absolute paths stay as they are */
    if (value[0] && from_file)
        dir = s->config_dir;
    else if (value[0] && value[0] != '/' && !config_has(s->config, key) && access(value, F_OK) != 0)
        dir = XIEZHI_DATADIR;
    return path_join(out, len, dir, value);
}

static void sensor_stage_config(struct sensor *s, struct worker_shared *shared)
{
    const struct config *c = s->config;
    struct diag *d = &s->diag;
    decoder_config_load(&shared->decoder, c, d);
    stream_config_load(&shared->stream, c, d);
    static const char *const behavior_names[] = { "behavior", EVENT_BEHAVIOR_LEGACY_NAME };
    shared->legacy_anomaly_names = config_get_choice(c, "anomaly.event-type", behavior_names, 2, 0, d) == 1;
    struct flow_table_config *f = &shared->flows;
    flow_table_config_defaults(f);
    f->max_flows = (size_t)config_get_int(c, "flow.max-flows", (int64_t)f->max_flows, 1, INT64_C(1) << 32, d);
    f->memcap = (uint64_t)config_get_size(c, "flow.memcap", (int64_t)f->memcap, 0, INT64_C(1) << 44, d);
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

static int sensor_open_geoip(struct sensor *s)
{
    char country[PATH_MAX], asn[PATH_MAX];
    if (sensor_config_path(s, "geoip.country-db", "", country, sizeof country) < 0 ||
        sensor_config_path(s, "geoip.asn-db", "", asn, sizeof asn) < 0) {
        diag_error(&s->diag, "geoip", 0, "database path too long");
        return -1;
    }
    if (!country[0] && !asn[0])
        return 0;
    s->geoip = geoip_open(country, asn, &s->diag);
    return s->geoip ? 0 : -1;
}

/* -T opens no output, but checks what can be checked without opening:
 * each outputs.<name>.enabled is a boolean and .types names event types. */
static void check_output_keys(void *ctx, const char *child, const char *full_key)
{
    struct sensor *s = ctx;
    (void)child;
    char key[256];
    snprintf(key, sizeof key, "%s.enabled", full_key);
    config_get_bool(s->config, key, false, &s->diag);
    snprintf(key, sizeof key, "%s.", full_key);
    exporter_types(s->config, key, 0, &s->diag);
}

static bool sensor_rules_after_drop(const struct sensor *s)
{
    return s->opts->nread_paths == 0 && !s->opts->test_only;
}

/* Returns an exit code: 0 to go on, 2 on a config or (with -T) rule error. */
static int sensor_prepare(struct sensor *s)
{
    if (sensor_load_config(s) < 0)
        return 2;
    /* A misspelt key would silently mean its default: an error under -T, a
     * warning at start (the sensor still runs on what it understood). */
    config_check_keys(s->config, config_known_keys, config_known_key_count,
                      s->opts->test_only, &s->diag);
    /* Every stage's settings are read here, once, so -T reports bad values. */
    sensor_stage_config(s, &s->stage);
    /* -T goes on to the rules after a bad key, to report every problem. */
    if (s->diag.errors && !s->opts->test_only)
        return 2;
    if (s->opts->test_only) {
        config_foreach_child(s->config, "outputs", check_output_keys, s);
        outputs_check(s->config, &s->diag);
    }
    if (sensor_open_geoip(s) < 0)
        return 2;
    /* A live sensor started as root parses rules (and loads the dataset
     * files they name) only after dropping privileges: sensor_start. */
    if (!sensor_rules_after_drop(s) && sensor_load_rules(s) < 0)
        return 2;
    return s->opts->test_only && s->diag.errors ? 2 : 0;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void sensor_close(struct sensor *s)
{
    for (size_t i = 0; i < s->nworkers; i++) {
        struct sensor_worker *sw = &s->workers[i];
        if (sw->ready)
            worker_free(&sw->w);
        if (sw->src && sw->src != s->offline)
            capture_close(sw->src);
        pthread_mutex_destroy(&sw->snap_lock);
    }
    free(s->workers);
    if (s->offline)
        capture_close(s->offline);
    if (s->stats_eve_ready)
        eve_writer_free(&s->stats_eve);
    if (s->outputs)
        outputs_close(s->outputs);
    if (s->sequence)
        event_sequence_close(s->sequence);
    if (s->sequence_lock_fd > 0)
        close(s->sequence_lock_fd - 1);
    if (s->retired)
        detect_engine_free(s->retired);
    if (s->detect)
        detect_engine_free(s->detect);
    if (s->geoip)
        geoip_close(s->geoip);
    for (size_t i = 0; i < s->nrule_paths; i++)
        free(s->rule_paths[i]);
    if (s->pid_file_written)
        pidfile_remove(s->set.pid_file, s->pid_fd);
    config_free(s->config);
    pthread_mutex_destroy(&s->event_lock);
}

static int sensor_test_only(struct sensor *s, int rc)
{
    /* the stages' own keys (decoder.*, flow.*, stream.*) are checked too */
    struct worker_shared shared = { .config = s->config };
    size_t errors = s->diag.errors;
    if (s->config)
        sensor_stage_config(s, &shared);
    if (s->diag.errors > errors)
        rc = 2;
    if (rc == 0)
        printf("configuration and rules OK (%zu rules)\n", detect_engine_stats(s->detect)->rules_loaded);
    else
        fprintf(stderr, "%zu error(s)\n", s->diag.errors);
    return rc ? 2 : 0;
}

/* Capture first (needs privileges), then the pid file, then the drop, then
 * the outputs, so log files belong to the user that will reopen them. */
static int sensor_start(struct sensor *s)
{
    int rc = s->live ? sensor_open_live(s) : sensor_init_workers(s, 1);
    if (rc)
        return rc;
    if (s->live && s->set.pid_file[0]) {
        s->pid_fd = pidfile_create(s->set.pid_file);
        if (s->pid_fd < 0)
            return 1;
        s->pid_file_written = true;
    }
    if (s->live && privileges_drop(s->set.run_as_user, s->set.run_as_group) < 0)
        return 1;
    if (sensor_rules_after_drop(s)) {
        if (sensor_load_rules(s) < 0)
            return 2;
        for (size_t i = 0; i < s->nworkers; i++)     /* threads start later */
            if (worker_set_detect(&s->workers[i].w, s->detect) < 0)
                return 1;
    }
    size_t errors = s->diag.errors;
    if (sensor_open_outputs(s) < 0)
        return s->diag.errors > errors ? 2 : 1;
    return 0;
}

int sensor_main(const struct sensor_options *opts)
{
    log_set_level((enum log_level)(LOG_LEVEL_NOTICE + opts->verbosity));
    struct sensor s;
    memset(&s, 0, sizeof s);
    s.opts = opts;
    pthread_mutex_init(&s.event_lock, NULL);
    atomic_init(&s.detect_gen, 0);
    atomic_init(&s.stop, false);
    s.start_wall_usec = wall_usec();
    int rc = sensor_prepare(&s);
    if (opts->test_only) {
        rc = sensor_test_only(&s, rc);
        sensor_close(&s);
        return rc;
    }
    if (!rc && s.set.syslog)
        log_enable_syslog("xiezhi");
    s.live = opts->nread_paths == 0;
    if (!rc) {
        sensor_install_signal_handlers();
        rc = sensor_start(&s);
    }
    if (!rc)
        rc = s.live ? sensor_run_live(&s) : sensor_run_offline(&s);
    sensor_close(&s);
    return rc;
}
