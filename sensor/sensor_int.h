/* What the sensor's files share: the sensor and its workers as structs, and
 * the calls between sensor.c (lifecycle), sensor_rules.c (rule files and
 * reload), sensor_events.c (the event lock and the outputs), sensor_stats.c
 * (stats events and heartbeats) and sensor_run.c (the live and offline
 * loops).  Private to these files. */
#ifndef XIEZHI_SENSOR_INT_H
#define XIEZHI_SENSOR_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "capture/capture.h"
#include "config/config.h"
#include "detect/detect.h"
#include "enrich/geoip.h"
#include "event/eve.h"
#include "event/sequence.h"
#include "exporters/exporter.h"
#include "options.h"
#include "util/diag.h"
#include "worker.h"

#define SENSOR_MAX_RULE_FILES 256
#define SENSOR_MAX_WORKERS 64
/* Live workers copy their counters out this often (wall time). */
#define PUBLISH_INTERVAL_USEC 250000u
/* The main loop wakes this often to act on signals and timers. */
#define MAIN_TICK_NSEC 50000000L
#define FLUSH_INTERVAL_USEC 1000000u

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

static inline uint64_t wall_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* sensor.c */
int sensor_config_path(const struct sensor *s, const char *key, const char *def,
                       char *out, size_t len);

/* sensor_rules.c */
int sensor_load_rules(struct sensor *s);
void sensor_reap_engine(struct sensor *s);
void sensor_worker_sync_detect(struct sensor_worker *sw);
/* false: the previous swap is still going on; ask again later. */
bool sensor_reload(struct sensor *s);

/* sensor_events.c */
struct eve_sink sensor_port_sink(struct event_port *p);
void sensor_port_release(struct event_port *p);
int sensor_open_outputs(struct sensor *s);

/* sensor_stats.c */
void sensor_worker_publish(struct sensor_worker *sw);
void sensor_write_stats(struct sensor *s);
void sensor_heartbeat(struct sensor *s);

/* sensor_run.c */
void sensor_install_signal_handlers(void);
int sensor_init_workers(struct sensor *s, size_t n);
int sensor_open_live(struct sensor *s);
int sensor_run_live(struct sensor *s);
int sensor_run_offline(struct sensor *s);

#endif
