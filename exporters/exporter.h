/* Exporters: where EVE events go (eve.json file, stdout, Redis).  Each
 * exporter is one file with an ops table, registered in exporters/outputs.c;
 * the sensor only sees the output set below.
 *
 * What the sensor calls, and when:
 *   outputs_open()      once at start, after the config is loaded (NULL + diag
 *                       errors on a bad config: exit 2);
 *   outputs_write()     for every event, in event_id order (callers with
 *                       several threads serialise it with the sequence
 *                       allocation if Redis must receive events in order);
 *                       never blocks on the network;
 *   outputs_heartbeat() every outputs_heartbeat_interval_usec() (wall time);
 *   outputs_reopen()    after SIGHUP (from the main loop, not the handler);
 *   outputs_flush()     at the end of each pcap file / periodically;
 *   outputs_get_stats() for stats events and the heartbeat;
 *   outputs_close()     at exit (SIGTERM): the Redis queue goes to Redis or
 *                       to the spool, files are flushed, all is freed. */
#ifndef XIEZHI_EXPORTER_H
#define XIEZHI_EXPORTER_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "event/event.h"
#include "util/diag.h"

struct outputs_env {
    const char *log_dir;       /* -l; relative file names and the spool live here */
    const char *sensor_id;     /* sensor.id: "%{sensor}" in Redis keys, heartbeat key */
    const char *segment;       /* sensor.segment, for the heartbeat; NULL = "" */
    const char *version;       /* for the heartbeat; NULL = XIEZHI_VERSION */
    /* outputs.redis.heartbeat-interval, read once by outputs_open and handed
     * to the exporters: 0 means no heartbeat, for the sensor and Redis alike. */
    int64_t heartbeat_usec;
    uint64_t first_seq;        /* the first event seq of this run; 0 = unknown (a
                                  delivered marker at or above it is another sequence's) */
};

/* Counters the sensor passes to the heartbeat (the exporters add their own). */
struct sensor_health {
    uint64_t packets, drops, flows, alerts, events;
    int64_t start_time;        /* unix seconds, wall clock */
    int64_t last_event_time;   /* unix seconds of the last event, 0 = none */
};

/* Sums over every active exporter. */
struct outputs_stats {
    uint64_t written;          /* lines written by the file and stdout exporters */
    uint64_t write_errors;     /* lines a file/stdout write failed on */
    uint64_t queued;           /* events taken into the Redis queue */
    uint64_t queue_depth;      /* events waiting in the Redis queue now */
    uint64_t delivered;        /* events Redis acknowledged */
    uint64_t spooled;          /* events written to the on-disk spool */
    uint64_t spool_depth;      /* events in the spool now */
    uint64_t spool_bytes;      /* bytes of the spool on disk now */
    uint64_t dropped;          /* events lost: spool full or spool I/O error */
    uint64_t reconnects;       /* successful (re)connections to Redis after a failure */
    uint64_t redis_errors;     /* failed connects, error replies, timeouts */
    uint64_t duplicates_skipped; /* replayed events Redis already had */
    bool redis_connected;
};

/* One exporter implementation.  open() reads the keys under prefix
 * ("outputs.<name>."), returns its state or NULL (errors in diag). */
struct exporter_ops {
    const char *name;                     /* config section: outputs.<name> */
    bool default_enabled;
    unsigned default_types;               /* EVENT_TYPE_MASK()s */
    void *(*open)(const struct config *cfg, const char *prefix,
                  const struct outputs_env *env, struct diag *diag);
    void (*write)(void *state, const struct event_record *ev);
    void (*reopen)(void *state);          /* may be NULL */
    void (*flush)(void *state);           /* may be NULL */
    void (*stats)(void *state, struct outputs_stats *sum);   /* adds; may be NULL */
    void (*heartbeat)(void *state, const struct sensor_health *h); /* may be NULL */
    void (*close)(void *state);
    /* -T: checks the settings under prefix without connecting or creating
     * anything (errors in diag); may be NULL. */
    void (*check)(const struct config *cfg, const char *prefix, struct diag *diag);
};

extern const struct exporter_ops exporter_file;
extern const struct exporter_ops exporter_stdout;
extern const struct exporter_ops exporter_redis;

struct output_set;

struct output_set *outputs_open(const struct config *cfg, const struct outputs_env *env,
                                struct diag *diag);
void outputs_write(struct output_set *set, const struct event_record *ev);
void outputs_reopen(struct output_set *set);
void outputs_flush(struct output_set *set);
void outputs_get_stats(const struct output_set *set, struct outputs_stats *out);
void outputs_heartbeat(struct output_set *set, const struct sensor_health *h);
/* outputs.redis.heartbeat-interval (default 5 s); 0 = no Redis heartbeat. */
int64_t outputs_heartbeat_interval_usec(const struct output_set *set);
/* Which event types any active exporter wants (so the sensor can skip
 * formatting events nobody takes). */
unsigned outputs_type_mask(const struct output_set *set);
void outputs_close(struct output_set *set);
/* -T: each enabled exporter's check (settings that contradict each other). */
void outputs_check(const struct config *cfg, struct diag *diag);

/* Helpers shared by the exporters. */
/* Reads prefix "types" as a list of event type names into a mask. */
unsigned exporter_types(const struct config *cfg, const char *prefix, unsigned def,
                        struct diag *diag);
/* "dir/name" unless name is absolute or dir is NULL/empty; malloc'd. */
char *exporter_path(const char *dir, const char *name);

#endif
