/* The Redis exporter (hiredis).  The packet path copies each event into a
 * bounded in-memory queue and returns; one exporter thread sends pipelined
 * batches (XADD / LPUSH / RPUSH / PUBLISH) to the server, the sentinels'
 * primary or the key's cluster node (redis_topology.c), then the situation
 * aggregates (redis_aggregates.c).
 *
 * Order and loss: the events of a sensor form one FIFO made of
 *   [batch in flight] [queue] [spool]
 * Producers put an event into the queue only while the spool is empty;
 * otherwise (queue full, Redis down, replay under way) they append it to the
 * spool, behind what is there.  A failed batch and the queue behind it go to
 * the FRONT of the spool.  With Redis up, the thread sends the queue first,
 * then replays the spool, and only when the spool is empty do producers use
 * the queue again.  So Redis receives events in event_id order, across
 * outages, restarts of the sensor, and a full queue.
 *
 * Exactly once: in stream and list modes each batch is one Lua script
 * (EVAL) that adds the events and then sets xiezhi:sensor:<id>:delivered to
 * the seq of the last event it added; a command that fails stops the
 * script, so the marker never claims an event Redis refused.  The exporter
 * keeps the same number in the spool's cursor.  After every (re)connect the
 * spool's leading records at or below the marker are dropped as already
 * delivered: a batch cut by a disconnect, or re-read after a SIGKILL, is
 * never sent twice.  A marker above anything this sensor numbered belongs
 * to another event sequence (a reset log directory, a duplicated
 * sensor.id) and is ignored, with a warning.
 *
 * Failures: a failed connect, a lost connection and an error reply all
 * start one outage: events wait in the spool, attempts back off up to
 * reconnect-max-delay, and the log gets one line when it starts, at most one
 * a minute while it lasts, and one with its counts when delivery resumes.
 * Errors that only an operator can clear (NOPERM, WRONGTYPE, bad password)
 * are told apart and retried at the longest delay.
 *
 * Channel mode (PUBLISH) cannot deliver to subscribers that are absent and
 * gives no such guarantee: a message published during an outage of the
 * subscriber is lost to it, a batch cut by a disconnect may be re-sent. */
#include "exporters/exporter.h"

#include <errno.h>
#include <hiredis.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "exporters/redis_aggregates.h"
#include "exporters/redis_topology.h"
#include "exporters/spool.h"
#include "util/log.h"

enum redis_mode { MODE_STREAM, MODE_LPUSH, MODE_RPUSH, MODE_PUBLISH };

static const struct {
    const char *name;
    enum redis_mode mode;
} redis_modes[] = {
    { "stream", MODE_STREAM }, { "list", MODE_LPUSH }, { "lpush", MODE_LPUSH },
    { "rpush", MODE_RPUSH }, { "channel", MODE_PUBLISH }, { "publish", MODE_PUBLISH },
};

struct qent {
    uint64_t seq;
    uint32_t type;
    uint32_t len;
    char *data;
};

/* One outage: from the first failure to the first success after it. */
struct outage {
    int64_t started_us, logged_us;
    uint64_t connect_failures, rejected, lost;   /* failed attempts, by kind */
    char last[200];                              /* the latest error */
    bool active, permanent;
};

struct redis_exporter {
    /* configuration */
    char *host, *unix_socket, *username, *password;
    char *key, *marker_key, *heartbeat_key, *sensor_id, *version, *segment;
    uint64_t last_spool_depth;     /* at the previous heartbeat: the spool's trend */
    uint64_t maxlen;
    size_t batch_size, queue_size;
    int64_t batch_delay_us, backoff_max_us, heartbeat_us, close_timeout_us;
    struct timeval connect_tv, command_tv;
    char *cmd_prefix;              /* RESP of the command up to the payload */
    size_t cmd_prefix_len;
    char *script;                  /* the exactly-once batch script (Lua) */
    struct redis_topology topo;    /* standalone or sentinel; host/port follow the primary */
    int64_t wait_ms;               /* WAIT timeout with topo.wait_replicas */
    unsigned slot;                 /* cluster: the hash slot of key (and of the marker) */
    struct redis_agg *agg;         /* situation aggregates; NULL = off */
    redisContext *agg_ctx;         /* cluster: the node of the aggregates' slot */
    bool agg_warned;
    unsigned redirects;            /* cluster: MOVED in a row, without a success between */
    uint64_t first_seq;            /* this run's first event seq; 0 = unknown */

    /* shared with the packet path, under lock */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct qent *ring;
    size_t head, count;
    int64_t stop_deadline_us;      /* close: keep delivering until then */
    int64_t opened_at;             /* wall clock, unix seconds */
    struct spool *spool;
    struct sensor_health health;
    uint64_t queued, delivered, spooled, reconnects, errors, duplicates;
    uint64_t dropped;              /* too large for the spool; the spool counts its own */
    uint64_t seen_max;             /* highest seq handed to this exporter */

    /* exporter thread only */
    pthread_t thread;
    redisContext *ctx;
    int64_t backoff_us, next_attempt_us, last_heartbeat_us;
    struct outage outage;
    struct qent *batch;
    struct spool_rec *recs;
    char *buf;
    size_t buf_cap;

    /* small fields last (packing) */
    int port, db;
    enum redis_mode mode;
    bool exactly_once;             /* MULTI/EXEC + delivered marker per batch */
    bool spooling;                 /* under lock: spool non-empty, producers append to it */
    bool stop;                     /* under lock */
    bool health_set;               /* under lock */
    bool connected;                /* under lock */
    bool thread_started;
    bool ever_connected;
    bool down;                     /* a connect or a batch failed: events wait on disk */
    bool need_sync;                /* connected: read the marker, skip what Redis has */
    bool marker_ours;              /* this process has set the marker */
    bool foreign_warned, marker_warned;   /* each logged once */
    bool redirected;               /* cluster: host/port come from a MOVED; use them as is */
};

static int64_t now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static struct timeval usec_tv(int64_t us)
{
    return (struct timeval){ .tv_sec = us / 1000000, .tv_usec = us % 1000000 };
}

/* ---- configuration ---- */

static const char *cfg_str(const struct config *cfg, const char *prefix, const char *name,
                           const char *def)
{
    char key[200];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    return config_get_str(cfg, key, def);
}

static int64_t cfg_int(const struct config *cfg, const char *prefix, const char *name,
                       int64_t def, int64_t min, int64_t max, struct diag *diag)
{
    char key[200];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    return config_get_int(cfg, key, def, min, max, diag);
}

static int64_t cfg_usec(const struct config *cfg, const char *prefix, const char *name,
                        int64_t def, struct diag *diag)
{
    char key[200];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    int64_t v = config_get_duration_usec(cfg, key, def, diag);
    return v > 0 ? v : def;
}

/* Replaces every "%{sensor}" in template with id; a bare "{sensor}" too
 * (the older spelling), except in a cluster, where braces are hash tags. */
static char *expand_sensor(const char *template, const char *id, bool bare)
{
    size_t n = 0;
    for (const char *p = template; (p = strstr(p, "{sensor}")) != NULL; p += 8)
        n++;
    size_t size = strlen(template) + n * strlen(id) + 1;
    char *out = malloc(size), *w = out;
    if (!out)
        return NULL;
    for (const char *p = template; *p;) {
        if (strncmp(p, "%{sensor}", 9) == 0 || (bare && strncmp(p, "{sensor}", 8) == 0)) {
            w += sprintf(w, "%s", id);
            p += *p == '%' ? 9 : 8;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return out;
}

/* The delivered marker's key.  In a cluster it carries the event key's hash
 * tag (or the whole key as one), so both live in one slot and one script. */
static char *marker_key_for(const char *id, const char *key, bool cluster)
{
    const char *tag = key;
    size_t taglen = strlen(key);
    if (cluster && redis_key_tag(key, &tag, &taglen) < 0)
        return NULL;
    size_t size = strlen(id) + taglen + 48;
    char *out = malloc(size);
    if (!out)
        return NULL;
    if (cluster)
        snprintf(out, size, "xiezhi:sensor:%s:delivered:{%.*s}", id, (int)taglen, tag);
    else
        snprintf(out, size, "xiezhi:sensor:%s:delivered", id);
    return out;
}

static int buf_reserve(char **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    char *grown = realloc(*buf, c);
    if (!grown)
        return -1;
    *buf = grown;
    *cap = c;
    return 0;
}

static int append_bulk(char **buf, size_t *len, size_t *cap, const char *s, size_t n)
{
    if (buf_reserve(buf, cap, *len + n + 32) != 0)
        return -1;
    *len += (size_t)sprintf(*buf + *len, "$%zu\r\n", n);
    memcpy(*buf + *len, s, n);
    *len += n;
    memcpy(*buf + *len, "\r\n", 2);
    *len += 2;
    return 0;
}

/* Pre-formats "*N\r\n$4\r\nXADD\r\n...$3\r\neve\r\n" so a batch is one copy per event. */
static int build_prefix(struct redis_exporter *re)
{
    const char *argv[8];
    int argc = 0;
    char maxlen[24];
    snprintf(maxlen, sizeof maxlen, "%" PRIu64, re->maxlen);
    static const char *const verbs[] = { [MODE_STREAM] = "XADD", [MODE_LPUSH] = "LPUSH",
                                         [MODE_RPUSH] = "RPUSH", [MODE_PUBLISH] = "PUBLISH" };
    argv[argc++] = verbs[re->mode];
    argv[argc++] = re->key;
    if (re->mode == MODE_STREAM) {
        if (re->maxlen) {
            argv[argc++] = "MAXLEN";
            argv[argc++] = "~";
            argv[argc++] = maxlen;
        }
        argv[argc++] = "*";
        argv[argc++] = "eve";
    }
    size_t len = 0, cap = 0;
    char *buf = NULL;
    char count[16];
    int n = snprintf(count, sizeof count, "*%d\r\n", argc + 1);
    if (buf_reserve(&buf, &cap, 64) != 0)
        return -1;
    memcpy(buf, count, (size_t)n);
    len = (size_t)n;
    for (int i = 0; i < argc; i++)
        if (append_bulk(&buf, &len, &cap, argv[i], strlen(argv[i])) != 0) {
            free(buf);
            return -1;
        }
    re->cmd_prefix = buf;
    re->cmd_prefix_len = len;
    return 0;
}

/* The batch script: ARGV holds (seq, event) pairs; each event is added with
 * the mode's command, and the marker is set to the seq of the last event
 * added.  A failing command ends the script at once (pcall, so what was
 * added before it is reported as {added, error}); the marker is then set to
 * the last event Redis actually holds, never further. */
static int build_script(struct redis_exporter *re)
{
    char call[160];
    if (re->mode == MODE_STREAM && re->maxlen)
        snprintf(call, sizeof call, "redis.pcall('XADD', KEYS[1], 'MAXLEN', '~', '%" PRIu64
                 "', '*', 'eve', ARGV[i + 1])", re->maxlen);
    else if (re->mode == MODE_STREAM)
        snprintf(call, sizeof call, "redis.pcall('XADD', KEYS[1], '*', 'eve', ARGV[i + 1])");
    else
        snprintf(call, sizeof call, "redis.pcall('%s', KEYS[1], ARGV[i + 1])",
                 re->mode == MODE_LPUSH ? "LPUSH" : "RPUSH");
    static const char *const fmt =
        "local n = 0\n"
        "for i = 1, #ARGV, 2 do\n"
        "  local r = %s\n"
        "  if type(r) == 'table' and r.err then\n"
        "    if n > 0 then redis.pcall('SET', KEYS[2], ARGV[i - 2]) end\n"
        "    return {n, r.err}\n"
        "  end\n"
        "  n = n + 1\n"
        "end\n"
        "local r = redis.pcall('SET', KEYS[2], ARGV[#ARGV - 1])\n"
        "if type(r) == 'table' and r.err then return {n, r.err} end\n"
        "return {n}\n";
    size_t size = strlen(fmt) + strlen(call) + 1;
    re->script = malloc(size);
    if (!re->script)
        return -1;
    snprintf(re->script, size, fmt, call);
    return 0;
}

static void redis_free(struct redis_exporter *re);
static void *redis_thread(void *arg);
static void wait_until(struct redis_exporter *re, int64_t deadline);

static void *redis_open(const struct config *cfg, const char *prefix,
                        const struct outputs_env *env, struct diag *diag)
{
    struct redis_exporter *re = calloc(1, sizeof *re);
    if (!re)
        return NULL;
    pthread_mutex_init(&re->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&re->wake, &ca);
    pthread_condattr_destroy(&ca);
    size_t errors = diag->errors;

    const char *sensor_id = env->sensor_id && env->sensor_id[0] ? env->sensor_id : "sensor";
    re->sensor_id = strdup(sensor_id);
    re->version = strdup(env->version ? env->version : XIEZHI_VERSION);
    re->segment = strdup(env->segment ? env->segment : "");
    re->host = strdup(cfg_str(cfg, prefix, "server", "127.0.0.1"));
    re->port = (int)cfg_int(cfg, prefix, "port", 6379, 1, 65535, diag);
    const char *sock = cfg_str(cfg, prefix, "unix-socket", "");
    re->unix_socket = sock[0] ? strdup(sock) : NULL;
    const char *user = cfg_str(cfg, prefix, "username", "");
    re->username = user[0] ? strdup(user) : NULL;
    re->db = (int)cfg_int(cfg, prefix, "db", 0, 0, 1 << 20, diag);
    const char *mode = cfg_str(cfg, prefix, "mode", "stream");
    re->mode = (enum redis_mode)-1;
    for (size_t i = 0; i < sizeof redis_modes / sizeof redis_modes[0]; i++)
        if (strcmp(mode, redis_modes[i].name) == 0)
            re->mode = redis_modes[i].mode;
    if ((int)re->mode < 0) {
        char key[200];
        unsigned line = 0;
        snprintf(key, sizeof key, "%smode", prefix);
        const char *origin = config_origin(cfg, key, &line);
        diag_error(diag, origin, line, "%s: unknown mode '%s' (stream, list, rpush, channel)",
                   key, mode);
        re->mode = MODE_STREAM;
    }
    char eo_key[200];
    snprintf(eo_key, sizeof eo_key, "%sexactly-once", prefix);
    re->exactly_once = config_get_bool(cfg, eo_key, true, diag);
    redis_topology_read(&re->topo, cfg, prefix, diag);
    bool cluster = re->topo.kind == REDIS_CLUSTER;
    const char *key_template = cfg_str(cfg, prefix, "key", cluster ? REDIS_CLUSTER_DEFAULT_KEY
                                                                   : REDIS_DEFAULT_KEY);
    re->key = expand_sensor(key_template, sensor_id, !cluster);
    if (re->key)
        re->slot = redis_key_slot(re->key, strlen(re->key));
    re->maxlen = (uint64_t)cfg_int(cfg, prefix, "maxlen", 1000000, 0, INT64_MAX, diag);
    re->batch_size = (size_t)cfg_int(cfg, prefix, "batch-size", 512, 1, 1024, diag);
    re->batch_delay_us = cfg_usec(cfg, prefix, "batch-delay", 10000, diag);
    re->queue_size = (size_t)cfg_int(cfg, prefix, "queue-size", 65536, 16, 1 << 24, diag);
    re->connect_tv = usec_tv(cfg_usec(cfg, prefix, "connect-timeout", 2000000, diag));
    re->command_tv = usec_tv(cfg_usec(cfg, prefix, "command-timeout", 2000000, diag));
    re->backoff_max_us = cfg_usec(cfg, prefix, "reconnect-max-delay", 5000000, diag);
    re->heartbeat_us = env->heartbeat_usec;      /* 0: none (outputs_open read it) */
    re->close_timeout_us = cfg_usec(cfg, prefix, "close-timeout", 5000000, diag);
    size_t idlen = strlen(sensor_id) + 32;
    re->marker_key = re->key ? marker_key_for(sensor_id, re->key, cluster) : NULL;
    re->heartbeat_key = malloc(idlen);
    if (re->heartbeat_key)
        snprintf(re->heartbeat_key, idlen, "xiezhi:sensor:%s", sensor_id);
    redis_read_secret(cfg_str(cfg, prefix, "password-file", ""), "XIEZHI_REDIS_PASSWORD", "Redis",
                      &re->password, diag);
    int64_t command_us = (int64_t)re->command_tv.tv_sec * 1000000 + re->command_tv.tv_usec;
    re->wait_ms = command_us / 2000 > 100 ? command_us / 2000 : 100;

    char *spool_dir = exporter_path(env->log_dir, cfg_str(cfg, prefix, "spool.dir", "spool"));
    char size_key[200];           /* a size: powers of 1024 (util/units.h) */
    snprintf(size_key, sizeof size_key, "%sspool.max-size", prefix);
    uint64_t spool_max = (uint64_t)config_get_size(cfg, size_key, INT64_C(1) << 30, 4096,
                                                   INT64_MAX, diag);
    if (diag->errors == errors && spool_dir)
        re->spool = spool_open(spool_dir, spool_max, 0, diag);
    free(spool_dir);

    re->ring = calloc(re->queue_size, sizeof *re->ring);
    re->batch = calloc(re->queue_size + 1024, sizeof *re->batch);
    re->recs = calloc(re->queue_size + 1024, sizeof *re->recs);
    if (diag->errors > errors || !re->spool || !re->ring || !re->batch || !re->recs ||
        !re->key || !re->host || !re->marker_key || !re->heartbeat_key || !re->sensor_id ||
        !re->version || !re->segment || build_prefix(re) != 0 || build_script(re) != 0) {
        if (diag->errors == errors)
            diag_error(diag, "outputs.redis", 0, "cannot set up the Redis exporter");
        redis_free(re);
        return NULL;
    }
    re->spooling = spool_count(re->spool) > 0;
    re->first_seq = env->first_seq;
    uint64_t local = spool_delivered(re->spool);
    if (re->first_seq && local >= re->first_seq) {
        log_warning("%s: the spool says event %" PRIu64 " was delivered, but this sensor's events "
                    "start at %" PRIu64 " (a reset sequence state): not used", "outputs.redis", local,
                    re->first_seq);
        spool_reset_delivered(re->spool);
    }
    re->opened_at = (int64_t)time(NULL);
    char agg_key[200];
    snprintf(agg_key, sizeof agg_key, "%saggregates.enabled", prefix);
    if (config_get_bool(cfg, agg_key, false, diag)) {
        int64_t ttl = cfg_usec(cfg, prefix, "aggregates.ttl", INT64_C(86400) * 1000000, diag);
        re->agg = redis_agg_new(re->segment, ttl / 1000000);
    }
    re->backoff_us = 100000;
    if (pthread_create(&re->thread, NULL, redis_thread, re) != 0) {
        diag_error(diag, "outputs.redis", 0, "cannot start the exporter thread");
        redis_free(re);
        return NULL;
    }
    re->thread_started = true;
    return re;
}

/* ---- the packet path ---- */

static void redis_write(void *state, const struct event_record *ev)
{
    struct redis_exporter *re = state;
    if (ev->len > SPOOL_MAX_RECORD) {
        pthread_mutex_lock(&re->lock);
        re->dropped++;
        pthread_mutex_unlock(&re->lock);
        return;
    }
    char *copy = malloc(ev->len ? ev->len : 1);
    pthread_mutex_lock(&re->lock);
    if (ev->seq > re->seen_max)
        re->seen_max = ev->seq;
    if (copy && !re->spooling && re->count < re->queue_size) {
        memcpy(copy, ev->json, ev->len);
        re->ring[(re->head + re->count) % re->queue_size] =
            (struct qent){ ev->seq, (uint32_t)ev->type, (uint32_t)ev->len, copy };
        re->count++;
        re->queued++;
        if (re->count == 1 || re->count == re->batch_size)
            pthread_cond_signal(&re->wake);
        pthread_mutex_unlock(&re->lock);
        return;
    }
    /* queue full, or the spool holds older events: go behind them (a refusal
     * is counted by the spool itself) */
    re->spooling = true;
    struct spool_rec rec = { ev->seq, (uint32_t)ev->type, ev->json, (uint32_t)ev->len };
    if (spool_append(re->spool, &rec) == 0)
        re->spooled++;
    pthread_mutex_unlock(&re->lock);
    free(copy);
}

/* ---- the exporter thread: outages ---- */

/* Error replies by their first word: what only an operator can clear. */
static const struct {
    const char *code;
    bool permanent;
    const char *hint;
} redis_error_kinds[] = {
    { "NOPERM", true, "the ACL user lacks a command or key permission (see docs/redis.md)" },
    { "WRONGTYPE", true, "a key the sensor writes holds another type of value" },
    { "NOAUTH", true, "Redis wants a password (password-file or XIEZHI_REDIS_PASSWORD)" },
    { "WRONGPASS", true, "wrong user name or password" },
    { "MISCONF", false, "Redis cannot save to disk and refuses writes" },
    { "OOM", false, "Redis reached maxmemory" },
    { "READONLY", false, "the server is a replica (after a failover?)" },
    { "NOREPLICAS", false, "fewer replicas than min-replicas-to-write" },
    { "LOADING", false, "Redis is loading its data" },
    { "BUSY", false, "a script is running" },
    { "MASTERDOWN", false, "the replica lost its primary" },
};

static const char *endpoint(const struct redis_exporter *re, char *buf, size_t size)
{
    if (re->unix_socket)
        snprintf(buf, size, "%s", re->unix_socket);
    else
        snprintf(buf, size, "%s:%d", re->host, re->port);
    return buf;
}

static int error_kind(const char *detail)
{
    if (!detail)
        return -1;
    size_t n = strcspn(detail, " ");
    for (size_t i = 0; i < sizeof redis_error_kinds / sizeof redis_error_kinds[0]; i++)
        if (strlen(redis_error_kinds[i].code) == n && strncmp(detail, redis_error_kinds[i].code, n) == 0)
            return (int)i;
    return -1;
}

enum failure { FAIL_CONNECT, FAIL_REJECTED, FAIL_LOST };

/* Counts one failed attempt; logs the first of an outage, a change to an
 * error that needs an operator, and otherwise at most one line a minute. */
static void outage_note(struct redis_exporter *re, enum failure kind, const char *what,
                        const char *detail)
{
    pthread_mutex_lock(&re->lock);
    re->errors++;
    pthread_mutex_unlock(&re->lock);
    struct outage *o = &re->outage;
    int k = error_kind(detail);
    bool permanent = k >= 0 && redis_error_kinds[k].permanent;
    const char *hint = k >= 0 ? redis_error_kinds[k].hint : NULL;
    if (kind == FAIL_CONNECT)
        o->connect_failures++;
    else if (kind == FAIL_REJECTED)
        o->rejected++;
    else
        o->lost++;
    snprintf(o->last, sizeof o->last, "%s%s%.150s", what, detail ? ": " : "", detail ? detail : "");
    char ep[300];
    int64_t now = now_usec();
    bool begins = !o->active, turns_permanent = permanent && !o->permanent;
    o->permanent = permanent;
    if (begins) {
        o->active = true;
        o->started_us = now;
    } else if (!turns_permanent && now - o->logged_us < 60000000) {
        return;
    }
    o->logged_us = now;
    uint64_t attempts = o->connect_failures + o->rejected + o->lost;
    if (permanent)
        log_error("redis %s: %s; this does not clear by itself (%s); events go to the spool, "
                  "retried every %.1f s", endpoint(re, ep, sizeof ep), o->last, hint,
                  (double)re->backoff_max_us / 1e6);
    else if (begins)
        log_warning("redis %s: %s%s%s; events go to the spool, retrying with backoff (up to %.1f s)",
                    endpoint(re, ep, sizeof ep), o->last, hint ? " -- " : "", hint ? hint : "",
                    (double)re->backoff_max_us / 1e6);
    else
        log_warning("redis %s: still failing after %.0f s: %" PRIu64 " attempts (%" PRIu64
                    " rejected, %" PRIu64 " connects failed, %" PRIu64 " connections lost); last: %s",
                    endpoint(re, ep, sizeof ep), (double)(now - o->started_us) / 1e6, attempts,
                    o->rejected, o->connect_failures, o->lost, o->last);
}

/* Delivery works again: one line with what the outage cost. */
static void outage_end(struct redis_exporter *re)
{
    re->backoff_us = 100000;
    re->redirects = 0;
    struct outage *o = &re->outage;
    if (!o->active)
        return;
    char ep[300];
    log_notice("redis %s: delivering again after %.1f s: %" PRIu64 " failed attempts (%" PRIu64
               " rejected, %" PRIu64 " connects failed, %" PRIu64 " connections lost); %" PRIu64
               " events in the spool", endpoint(re, ep, sizeof ep),
               (double)(now_usec() - o->started_us) / 1e6,
               o->connect_failures + o->rejected + o->lost, o->rejected, o->connect_failures, o->lost,
               spool_count(re->spool));
    memset(o, 0, sizeof *o);
}

/* After any failure: events wait on disk, and the next attempt comes after
 * the backoff (the longest delay at once for an error only an operator can
 * clear), whether the connection is still open or not. */
static void retry_later(struct redis_exporter *re)
{
    re->down = true;
    if (re->redirected && re->redirects < 16) {   /* a cluster redirect: go there now */
        re->redirects++;
        re->next_attempt_us = 0;
        return;
    }
    int64_t delay = re->outage.permanent ? re->backoff_max_us : re->backoff_us;
    re->next_attempt_us = now_usec() + delay;
    re->backoff_us = re->backoff_us * 2 > re->backoff_max_us ? re->backoff_max_us : re->backoff_us * 2;
}

/* ---- the exporter thread: connection ---- */

static void disconnect(struct redis_exporter *re)
{
    if (re->ctx)
        redisFree(re->ctx);
    re->ctx = NULL;
    re->down = true;
    pthread_mutex_lock(&re->lock);
    re->connected = false;
    pthread_mutex_unlock(&re->lock);
}

/* Runs one command; returns the reply (caller frees) or NULL after a
 * connection error.  argv may hold secrets: nothing of it is logged. */
static redisReply *command_argv(struct redis_exporter *re, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(re->ctx, argc, argv, NULL);
    if (!r)
        outage_note(re, FAIL_LOST, "connection lost", re->ctx->errstr);
    return r;
}

/* Sentinel: the primary's address from the sentinels, into host/port. */
/* Points the next connect at host:port; says so once it had connected
 * elsewhere before (a failover, a resharding). */
static int set_endpoint(struct redis_exporter *re, const char *host, int port, const char *why)
{
    if (strcmp(host, re->host) == 0 && port == re->port)
        return 0;
    char *copy = strdup(host);
    if (!copy)
        return -1;
    if (re->ever_connected)
        log_notice("redis: %s %s:%d (was %s:%d)", why, host, port, re->host, re->port);
    free(re->host);
    re->host = copy;
    re->port = port;
    return 0;
}

static int find_primary(struct redis_exporter *re)
{
    char host[256], err[300], why[300];
    int port = 0;
    int rc = re->topo.kind == REDIS_SENTINEL
        ? redis_topology_primary(&re->topo, re->connect_tv, host, sizeof host, &port, err, sizeof err)
        : redis_topology_slot_owner(&re->topo, re->slot, re->connect_tv, re->username, re->password,
                                    host, sizeof host, &port, err, sizeof err);
    if (rc != 0) {
        outage_note(re, FAIL_CONNECT, "cannot find the primary", err);
        return -1;
    }
    if (re->topo.kind == REDIS_SENTINEL)
        snprintf(why, sizeof why, "sentinels name the primary of '%.100s':", re->topo.master);
    else
        snprintf(why, sizeof why, "the cluster serves slot %u (%.100s) from", re->slot, re->key);
    return set_endpoint(re, host, port, why);
}

/* Cluster: a MOVED reply names the slot's new primary: the next connect
 * goes straight there. */
static void follow_moved(struct redis_exporter *re, const char *host, int port)
{
    char why[200];
    snprintf(why, sizeof why, "the cluster moved slot %u (%.100s) to", re->slot, re->key);
    if (set_endpoint(re, host, port, why) == 0)
        re->redirected = true;
}

/* Sentinel: a data node must be the primary (a stale answer, or a failover
 * under way, can name a replica). */
static int check_primary(struct redis_exporter *re)
{
    char err[200];
    int rc = redis_topology_is_primary(re->ctx, err, sizeof err);
    if (rc != 0)
        outage_note(re, rc < 0 ? FAIL_LOST : FAIL_CONNECT, "not writing here", err);
    return rc;
}

static int try_connect(struct redis_exporter *re)
{
    if (re->topo.kind != REDIS_STANDALONE && !re->redirected && find_primary(re) != 0)
        return -1;
    re->redirected = false;
    re->ctx = re->unix_socket ? redisConnectUnixWithTimeout(re->unix_socket, re->connect_tv)
                              : redisConnectWithTimeout(re->host, re->port, re->connect_tv);
    if (!re->ctx || re->ctx->err) {
        outage_note(re, FAIL_CONNECT, "cannot connect", re->ctx ? re->ctx->errstr : "out of memory");
        disconnect(re);
        return -1;
    }
    redisSetTimeout(re->ctx, re->command_tv);
    if (!re->unix_socket)
        redisEnableKeepAlive(re->ctx);
    if (re->password) {
        const char *argv[3] = { "AUTH" };
        int argc = 1;
        if (re->username)
            argv[argc++] = re->username;
        argv[argc++] = re->password;
        redisReply *r = command_argv(re, argc, argv);
        if (!r) {
            disconnect(re);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR) {
            outage_note(re, FAIL_CONNECT, "authentication failed", r->str);
            freeReplyObject(r);
            disconnect(re);
            return -1;
        }
        freeReplyObject(r);
    }
    if (re->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", re->db);
        const char *argv[2] = { "SELECT", db };
        redisReply *r = command_argv(re, 2, argv);
        bool ok = r && r->type != REDIS_REPLY_ERROR;
        if (r && !ok)
            outage_note(re, FAIL_CONNECT, "SELECT failed", r->str);
        if (r)
            freeReplyObject(r);
        if (!ok) {
            disconnect(re);
            return -1;
        }
    }
    if (re->topo.kind == REDIS_SENTINEL && check_primary(re) != 0) {
        disconnect(re);
        return -1;
    }
    pthread_mutex_lock(&re->lock);
    re->connected = true;
    if (re->ever_connected)
        re->reconnects++;
    pthread_mutex_unlock(&re->lock);
    re->ever_connected = true;
    re->need_sync = true;
    return 0;
}

/* ---- batches ---- */

static bool transactional(const struct redis_exporter *re)
{
    return re->mode != MODE_PUBLISH && re->exactly_once;
}

enum send_result { SEND_OK, SEND_REJECTED, SEND_LOST, SEND_MOVED };

/* The pipeline of one batch without a script: one command per event. */
static int format_plain(struct redis_exporter *re, const struct spool_rec *recs, size_t n,
                        size_t *len)
{
    for (size_t i = 0; i < n; i++) {
        size_t need = *len + re->cmd_prefix_len + recs[i].len + 64;
        if (buf_reserve(&re->buf, &re->buf_cap, need) != 0)
            return -1;
        memcpy(re->buf + *len, re->cmd_prefix, re->cmd_prefix_len);
        *len += re->cmd_prefix_len;
        *len += (size_t)sprintf(re->buf + *len, "$%" PRIu32 "\r\n", recs[i].len);
        memcpy(re->buf + *len, recs[i].data, recs[i].len);
        *len += recs[i].len;
        memcpy(re->buf + *len, "\r\n", 2);
        *len += 2;
    }
    return 0;
}

/* EVAL script 2 key marker_key seq1 event1 seq2 event2 ... */
static int format_script(struct redis_exporter *re, const struct spool_rec *recs, size_t n,
                         size_t *len)
{
    if (buf_reserve(&re->buf, &re->buf_cap, 64) != 0)
        return -1;
    *len = (size_t)sprintf(re->buf, "*%zu\r\n", 5 + 2 * n);
    if (append_bulk(&re->buf, len, &re->buf_cap, "EVAL", 4) != 0 ||
        append_bulk(&re->buf, len, &re->buf_cap, re->script, strlen(re->script)) != 0 ||
        append_bulk(&re->buf, len, &re->buf_cap, "2", 1) != 0 ||
        append_bulk(&re->buf, len, &re->buf_cap, re->key, strlen(re->key)) != 0 ||
        append_bulk(&re->buf, len, &re->buf_cap, re->marker_key, strlen(re->marker_key)) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char seq[24];
        int sl = snprintf(seq, sizeof seq, "%" PRIu64, recs[i].seq);
        if (append_bulk(&re->buf, len, &re->buf_cap, seq, (size_t)sl) != 0 ||
            append_bulk(&re->buf, len, &re->buf_cap, recs[i].data, recs[i].len) != 0)
            return -1;
    }
    return 0;
}

/* The script's reply: {added} or {added, error}.  Anything else counts as
 * nothing added (a hostile or broken server cannot make us skip events). */
static enum send_result script_result(struct redis_exporter *re, const redisReply *r, size_t n,
                                      size_t *applied, char *error, size_t size)
{
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(error, size, "%s", r->str);
        return SEND_REJECTED;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 1 || r->element[0]->type != REDIS_REPLY_INTEGER ||
        r->element[0]->integer < 0 || (uint64_t)r->element[0]->integer > n) {
        snprintf(error, size, "unexpected reply to the batch script");
        return SEND_REJECTED;
    }
    *applied = (size_t)r->element[0]->integer;
    const redisReply *e = r->elements > 1 ? r->element[1] : NULL;
    if (!e)
        return *applied == n ? SEND_OK : SEND_REJECTED;
    snprintf(error, size, "%s", (e->type == REDIS_REPLY_STRING || e->type == REDIS_REPLY_STATUS ||
                                 e->type == REDIS_REPLY_ERROR) ? e->str : "error");
    if (*applied < n)
        return SEND_REJECTED;
    /* every event is in; only the marker failed: duplicates become possible
     * after a disconnect, loss does not */
    if (!re->marker_warned) {
        log_warning("redis: cannot set %s (%s): a batch cut by a disconnect may be sent twice",
                    re->marker_key, error);
        re->marker_warned = true;
    }
    return SEND_OK;
}

static enum send_result script_result(struct redis_exporter *re, const redisReply *r, size_t n,
                                      size_t *applied, char *error, size_t size);

/* Cluster, ASK: the slot is being moved and the key already lives at
 * host:port: the same script goes there, after ASKING, on a connection of
 * its own (the slot's owner stays the same until the move ends). */
static enum send_result send_asking(struct redis_exporter *re, const char *host, int port,
                                    size_t len, size_t n, size_t *applied, char *error, size_t size)
{
    char err[300];
    redisContext *c = redis_node_connect(host, port, re->command_tv, re->username, re->password,
                                         err, sizeof err);
    if (!c) {
        snprintf(error, size, "ASK target %.150s", err);
        return SEND_REJECTED;
    }
    enum send_result result = SEND_REJECTED;
    redisReply *asking = NULL, *r = NULL;
    if (redisAppendCommand(c, "ASKING") == REDIS_OK &&
        redisAppendFormattedCommand(c, re->buf, len) == REDIS_OK &&
        redisGetReply(c, (void **)&asking) == REDIS_OK && redisGetReply(c, (void **)&r) == REDIS_OK && r)
        result = script_result(re, r, n, applied, error, size);
    else
        snprintf(error, size, "ASK target %.100s:%d: %.60s", host, port, c->errstr[0] ? c->errstr : "no reply");
    if (asking)
        freeReplyObject(asking);
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return result;
}

/* Cluster: MOVED and ASK after a refused batch.  SEND_MOVED: connect to the
 * new owner and send again; otherwise the result of following ASK. */
static enum send_result follow_redirect(struct redis_exporter *re, enum send_result result,
                                        size_t len, size_t n, size_t *applied, char *error,
                                        size_t size)
{
    bool ask = false;
    char host[256];
    int port = 0;
    if (re->topo.kind != REDIS_CLUSTER || result != SEND_REJECTED || *applied != 0 ||
        !redis_parse_redirect(error, &ask, host, sizeof host, &port))
        return result;
    if (!ask) {
        follow_moved(re, host, port);
        return SEND_MOVED;
    }
    if (!transactional(re))       /* ASKING covers one command, not a pipeline: retry later */
        return result;
    return send_asking(re, host, port, len, n, applied, error, size);
}

/* Sends recs as one pipeline (one script in stream/list modes).
 * SEND_OK: all applied.  SEND_REJECTED: Redis answered an error (*applied
 * says how many leading events are in).  SEND_LOST: the connection broke;
 * whether the batch was applied is for the marker to tell after reconnect. */
static enum send_result send_batch(struct redis_exporter *re, const struct spool_rec *recs,
                                   size_t n, size_t *applied)
{
    size_t len = 0;
    *applied = 0;
    bool script = transactional(re);
    int rc = script ? format_script(re, recs, n, &len) : format_plain(re, recs, n, &len);
    if (rc != 0 || redisAppendFormattedCommand(re->ctx, re->buf, len) != REDIS_OK) {
        outage_note(re, FAIL_LOST, "out of memory formatting a batch", NULL);
        return SEND_LOST;
    }
    size_t replies = script ? 1 : n;
    enum send_result result = SEND_OK;
    char error[200] = "";
    for (size_t i = 0; i < replies; i++) {
        redisReply *r = NULL;
        if (redisGetReply(re->ctx, (void **)&r) != REDIS_OK || !r) {
            outage_note(re, FAIL_LOST, "connection lost", re->ctx->errstr);
            return SEND_LOST;
        }
        if (script) {
            result = script_result(re, r, n, applied, error, sizeof error);
        } else if (r->type == REDIS_REPLY_ERROR && result == SEND_OK) {
            snprintf(error, sizeof error, "%s", r->str);
            result = SEND_REJECTED;
            *applied = i;
        }
        freeReplyObject(r);
    }
    result = follow_redirect(re, result, len, n, applied, error, sizeof error);
    if (result == SEND_MOVED)
        return result;
    if (result == SEND_OK) {
        *applied = n;
        if (script)
            re->marker_ours = true;
    } else {
        outage_note(re, FAIL_REJECTED, "batch rejected", error);
    }
    /* with wait-replicas, only what the replicas acknowledged counts */
    if (*applied > 0 && !re->topo.wait_replicas)
        spool_set_delivered(re->spool, recs[*applied - 1].seq);
    return result;
}

/* The marker's value: a seq; "<key> <first> <last> <n>" as set by earlier
 * versions names the last seq of the last batch.  0 when unreadable. */
static uint64_t parse_marker(const char *text)
{
    const char *p = text;
    const char *last_space = strrchr(text, ' ');
    if (last_space) {              /* the old form: the next-to-last field */
        const char *q = last_space;
        while (q > text && q[-1] != ' ')
            q--;
        if (q == text)
            return 0;
        p = q;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long v = (*p >= '0' && *p <= '9') ? strtoull(p, &end, 10) : 0;
    if (errno || !end || (*end != '\0' && *end != ' '))
        return 0;
    return (uint64_t)v;
}

/* A marker this sensor cannot have written: above every seq it has seen, or,
 * before it has written one itself, at or above this run's first seq. */
static bool marker_foreign(struct redis_exporter *re, uint64_t marker)
{
    if (marker == 0)
        return false;
    struct spool_stats ss;
    spool_get_stats(re->spool, &ss);
    pthread_mutex_lock(&re->lock);
    uint64_t known = re->seen_max;
    pthread_mutex_unlock(&re->lock);
    if (ss.max_seq > known)
        known = ss.max_seq;
    if (re->first_seq && re->first_seq - 1 > known)
        known = re->first_seq - 1;
    if (marker > known)
        return true;
    return !re->marker_ours && re->first_seq && marker >= re->first_seq;
}

static enum send_result replicas_ack(struct redis_exporter *re);

/* wait-replicas: before trusting the marker of a (maybe new) primary, make
 * sure its replicas have it: rewrite the same value (a write on this
 * connection) and WAIT for it. */
static int marker_replicated(struct redis_exporter *re, uint64_t marker)
{
    char value[24];
    snprintf(value, sizeof value, "%" PRIu64, marker);
    const char *argv[3] = { "SET", re->marker_key, value };
    redisReply *r = command_argv(re, 3, argv);
    if (!r) {
        disconnect(re);
        return -1;
    }
    bool ok = r->type != REDIS_REPLY_ERROR;
    if (!ok)
        outage_note(re, FAIL_REJECTED, "cannot confirm the delivered marker", r->str);
    freeReplyObject(r);
    if (!ok)
        return -1;
    enum send_result ack = replicas_ack(re);
    if (ack == SEND_LOST)
        disconnect(re);
    return ack == SEND_OK ? 0 : -1;
}

/* After a (re)connect: drops the spool's leading records that Redis already
 * holds (seq at or below the marker).  -1 when Redis did not answer. */
static int sync_delivered(struct redis_exporter *re)
{
    uint64_t upto = spool_delivered(re->spool);
    if (transactional(re)) {
        const char *argv[2] = { "GET", re->marker_key };
        redisReply *r = command_argv(re, 2, argv);
        if (!r) {
            disconnect(re);
            return -1;
        }
        bool ask = false;
        char host[256];
        int port = 0;
        if (r->type == REDIS_REPLY_ERROR && re->topo.kind == REDIS_CLUSTER &&
            redis_parse_redirect(r->str, &ask, host, sizeof host, &port) && !ask) {
            follow_moved(re, host, port);
            freeReplyObject(r);
            disconnect(re);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR) {     /* e.g. LOADING after a restart */
            outage_note(re, FAIL_REJECTED, "cannot read the delivered marker", r->str);
            freeReplyObject(r);
            return -1;
        }
        uint64_t marker = r->type == REDIS_REPLY_STRING ? parse_marker(r->str) : 0;
        freeReplyObject(r);
        if (marker_foreign(re, marker)) {
            if (!re->foreign_warned)
                log_warning("redis: %s says event %" PRIu64 " was delivered, more than this sensor "
                            "has numbered: it comes from another event sequence (a reset log "
                            "directory, or another sensor with the same sensor.id); not used",
                            re->marker_key, marker);
            re->foreign_warned = true;
        } else if (marker > upto) {
            if (re->topo.wait_replicas && marker_replicated(re, marker) != 0)
                return -1;
            upto = marker;
        }
    }
    uint64_t skipped = 0;
    for (;;) {
        size_t got = spool_peek(re->spool, re->recs, re->batch_size), k = 0;
        while (k < got && re->recs[k].seq <= upto)
            k++;
        spool_consume(re->spool, k);
        skipped += k;
        if (k == 0 || k < got)
            break;
    }
    spool_set_delivered(re->spool, upto);
    if (skipped) {
        pthread_mutex_lock(&re->lock);
        re->duplicates += skipped;
        re->delivered += skipped;
        pthread_mutex_unlock(&re->lock);
        log_info("redis: %" PRIu64 " spooled events were already delivered (up to event %" PRIu64
                 "); not sent again", skipped, upto);
    }
    return 0;
}

/* Moves the whole queue (after `held` events already taken into re->batch)
 * to the front of the spool and switches producers to the spool.  A failed
 * store is counted by the spool. */
static void queue_to_spool(struct redis_exporter *re, size_t held)
{
    pthread_mutex_lock(&re->lock);
    size_t n = held;
    while (re->count > 0) {
        re->batch[n++] = re->ring[re->head];
        re->head = (re->head + 1) % re->queue_size;
        re->count--;
    }
    re->spooling = true;
    pthread_mutex_unlock(&re->lock);
    for (size_t i = 0; i < n; i++)
        re->recs[i] = (struct spool_rec){ re->batch[i].seq, re->batch[i].type, re->batch[i].data,
                                          re->batch[i].len };
    int rc = spool_prepend(re->spool, re->recs, n);
    pthread_mutex_lock(&re->lock);
    if (rc == 0)
        re->spooled += n;
    pthread_mutex_unlock(&re->lock);
    for (size_t i = 0; i < n; i++)
        free(re->batch[i].data);
}

/* Takes up to batch_size events from the queue into re->batch, waiting up to
 * batch-delay for a full batch.  Called with the lock held. */
static size_t queue_take(struct redis_exporter *re)
{
    if (re->count > 0 && re->count < re->batch_size && !re->stop) {
        int64_t deadline = now_usec() + re->batch_delay_us;
        struct timespec ts = { .tv_sec = deadline / 1000000, .tv_nsec = (deadline % 1000000) * 1000 };
        while (re->count < re->batch_size && !re->stop)
            if (pthread_cond_timedwait(&re->wake, &re->lock, &ts) != 0)
                break;
    }
    size_t n = 0;
    while (n < re->batch_size && re->count > 0) {
        re->batch[n++] = re->ring[re->head];
        re->head = (re->head + 1) % re->queue_size;
        re->count--;
    }
    return n;
}

/* A batch failed: a lost connection is closed; either way the next attempt
 * waits for the backoff. */
static void batch_failed(struct redis_exporter *re, enum send_result res)
{
    /* with sentinels or a cluster, a refusal (READONLY after a failover,
     * CLUSTERDOWN...) means: ask again where to write */
    if (res != SEND_REJECTED || re->topo.kind != REDIS_STANDALONE)
        disconnect(re);
    retry_later(re);
}

/* The aggregates of a delivered batch.  Standalone and sentinel: on the
 * same connection; cluster: on one of their own, to their slot's primary.
 * A failure costs only this batch's share of the view (logged once). */
static void aggregate_batch(struct redis_exporter *re, const struct spool_rec *recs, size_t n)
{
    if (!re->agg)
        return;
    for (size_t i = 0; i < n; i++)
        if (recs[i].type == EVENT_ALERT)
            redis_agg_add(re->agg, recs[i].data, recs[i].len);
    char err[300] = "";
    redisContext *c = re->ctx;
    if (re->topo.kind == REDIS_CLUSTER) {
        if (!re->agg_ctx) {
            char host[256];
            int port = 0;
            const char *key = redis_agg_slot_key(re->agg);
            if (redis_topology_slot_owner(&re->topo, redis_key_slot(key, strlen(key)), re->connect_tv,
                                          re->username, re->password, host, sizeof host, &port,
                                          err, sizeof err) == 0)
                re->agg_ctx = redis_node_connect(host, port, re->command_tv, re->username,
                                                 re->password, err, sizeof err);
        }
        c = re->agg_ctx;
    }
    int rc = redis_agg_flush(re->agg, c, err, sizeof err);   /* c NULL: dropped */
    if (rc != 0 && !re->agg_warned) {
        log_warning("redis: situation aggregates not written (%s); retried with the next batch",
                    err[0] ? err : "no connection");
        re->agg_warned = true;
    }
    if (rc != 0 && c && (c->err || re->topo.kind == REDIS_CLUSTER)) {
        if (c == re->agg_ctx) {
            redisFree(re->agg_ctx);
            re->agg_ctx = NULL;
        } else {
            disconnect(re);            /* the batch is in; the next one reconnects */
        }
    }
}

/* wait-replicas: WAIT until that many replicas have every write of this
 * connection so far.  SEND_OK when they have (or no wait is configured). */
static enum send_result replicas_ack(struct redis_exporter *re)
{
    if (!re->topo.wait_replicas)
        return SEND_OK;
    char n[16], ms[24];
    snprintf(n, sizeof n, "%d", re->topo.wait_replicas);
    snprintf(ms, sizeof ms, "%" PRId64, re->wait_ms);
    const char *argv[3] = { "WAIT", n, ms };
    redisReply *r = command_argv(re, 3, argv);
    if (!r)
        return SEND_LOST;
    bool ok = r->type == REDIS_REPLY_INTEGER && r->integer >= re->topo.wait_replicas;
    if (!ok) {
        char what[160];
        if (r->type == REDIS_REPLY_INTEGER)
            snprintf(what, sizeof what, "WAIT: %lld of %d replicas acknowledged", r->integer,
                     re->topo.wait_replicas);
        else
            snprintf(what, sizeof what, "%.150s", r->type == REDIS_REPLY_ERROR ? r->str : "WAIT failed");
        outage_note(re, FAIL_REJECTED, "events kept in the spool", what);
    }
    freeReplyObject(r);
    return ok ? SEND_OK : SEND_REJECTED;
}

/* One batch of re->recs, wherever it came from: send, wait for replicas,
 * write the aggregates of what went in, count.  *consume says how many
 * leading records Redis holds (the caller drops them from their source; the
 * rest stays in order); SEND_OK means all n (then *consume == n). */
static enum send_result deliver_batch(struct redis_exporter *re, size_t n, size_t *consume)
{
    size_t applied = 0;
    *consume = 0;
    enum send_result res = send_batch(re, re->recs, n, &applied);
    if (res == SEND_OK)
        res = replicas_ack(re);
    if (re->topo.wait_replicas) {
        if (res != SEND_OK) {
            /* maybe applied, not known replicated: all of it stays, and the
             * marker (confirmed by WAIT) tells later what Redis holds */
            re->need_sync = true;
            return res;
        }
        spool_set_delivered(re->spool, re->recs[n - 1].seq);
    }
    if (res == SEND_OK)
        aggregate_batch(re, re->recs, n);    /* before consume: recs may point into the spool */
    pthread_mutex_lock(&re->lock);
    re->delivered += applied;
    pthread_mutex_unlock(&re->lock);
    *consume = applied;
    return res;
}

/* Sends one batch from the queue.  -1 when it failed. */
static int deliver_from_queue(struct redis_exporter *re, size_t n)
{
    for (size_t i = 0; i < n; i++)
        re->recs[i] = (struct spool_rec){ re->batch[i].seq, re->batch[i].type, re->batch[i].data,
                                          re->batch[i].len };
    size_t applied;
    enum send_result res = deliver_batch(re, n, &applied);
    for (size_t i = 0; i < applied; i++)
        free(re->batch[i].data);
    if (res == SEND_OK) {
        outage_end(re);
        return 0;
    }
    /* keep the events not known to be in Redis, in order, at the spool's front */
    memmove(re->batch, re->batch + applied, (n - applied) * sizeof *re->batch);
    queue_to_spool(re, n - applied);
    batch_failed(re, res);
    return -1;
}

/* Replays one batch from the spool's head.  Returns the number sent, 0 when
 * the spool is empty (and producers are switched back to the queue), -1
 * when it failed. */
static int deliver_from_spool(struct redis_exporter *re)
{
    size_t n = spool_peek(re->spool, re->recs, re->batch_size);
    if (n == 0) {
        pthread_mutex_lock(&re->lock);
        if (spool_count(re->spool) == 0)
            re->spooling = false;
        bool still = re->spooling;
        pthread_mutex_unlock(&re->lock);
        if (still) {   /* unreadable for now (I/O error): retry later, keep the order */
            outage_note(re, FAIL_LOST, "the spool cannot be read now", strerror(errno));
            retry_later(re);
        } else {
            outage_end(re);
        }
        return 0;
    }
    size_t applied;
    enum send_result res = deliver_batch(re, n, &applied);
    spool_consume(re->spool, applied);
    if (res == SEND_OK) {
        outage_end(re);
        return (int)n;
    }
    batch_failed(re, res);
    return -1;
}

/* Cluster: the heartbeat's key lives in another slot than the events; its
 * node (named by MOVED/ASK) gets both commands on a connection of its own. */
static int heartbeat_elsewhere(struct redis_exporter *re, const char *error, int argc,
                               const char **argv, const char **exp)
{
    bool ask = false;
    char host[256], err[300];
    int port = 0;
    if (re->topo.kind != REDIS_CLUSTER || !redis_parse_redirect(error, &ask, host, sizeof host, &port))
        return -1;
    redisContext *c = redis_node_connect(host, port, re->command_tv, re->username, re->password,
                                         err, sizeof err);
    if (!c)
        return 0;                  /* a heartbeat is skipped, not an outage of the events */
    for (int k = 0; k < 2; k++) {
        redisReply *r = NULL;
        if (ask)
            r = redisCommand(c, "ASKING");
        if (r)
            freeReplyObject(r);
        r = redisCommandArgv(c, k ? 3 : argc, k ? exp : argv, NULL);
        if (r)
            freeReplyObject(r);
    }
    redisFree(c);
    return 0;
}

/* HSET + EXPIRE of the sensor's hash.  -1 when it failed (an outage). */
static int send_heartbeat(struct redis_exporter *re)
{
    pthread_mutex_lock(&re->lock);
    struct sensor_health h = re->health;
    bool have = re->health_set;
    uint64_t fields[] = { re->count, re->delivered, re->dropped, re->reconnects, re->spooled };
    pthread_mutex_unlock(&re->lock);
    /* without the sensor's counters the hash still shows the sensor alive */
    if (!have || h.start_time == 0)
        h.start_time = re->opened_at;
    struct spool_stats ss;
    spool_get_stats(re->spool, &ss);
    char v[20][24];
    const char *argv[48];
    int argc = 0, k = 0;
    argv[argc++] = "HSET";
    argv[argc++] = re->heartbeat_key;
#define HB_U64(name, value) do { snprintf(v[k], sizeof v[k], "%" PRIu64, (uint64_t)(value)); \
        argv[argc++] = name; argv[argc++] = v[k++]; } while (0)
#define HB_I64(name, value) do { snprintf(v[k], sizeof v[k], "%" PRId64, (int64_t)(value)); \
        argv[argc++] = name; argv[argc++] = v[k++]; } while (0)
    argv[argc++] = "version";
    argv[argc++] = re->version;
    argv[argc++] = "segment";
    argv[argc++] = re->segment;
    HB_I64("interval", re->heartbeat_us / 1000000 > 0 ? re->heartbeat_us / 1000000 : 1);
    HB_I64("spool_growth", (int64_t)ss.count - (int64_t)re->last_spool_depth);
    re->last_spool_depth = ss.count;
    HB_I64("start_time", h.start_time);
    HB_I64("updated", (int64_t)time(NULL));
    HB_U64("packets", h.packets);
    HB_U64("drops", h.drops);
    HB_U64("flows", h.flows);
    HB_U64("alerts", h.alerts);
    HB_U64("events", h.events);
    HB_I64("last_event_time", h.last_event_time);
    HB_U64("spool_depth", ss.count);
    HB_U64("spool_bytes", ss.bytes);
    HB_U64("spool_dropped", ss.dropped + fields[2]);   /* each loss counted in one place */
    HB_U64("queue_depth", fields[0]);
    HB_U64("delivered", fields[1]);
    HB_U64("reconnects", fields[3]);
#undef HB_U64
#undef HB_I64
    char ttl[24];
    int64_t seconds = re->heartbeat_us / 1000000 * 3;
    snprintf(ttl, sizeof ttl, "%" PRId64, seconds < 15 ? 15 : seconds);
    const char *exp[3] = { "EXPIRE", re->heartbeat_key, ttl };
    const char *const *cmds[2] = { argv, exp };
    int counts[2] = { argc, 3 };
    for (int c = 0; c < 2; c++) {
        redisReply *r = command_argv(re, counts[c], (const char **)cmds[c]);
        if (!r) {
            batch_failed(re, SEND_LOST);
            return -1;
        }
        bool rejected = r->type == REDIS_REPLY_ERROR;
        if (rejected && c == 0 && heartbeat_elsewhere(re, r->str, argc, argv, exp) == 0) {
            freeReplyObject(r);
            return 0;
        }
        if (rejected)
            outage_note(re, FAIL_REJECTED, "heartbeat rejected", r->str);
        freeReplyObject(r);
        if (rejected) {
            batch_failed(re, SEND_REJECTED);
            return -1;
        }
    }
    return 0;
}

/* Waits on the condition until deadline (monotonic usec) or a wake-up. */
static void wait_until(struct redis_exporter *re, int64_t deadline)
{
    struct timespec ts = { .tv_sec = deadline / 1000000, .tv_nsec = (deadline % 1000000) * 1000 };
    pthread_mutex_lock(&re->lock);
    pthread_cond_timedwait(&re->wake, &re->lock, &ts);
    pthread_mutex_unlock(&re->lock);
}

/* Nothing waits to be sent: an outage is over once Redis has answered. */
static void end_outage_if_idle(struct redis_exporter *re)
{
    pthread_mutex_lock(&re->lock);
    bool idle = re->count == 0 && !re->spooling;
    pthread_mutex_unlock(&re->lock);
    if (idle)
        outage_end(re);
}

static void *redis_thread(void *arg)
{
    struct redis_exporter *re = arg;
    for (;;) {
        pthread_mutex_lock(&re->lock);
        bool stop = re->stop;
        int64_t deadline = re->stop_deadline_us;
        size_t queued = re->count;
        bool spooling = re->spooling;
        pthread_mutex_unlock(&re->lock);
        int64_t now = now_usec();
        /* closing: deliver what is left (queue, then spool) until the deadline */
        if (stop && (now >= deadline || (queued == 0 && !spooling))) {
            break;
        }

        if (re->down || !re->ctx) {
            if (queued > 0 && re->down)
                queue_to_spool(re, 0);   /* Redis is away: events wait on disk */
            spool_flush(re->spool);
            if (now < re->next_attempt_us) {
                int64_t until = re->next_attempt_us;
                if (stop && deadline < until)
                    until = deadline;
                wait_until(re, until);
                continue;
            }
            if (!re->ctx && try_connect(re) != 0) {
                retry_later(re);
                continue;
            }
            re->down = false;
        }
        if (re->need_sync) {
            if (sync_delivered(re) != 0) {
                retry_later(re);
                continue;
            }
            re->need_sync = false;
            end_outage_if_idle(re);
            continue;
        }
        if (re->heartbeat_us > 0 && now - re->last_heartbeat_us >= re->heartbeat_us) {
            re->last_heartbeat_us = now;
            if (send_heartbeat(re) == 0)
                end_outage_if_idle(re);
            continue;
        }
        if (queued > 0) {
            pthread_mutex_lock(&re->lock);
            size_t n = queue_take(re);
            pthread_mutex_unlock(&re->lock);
            if (n > 0)
                deliver_from_queue(re, n);
            continue;
        }
        if (spooling) {
            deliver_from_spool(re);
            continue;
        }
        pthread_mutex_lock(&re->lock);
        if (re->count == 0 && !re->stop && !re->spooling) {
            int64_t until = now_usec() + (re->heartbeat_us > 0 ? re->heartbeat_us : 1000000);
            struct timespec ts = { .tv_sec = until / 1000000, .tv_nsec = (until % 1000000) * 1000 };
            pthread_cond_timedwait(&re->wake, &re->lock, &ts);
        }
        pthread_mutex_unlock(&re->lock);
    }
    return NULL;
}

/* ---- the rest of the ops ---- */

static void redis_heartbeat(void *state, const struct sensor_health *h)
{
    struct redis_exporter *re = state;
    pthread_mutex_lock(&re->lock);
    re->health = *h;
    re->health_set = true;
    pthread_mutex_unlock(&re->lock);
}

static void redis_stats(void *state, struct outputs_stats *sum)
{
    struct redis_exporter *re = state;
    struct spool_stats ss;
    spool_get_stats(re->spool, &ss);
    pthread_mutex_lock(&re->lock);
    sum->queued += re->queued;
    sum->queue_depth += re->count;
    sum->delivered += re->delivered;
    sum->spooled += re->spooled;
    sum->dropped += re->dropped + ss.dropped;   /* disjoint: the spool counts its own */
    sum->reconnects += re->reconnects;
    sum->redis_errors += re->errors;
    sum->duplicates_skipped += re->duplicates;
    sum->redis_connected = sum->redis_connected || re->connected;
    pthread_mutex_unlock(&re->lock);
    sum->spool_depth += ss.count;
    sum->spool_bytes += ss.bytes;
}

static void redis_flush(void *state)
{
    struct redis_exporter *re = state;
    pthread_mutex_lock(&re->lock);
    pthread_cond_signal(&re->wake);
    pthread_mutex_unlock(&re->lock);
}

static void redis_free(struct redis_exporter *re)
{
    if (re->ctx)
        redisFree(re->ctx);
    for (size_t i = 0; re->ring && i < re->count; i++)
        free(re->ring[(re->head + i) % re->queue_size].data);
    spool_close(re->spool);
    if (re->password) {
        explicit_bzero(re->password, strlen(re->password));
        free(re->password);
    }
    free(re->ring);
    free(re->batch);
    free(re->recs);
    free(re->buf);
    free(re->cmd_prefix);
    free(re->script);
    redis_topology_free(&re->topo);
    free(re->host);
    free(re->unix_socket);
    free(re->username);
    free(re->key);
    free(re->marker_key);
    free(re->heartbeat_key);
    free(re->sensor_id);
    free(re->version);
    free(re->segment);
    redis_agg_free(re->agg);
    if (re->agg_ctx)
        redisFree(re->agg_ctx);
    pthread_cond_destroy(&re->wake);
    pthread_mutex_destroy(&re->lock);
    free(re);
}

/* SIGTERM: the thread sends what is queued if Redis is up (the spool stays
 * for the next start), otherwise the queue goes to the spool. */
static void redis_close(void *state)
{
    struct redis_exporter *re = state;
    pthread_mutex_lock(&re->lock);
    re->stop = true;
    re->stop_deadline_us = now_usec() + re->close_timeout_us;
    pthread_cond_signal(&re->wake);
    pthread_mutex_unlock(&re->lock);
    if (re->thread_started)
        pthread_join(re->thread, NULL);
    if (re->count > 0)
        queue_to_spool(re, 0);
    uint64_t spooled = spool_count(re->spool);
    if (spooled)
        log_notice("redis: %" PRIu64 " events left in the spool for the next start", spooled);
    redis_free(re);
}

static void redis_check(const struct config *cfg, const char *prefix, struct diag *diag)
{
    struct redis_topology topo;
    redis_topology_read(&topo, cfg, prefix, diag);
    redis_topology_free(&topo);
}

const struct exporter_ops exporter_redis = {
    .name = "redis",
    .default_enabled = false,
    .default_types = EVENT_TYPE_MASK(EVENT_ALERT) | EVENT_TYPE_MASK(EVENT_ANOMALY),
    .open = redis_open,
    .write = redis_write,
    .flush = redis_flush,
    .stats = redis_stats,
    .heartbeat = redis_heartbeat,
    .close = redis_close,
    .check = redis_check,
};
