/* The sensor's lifecycle: read the configuration, build the shared pieces
 * (GeoIP, rules, outputs), open the capture, drop privileges, run the
 * workers (one on the main thread offline; N threads live, each reading its
 * own PACKET_FANOUT handle), act on signals (reload, stats, stop) from the
 * main loop, and at the end flush flows, write final stats and close
 * everything in reverse order. */
#include "sensor.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "applayer/applayer.h"
#include "capture/capture.h"
#include "config/config.h"
#include "detect/detect.h"
#include "enrich/geoip.h"
#include "event/eve.h"
#include "event/sequence.h"
#include "exporters/exporter.h"
#include "util/log.h"
#include "util/path.h"
#include "util/pidfile.h"
#include "util/privileges.h"
#include "worker.h"

#define SENSOR_MAX_RULE_FILES 256
#define SENSOR_MAX_WORKERS 64
/* Live workers copy their counters out this often (wall time). */
#define PUBLISH_INTERVAL_USEC 250000u
/* The main loop wakes this often to act on signals and timers. */
#define MAIN_TICK_NSEC 50000000L
#define FLUSH_INTERVAL_USEC 1000000u

/* Signal handlers may only set flags; the main loop acts on them. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t stats_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else if (sig == SIGUSR1)
        stats_requested = 1;
    else
        stop_requested = 1;
}

struct sensor;

/* Every thread that writes events has a port.  event_id allocation and
 * outputs_write happen under one lock, taken at next_seq and released at
 * deliver, so event_id order is output order (Redis consumers rely on it).
 * A formatted event that is not delivered (JSON overflow) leaves the lock
 * held; the owner releases it after the packet (port_release). */
struct event_port {
    struct sensor *sensor;
    bool holding;
};

struct sensor_worker {
    struct sensor *sensor;
    struct worker w;
    bool ready;
    struct capture_source *src;        /* live: this worker's own handle */
    pthread_t thread;
    bool started;
    atomic_bool exited;
    bool failed;                       /* capture error */
    struct event_port port;
    unsigned detect_gen;               /* generation this worker runs */
    atomic_uint applied_gen;           /* the same, for the main thread */
    uint64_t next_publish_usec;
    pthread_mutex_t snap_lock;         /* guards snap and cap */
    struct worker_snapshot snap;
    struct capture_stats cap;
};

/* Settings read once from the config (and checked by -T). */
struct sensor_settings {
    size_t nworkers;                   /* per interface, live */
    uint64_t stats_interval_usec;      /* 0: only at exit and on SIGUSR1 */
    const char *run_as_user, *run_as_group;
    const char *pid_file;
    bool syslog;
};

struct sensor {
    const struct sensor_options *opts;
    struct config *config;
    struct diag diag;
    struct sensor_settings set;
    struct worker_shared stage;        /* the stages' settings, read at start */
    const char *sensor_id;
    const char *segment;
    char log_dir[PATH_MAX];
    struct geoip *geoip;
    char *rule_paths[SENSOR_MAX_RULE_FILES];
    size_t nrule_paths;
    char classification_path[PATH_MAX];
    char config_dir[PATH_MAX];         /* relative paths in the config are under it */
    struct output_set *outputs;
    struct event_sequence *sequence;
    int sequence_lock_fd;           /* fd + 1 of the state file's flock (.lock); 0 = none */
    uint64_t first_seq;
    pthread_mutex_t event_lock;
    struct event_port main_port;
    struct eve_writer stats_eve;       /* the main thread's writer (stats events) */
    bool stats_eve_ready;
    bool live;
    bool pid_file_written;
    int pid_fd;                 /* the locked pid file while pid_file_written */

    /* Rules: workers pick up detect_current when detect_gen moves on. */
    struct detect_engine *detect;
    _Atomic(const struct detect_engine *) detect_current;
    atomic_uint detect_gen;
    struct detect_engine *retired;     /* freed once every worker moved on */

    struct sensor_worker *workers;
    size_t nworkers;
    const char *config_interfaces[OPTIONS_MAX_LIST];
    atomic_bool stop;
    struct capture_source *offline;
    uint64_t start_wall_usec;
    uint64_t next_stats_usec;
};

static uint64_t wall_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- events ---------------------------------------------------------- */

static uint64_t port_next_seq(void *ctx)
{
    struct event_port *p = ctx;
    if (!p->holding) {
        pthread_mutex_lock(&p->sensor->event_lock);
        p->holding = true;
    }
    return event_sequence_next(p->sensor->sequence);
}

static void port_deliver(void *ctx, const struct event_record *record)
{
    struct event_port *p = ctx;
    outputs_write(p->sensor->outputs, record);
    if (p->holding) {
        p->holding = false;
        pthread_mutex_unlock(&p->sensor->event_lock);
    }
}

static void port_release(struct event_port *p)
{
    if (p->holding) {
        p->holding = false;
        pthread_mutex_unlock(&p->sensor->event_lock);
    }
}

static struct eve_sink port_sink(struct event_port *p)
{
    return (struct eve_sink){ .ctx = p, .next_seq = port_next_seq, .deliver = port_deliver };
}

/* ---- configuration and rules ---------------------------------------- */

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
static int sensor_config_path(const struct sensor *s, const char *key, const char *def,
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

static int sensor_load_rules(struct sensor *s)
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

static void sensor_stage_config(struct sensor *s, struct worker_shared *shared);
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

/* ---- reload (SIGHUP) ------------------------------------------------- */

/* Frees the previous engine once no worker runs on it any more. */
static void sensor_reap_engine(struct sensor *s)
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
static void worker_sync_detect(struct sensor_worker *sw)
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
static void sensor_reload(struct sensor *s)
{
    if (s->retired) {
        reload_requested = 1;           /* the previous swap is still going on */
        return;
    }
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
}

/* ---- outputs and stats ----------------------------------------------- */

static int sensor_open_outputs(struct sensor *s)
{
    /* 0750 and files 0640: alerts name hosts, users and what they did. */
    if (mkdir(s->log_dir, 0750) < 0 && errno != EEXIST) {
        log_error("%s: cannot create log directory: %s", s->log_dir, strerror(errno));
        return -1;
    }
    /* event_id sequence state lives beside the events it numbers, so a
     * fresh log directory starts at 1 and a reused one keeps increasing. */
    const char *state = config_get_str(s->config, "sensor.state-file", "xiezhi.seq");
    char path[PATH_MAX + 64];
    if (path_join(path, sizeof path, s->log_dir, state) < 0) {
        diag_error(&s->diag, "sensor.state-file", 0, "path too long");
        return -1;
    }
    int lock_fd = event_sequence_lock(path, &s->diag);
    if (lock_fd < 0)
        return -1;
    s->sequence_lock_fd = lock_fd + 1;
    s->sequence = event_sequence_open(path, &s->diag);
    if (!s->sequence)
        return -1;
    s->first_seq = event_sequence_peek(s->sequence);
    struct outputs_env env = { .log_dir = s->log_dir, .sensor_id = s->sensor_id, .version = XIEZHI_VERSION,
                               .first_seq = s->first_seq, .segment = s->segment };
    s->outputs = outputs_open(s->config, &env, &s->diag);
    if (!s->outputs)
        return -1;
    /* Workers exist already (capture opens first); now they learn which
     * events anybody takes, so the rest are never formatted. */
    for (size_t i = 0; i < s->nworkers; i++)
        eve_writer_set_wanted(&s->workers[i].w.eve, outputs_type_mask(s->outputs));
    s->main_port.sensor = s;
    struct eve_sink sink = port_sink(&s->main_port);
    eve_writer_init(&s->stats_eve, s->sensor_id, s->segment, !s->live, NULL, s->geoip, &sink);
    s->stats_eve_ready = true;
    return 0;
}

struct stats_totals {
    struct worker_snapshot snap;
    struct capture_stats cap;
};

static void add_capture_stats(struct capture_stats *sum, const struct capture_stats *one)
{
    sum->packets += one->packets;
    sum->bytes += one->bytes;
    sum->kernel_drops += one->kernel_drops;
    sum->interface_drops += one->interface_drops;
    sum->files_read += one->files_read;
    sum->files_failed += one->files_failed;
    sum->unsupported_linktype += one->unsupported_linktype;
}

static void sensor_totals(struct sensor *s, struct stats_totals *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < s->nworkers; i++) {
        struct sensor_worker *sw = &s->workers[i];
        pthread_mutex_lock(&sw->snap_lock);
        worker_snapshot_add(&t->snap, &sw->snap);
        add_capture_stats(&t->cap, &sw->cap);
        pthread_mutex_unlock(&sw->snap_lock);
    }
}

/* The exporters' side of a stats event: queue and spool depths. */
static void write_output_stats(struct json_writer *j, const struct output_set *outputs)
{
    struct outputs_stats o;
    outputs_get_stats(outputs, &o);
    json_object_begin(j, "outputs");
    json_uint(j, "written", o.written);
    json_uint(j, "write_errors", o.write_errors);
    json_uint(j, "queued", o.queued);
    json_uint(j, "queue_depth", o.queue_depth);
    json_uint(j, "delivered", o.delivered);
    json_uint(j, "duplicates_skipped", o.duplicates_skipped);
    json_uint(j, "spooled", o.spooled);
    json_uint(j, "spool_depth", o.spool_depth);
    json_uint(j, "spool_bytes", o.spool_bytes);
    json_uint(j, "dropped", o.dropped);
    json_uint(j, "reconnects", o.reconnects);
    json_uint(j, "redis_errors", o.redis_errors);
    json_bool(j, "redis_connected", o.redis_connected);
    json_object_end(j);
}

/* Packets per worker show how evenly the fanout spreads the traffic. */
static void write_worker_packets(struct json_writer *j, struct sensor *s)
{
    json_array_begin(j, "worker_packets");
    for (size_t i = 0; i < s->nworkers; i++) {
        pthread_mutex_lock(&s->workers[i].snap_lock);
        json_uint(j, NULL, s->workers[i].snap.decode.packets);
        pthread_mutex_unlock(&s->workers[i].snap_lock);
    }
    json_array_end(j);
}

/* One stats event over all workers.  Offline its time is packet time (so
 * the output is deterministic); live it is the wall clock. */
static void sensor_write_stats(struct sensor *s)
{
    struct stats_totals t;
    sensor_totals(s, &t);
    uint64_t now = s->live ? wall_usec() : t.snap.now_usec;
    uint64_t first = s->live ? s->start_wall_usec : t.snap.first_usec;
    uint64_t uptime = now > first ? (now - first) / 1000000 : 0;
    struct json_writer *j = eve_stats_begin(&s->stats_eve, now, uptime);
    worker_stats_json(j, &t.snap, &t.cap);
    eve_stats_own(&s->stats_eve);
    json_uint(j, "workers", s->nworkers);
    write_worker_packets(j, s);
    worker_stats_own_json(j, &t.snap, &t.cap);
    write_output_stats(j, s->outputs);
    eve_stats_end(&s->stats_eve);
    port_release(&s->main_port);
}

static void sensor_heartbeat(struct sensor *s)
{
    struct stats_totals t;
    sensor_totals(s, &t);
    struct sensor_health h = {
        .packets = t.cap.packets,
        .drops = t.cap.kernel_drops + t.cap.interface_drops,
        .flows = t.snap.flows.created,
        .alerts = t.snap.counters.alerts + t.snap.counters.anomalies,
        .events = event_sequence_peek(s->sequence) - s->first_seq,
        .start_time = (int64_t)(s->start_wall_usec / 1000000),
        .last_event_time = (int64_t)(t.snap.counters.last_event_usec / 1000000),
    };
    pthread_mutex_lock(&s->event_lock);
    outputs_heartbeat(s->outputs, &h);
    pthread_mutex_unlock(&s->event_lock);
}

/* ---- workers ---------------------------------------------------------- */

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

static int sensor_init_workers(struct sensor *s, size_t n)
{
    s->workers = calloc(n, sizeof *s->workers);
    if (!s->workers)
        return 1;
    s->nworkers = n;
    struct worker_shared shared = s->stage;     /* read in sensor_prepare */
    shared.config = s->config;
    shared.geoip = s->geoip;
    shared.detect = s->detect;
    shared.sensor_id = s->sensor_id;
    shared.segment = s->segment;
    shared.offline = !s->live;
    for (size_t i = 0; i < n; i++) {
        struct sensor_worker *sw = &s->workers[i];
        sw->sensor = s;
        sw->port.sensor = s;
        pthread_mutex_init(&sw->snap_lock, NULL);
        shared.sink = port_sink(&sw->port);
        if (worker_init(&sw->w, (int)i, &shared) < 0)
            return 1;
        sw->ready = true;
    }
    return 0;
}

/* Copies the worker's counters out for the main thread (stats, heartbeat). */
static void worker_publish(struct sensor_worker *sw)
{
    pthread_mutex_lock(&sw->snap_lock);
    worker_snapshot(&sw->w, &sw->snap);
    if (sw->src)
        capture_get_stats(sw->src, &sw->cap);
    pthread_mutex_unlock(&sw->snap_lock);
}

static void *worker_thread(void *arg)
{
    struct sensor_worker *sw = arg;
    struct sensor *s = sw->sensor;
    struct capture_packet frame;
    unsigned since_clock = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        worker_sync_detect(sw);
        enum capture_status st = capture_next(sw->src, &frame);
        if (st == CAPTURE_OK) {
            worker_process(&sw->w, &frame);
            port_release(&sw->port);
        } else if (st == CAPTURE_TIMEOUT) {
            worker_tick(&sw->w, wall_usec());
            port_release(&sw->port);
            since_clock = UINT_MAX - 1;
        } else {
            sw->failed = st == CAPTURE_ERROR;
            break;
        }
        if (++since_clock < 256)
            continue;
        since_clock = 0;
        uint64_t now = wall_usec();
        if (now >= sw->next_publish_usec) {
            sw->next_publish_usec = now + PUBLISH_INTERVAL_USEC;
            worker_publish(sw);
        }
    }
    worker_finish(&sw->w);
    port_release(&sw->port);
    worker_publish(sw);
    atomic_store(&sw->exited, true);
    return NULL;
}

/* ---- live capture ------------------------------------------------------ */

static const char *const *sensor_interfaces(struct sensor *s, size_t *n)
{
    const char **from_config = s->config_interfaces;
    if (s->opts->ninterfaces) {
        *n = s->opts->ninterfaces;
        return s->opts->interfaces;
    }
    *n = config_list_count(s->config, "capture.interfaces");
    if (*n > OPTIONS_MAX_LIST)
        *n = OPTIONS_MAX_LIST;
    for (size_t i = 0; i < *n; i++)
        from_config[i] = config_list_item(s->config, "capture.interfaces", i);
    return from_config;
}

/* One handle per worker; several workers on an interface share its flows
 * through a PACKET_FANOUT group of their own. */
static int sensor_open_live(struct sensor *s)
{
    size_t nif;
    const char *const *ifaces = sensor_interfaces(s, &nif);
    if (!nif) {
        log_error("no interface to capture on: give -i IFACE or capture.interfaces");
        return 2;
    }
    size_t per = s->set.nworkers;
    if (nif * per > SENSOR_MAX_WORKERS)
        per = SENSOR_MAX_WORKERS / nif ? SENSOR_MAX_WORKERS / nif : 1;
    int rc = sensor_init_workers(s, nif * per);
    if (rc)
        return rc;
    for (size_t i = 0; i < nif; i++) {
        struct capture_live_config lc;
        capture_live_config_load(&lc, s->config, ifaces[i], &s->diag);
        if (s->opts->bpf)
            lc.bpf = s->opts->bpf;
        lc.fanout_group = per > 1 ? (int)(((unsigned)getpid() + i) & 0xffff) : 0;
        if (per > 1 && lc.fanout_group == 0)
            lc.fanout_group = 0x8000 + (int)i;
        for (size_t k = 0; k < per; k++)
            if (capture_open_live(&s->workers[i * per + k].src, &lc, NULL, 0) < 0)
                return 1;
        log_notice("%s: capturing with %zu worker(s)%s", ifaces[i], per,
                   per == 1 ? "" : lc.fanout == CAPTURE_FANOUT_FLOW ? " (PACKET_FANOUT by flow)"
                                                                    : " (PACKET_FANOUT by host pair)");
    }
    return 0;
}

static int sensor_start_threads(struct sensor *s)
{
    /* Workers never see signals: the main thread handles them all. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = 0;
    for (size_t i = 0; i < s->nworkers && !rc; i++) {
        struct sensor_worker *sw = &s->workers[i];
        if (pthread_create(&sw->thread, NULL, worker_thread, sw) != 0) {
            log_error("cannot start worker thread %zu", i);
            rc = -1;
            break;
        }
        sw->started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void sensor_stop_threads(struct sensor *s)
{
    atomic_store(&s->stop, true);
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].src)
            capture_interrupt(s->workers[i].src);
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].started) {
            pthread_join(s->workers[i].thread, NULL);
            s->workers[i].started = false;
        }
}

static bool any_worker_exited(struct sensor *s)
{
    for (size_t i = 0; i < s->nworkers; i++)
        if (atomic_load(&s->workers[i].exited))
            return true;
    return false;
}

/* Timers of the main loop, on the wall clock. */
struct main_timers {
    uint64_t next_stats, next_heartbeat, next_flush;
    uint64_t heartbeat_interval;
};

static void sensor_on_timers(struct sensor *s, struct main_timers *t, uint64_t now)
{
    if (stats_requested || (s->set.stats_interval_usec && now >= t->next_stats)) {
        stats_requested = 0;
        t->next_stats = now + s->set.stats_interval_usec;
        sensor_write_stats(s);
    }
    if (t->heartbeat_interval && now >= t->next_heartbeat) {
        t->next_heartbeat = now + t->heartbeat_interval;
        sensor_heartbeat(s);
    }
    if (now >= t->next_flush) {
        t->next_flush = now + FLUSH_INTERVAL_USEC;
        pthread_mutex_lock(&s->event_lock);
        outputs_flush(s->outputs);
        pthread_mutex_unlock(&s->event_lock);
    }
}

static int sensor_run_live(struct sensor *s)
{
    if (sensor_start_threads(s) < 0) {
        sensor_stop_threads(s);
        return 1;
    }
    int64_t hb = outputs_heartbeat_interval_usec(s->outputs);
    uint64_t now = wall_usec();
    struct main_timers t = {
        .next_stats = now + s->set.stats_interval_usec,
        .next_heartbeat = now,
        .next_flush = now + FLUSH_INTERVAL_USEC,
        .heartbeat_interval = hb > 0 ? (uint64_t)hb : 0,
    };
    while (!stop_requested && !any_worker_exited(s)) {
        struct timespec tick = { 0, MAIN_TICK_NSEC };
        nanosleep(&tick, NULL);
        if (reload_requested) {
            reload_requested = 0;
            sensor_reload(s);
        }
        sensor_reap_engine(s);
        sensor_on_timers(s, &t, wall_usec());
    }
    if (stop_requested)
        log_notice("stopping: flushing flows and outputs");
    sensor_stop_threads(s);
    sensor_reap_engine(s);
    sensor_write_stats(s);
    int rc = 0;
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].failed)
            rc = 1;
    return rc;
}

/* ---- offline ----------------------------------------------------------- */

/* Offline the one worker runs on the main thread; stats follow packet time. */
static void offline_periodic(struct sensor *s, struct main_timers *t)
{
    struct sensor_worker *sw = &s->workers[0];
    if (reload_requested) {
        reload_requested = 0;
        sensor_reload(s);
        worker_sync_detect(sw);
        sensor_reap_engine(s);
    }
    uint64_t pkt_now = sw->w.now_usec;
    if (s->set.stats_interval_usec && pkt_now) {
        if (!s->next_stats_usec)
            s->next_stats_usec = pkt_now + s->set.stats_interval_usec;
        if (pkt_now >= s->next_stats_usec) {
            s->next_stats_usec = pkt_now + s->set.stats_interval_usec;
            worker_publish(sw);
            sensor_write_stats(s);
        }
    }
    uint64_t now = wall_usec();
    if (t->heartbeat_interval && now >= t->next_heartbeat) {
        t->next_heartbeat = now + t->heartbeat_interval;
        worker_publish(sw);
        sensor_heartbeat(s);
    }
}

static int sensor_run_offline(struct sensor *s)
{
    if (capture_open_offline(&s->offline, s->opts->read_paths, s->opts->nread_paths) < 0)
        return 1;
    struct sensor_worker *sw = &s->workers[0];
    sw->src = s->offline;
    int64_t hb = outputs_heartbeat_interval_usec(s->outputs);
    struct main_timers t = { .heartbeat_interval = hb > 0 ? (uint64_t)hb : 0 };
    struct capture_packet frame;
    enum capture_status st;
    unsigned polls = 0;
    while (!stop_requested && (st = capture_next(s->offline, &frame)) != CAPTURE_END) {
        if (st == CAPTURE_ERROR)
            break;
        if (st == CAPTURE_OK)
            worker_process(&sw->w, &frame);
        port_release(&sw->port);
        if (reload_requested || sw->w.now_usec >= s->next_stats_usec || (++polls & 1023) == 0)
            offline_periodic(s, &t);
    }
    worker_finish(&sw->w);
    port_release(&sw->port);
    worker_publish(sw);
    sensor_write_stats(s);
    return capture_had_errors(s->offline) ? 1 : 0;
}

/* ---- lifecycle ---------------------------------------------------------- */

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

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
        install_signal_handlers();
        rc = sensor_start(&s);
    }
    if (!rc)
        rc = s.live ? sensor_run_live(&s) : sensor_run_offline(&s);
    sensor_close(&s);
    return rc;
}
