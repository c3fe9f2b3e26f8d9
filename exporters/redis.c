/* The Redis exporter (hiredis).  The packet path copies each event into a
 * bounded in-memory queue and returns; one exporter thread sends pipelined
 * batches (XADD / LPUSH / RPUSH / PUBLISH).
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
 * Exactly once: in stream and list modes each batch is one MULTI/EXEC that
 * also sets xiezhi:sensor:<id>:delivered to a marker of the batch.  When a
 * connection breaks before EXEC's reply arrives, the batch may or may not
 * have been applied; after reconnecting, the marker says which, and an
 * applied batch is removed from the spool instead of being sent twice.
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

struct redis_exporter {
    /* configuration */
    char *host, *unix_socket, *username, *password;
    char *key, *marker_key, *heartbeat_key, *sensor_id, *version;
    uint64_t maxlen;
    size_t batch_size, queue_size;
    int64_t batch_delay_us, backoff_max_us, heartbeat_us, close_timeout_us;
    struct timeval connect_tv, command_tv;
    char *cmd_prefix;              /* RESP of the command up to the payload */
    size_t cmd_prefix_len;

    /* shared with the packet path, under lock */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct qent *ring;
    size_t head, count;
    int64_t stop_deadline_us;      /* close: keep delivering until then */
    int64_t opened_at;             /* wall clock, unix seconds */
    struct spool *spool;
    struct sensor_health health;
    uint64_t queued, delivered, spooled, dropped, reconnects, errors, duplicates;

    /* exporter thread only */
    pthread_t thread;
    redisContext *ctx;
    int64_t backoff_us, next_attempt_us, last_heartbeat_us, error_logged_us;
    uint64_t uncertain_n;
    struct qent *batch;
    struct spool_rec *recs;
    char *buf;
    size_t buf_cap;
    char uncertain[160];           /* marker of a batch cut by a disconnect, "" = none */

    /* small fields last (packing) */
    int port, db;
    enum redis_mode mode;
    bool exactly_once;             /* MULTI/EXEC + delivered marker per batch */
    bool spooling;                 /* under lock: spool non-empty, producers append to it */
    bool stop;                     /* under lock */
    bool health_set;               /* under lock */
    bool connected;                /* under lock */
    bool thread_started;
    bool ever_connected, down_logged;
    bool down;                     /* a connect or a batch failed: events wait on disk */
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

/* Replaces every "{sensor}" in template with id. */
static char *expand_sensor(const char *template, const char *id)
{
    size_t n = 0;
    for (const char *p = template; (p = strstr(p, "{sensor}")) != NULL; p += 8)
        n++;
    size_t size = strlen(template) + n * strlen(id) + 1;
    char *out = malloc(size), *w = out;
    if (!out)
        return NULL;
    for (const char *p = template; *p;) {
        if (strncmp(p, "{sensor}", 8) == 0) {
            w += sprintf(w, "%s", id);
            p += 8;
        } else {
            *w++ = *p++;
        }
    }
    *w = '\0';
    return out;
}

/* The secret: password-file first line, else $XIEZHI_REDIS_PASSWORD. */
static int read_password(struct redis_exporter *re, const char *file, struct diag *diag)
{
    if (file && file[0]) {
        FILE *f = fopen(file, "re");
        if (!f) {
            diag_error(diag, file, 0, "cannot read the Redis password file: %s", strerror(errno));
            return -1;
        }
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0004))
            log_warning("%s: the Redis password file is readable by everyone", file);
        char line[1024] = { 0 };
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        re->password = strdup(line);
        explicit_bzero(line, sizeof line);
        return re->password ? 0 : -1;
    }
    const char *env = getenv("XIEZHI_REDIS_PASSWORD");
    if (env && env[0])
        re->password = strdup(env);
    return 0;
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
    re->key = expand_sensor(cfg_str(cfg, prefix, "key", "xiezhi:alerts"), sensor_id);
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
    re->marker_key = malloc(idlen);
    re->heartbeat_key = malloc(idlen);
    if (re->marker_key)
        snprintf(re->marker_key, idlen, "xiezhi:sensor:%s:delivered", sensor_id);
    if (re->heartbeat_key)
        snprintf(re->heartbeat_key, idlen, "xiezhi:sensor:%s", sensor_id);
    read_password(re, cfg_str(cfg, prefix, "password-file", ""), diag);

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
        !re->version || build_prefix(re) != 0) {
        if (diag->errors == errors)
            diag_error(diag, "outputs.redis", 0, "cannot set up the Redis exporter");
        redis_free(re);
        return NULL;
    }
    re->spooling = spool_count(re->spool) > 0;
    re->opened_at = (int64_t)time(NULL);
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
    /* queue full, or the spool holds older events: go behind them */
    re->spooling = true;
    struct spool_rec rec = { ev->seq, (uint32_t)ev->type, ev->json, (uint32_t)ev->len };
    if (spool_append(re->spool, &rec) == 0)
        re->spooled++;
    else
        re->dropped++;
    pthread_mutex_unlock(&re->lock);
    free(copy);
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

static void note_error(struct redis_exporter *re, const char *what, const char *detail)
{
    pthread_mutex_lock(&re->lock);
    re->errors++;
    pthread_mutex_unlock(&re->lock);
    int64_t now = now_usec();
    if (!re->down_logged || now - re->error_logged_us > 60000000) {
        log_warning("redis %s:%d: %s%s%s; events go to the spool", re->unix_socket ? re->unix_socket : re->host,
                    re->unix_socket ? 0 : re->port, what, detail ? ": " : "", detail ? detail : "");
        re->down_logged = true;
        re->error_logged_us = now;
    }
}

/* Runs one command; returns the reply (caller frees) or NULL after a
 * connection error.  argv may hold secrets: nothing of it is logged. */
static redisReply *command_argv(struct redis_exporter *re, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(re->ctx, argc, argv, NULL);
    if (!r)
        note_error(re, "connection lost", re->ctx->errstr);
    return r;
}

static int try_connect(struct redis_exporter *re)
{
    re->ctx = re->unix_socket ? redisConnectUnixWithTimeout(re->unix_socket, re->connect_tv)
                              : redisConnectWithTimeout(re->host, re->port, re->connect_tv);
    if (!re->ctx || re->ctx->err) {
        note_error(re, "cannot connect", re->ctx ? re->ctx->errstr : "out of memory");
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
            note_error(re, "authentication failed", r->str);
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
            note_error(re, "SELECT failed", r->str);
        if (r)
            freeReplyObject(r);
        if (!ok) {
            disconnect(re);
            return -1;
        }
    }
    pthread_mutex_lock(&re->lock);
    re->connected = true;
    if (re->ever_connected)
        re->reconnects++;
    uint64_t waiting = spool_count(re->spool);
    pthread_mutex_unlock(&re->lock);
    if (re->down_logged)
        log_notice("redis %s:%d: connected; %" PRIu64 " spooled events to replay",
                   re->unix_socket ? re->unix_socket : re->host, re->unix_socket ? 0 : re->port,
                   waiting);
    re->ever_connected = true;
    re->down_logged = false;
    re->down = false;
    re->backoff_us = 100000;
    return 0;
}

/* ---- batches ---- */

static bool transactional(const struct redis_exporter *re)
{
    return re->mode != MODE_PUBLISH && re->exactly_once;
}

static void batch_marker(const struct redis_exporter *re, const struct spool_rec *recs, size_t n,
                         char *out, size_t size)
{
    snprintf(out, size, "%.64s %" PRIu64 " %" PRIu64 " %zu", re->key, recs[0].seq,
             recs[n - 1].seq, n);
}

enum send_result { SEND_OK, SEND_REJECTED, SEND_LOST };

/* Sends recs as one pipeline (one MULTI/EXEC in stream/list modes).
 * SEND_OK: all applied.  SEND_REJECTED: Redis answered an error (*applied
 * says how many leading events are in).  SEND_LOST: the connection broke;
 * whether the batch was applied is unknown (re->uncertain is set). */
static enum send_result send_batch(struct redis_exporter *re, const struct spool_rec *recs,
                                   size_t n, size_t *applied)
{
    char marker[160];
    size_t len = 0;
    *applied = 0;
    batch_marker(re, recs, n, marker, sizeof marker);
    if (transactional(re)) {
        static const char multi[] = "*1\r\n$5\r\nMULTI\r\n";
        if (buf_reserve(&re->buf, &re->buf_cap, 64) != 0)
            return SEND_LOST;
        memcpy(re->buf, multi, sizeof multi - 1);
        len = sizeof multi - 1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t need = len + re->cmd_prefix_len + recs[i].len + 64;
        if (buf_reserve(&re->buf, &re->buf_cap, need) != 0)
            return SEND_LOST;
        memcpy(re->buf + len, re->cmd_prefix, re->cmd_prefix_len);
        len += re->cmd_prefix_len;
        len += (size_t)sprintf(re->buf + len, "$%" PRIu32 "\r\n", recs[i].len);
        memcpy(re->buf + len, recs[i].data, recs[i].len);
        len += recs[i].len;
        memcpy(re->buf + len, "\r\n", 2);
        len += 2;
    }
    size_t replies = n;
    if (transactional(re)) {
        static const char set[] = "*3\r\n$3\r\nSET\r\n";
        static const char exec[] = "*1\r\n$4\r\nEXEC\r\n";
        size_t need = len + sizeof set + strlen(re->marker_key) + strlen(marker) + sizeof exec + 64;
        if (buf_reserve(&re->buf, &re->buf_cap, need) != 0)
            return SEND_LOST;
        memcpy(re->buf + len, set, sizeof set - 1);
        len += sizeof set - 1;
        append_bulk(&re->buf, &len, &re->buf_cap, re->marker_key, strlen(re->marker_key));
        append_bulk(&re->buf, &len, &re->buf_cap, marker, strlen(marker));
        memcpy(re->buf + len, exec, sizeof exec - 1);
        len += sizeof exec - 1;
        replies = n + 3;
    }
    if (redisAppendFormattedCommand(re->ctx, re->buf, len) != REDIS_OK)
        return SEND_LOST;
    /* From here on the batch may be applied even if we see no reply. */
    snprintf(re->uncertain, sizeof re->uncertain, "%s", marker);
    re->uncertain_n = n;
    enum send_result result = SEND_OK;
    const char *error = NULL;
    char error_text[200] = "";
    for (size_t i = 0; i < replies; i++) {
        redisReply *r = NULL;
        if (redisGetReply(re->ctx, (void **)&r) != REDIS_OK || !r) {
            note_error(re, "connection lost", re->ctx->errstr);
            return SEND_LOST;
        }
        bool last = i + 1 == replies;
        if (r->type == REDIS_REPLY_ERROR && result == SEND_OK) {
            snprintf(error_text, sizeof error_text, "%s", r->str);
            error = error_text;
            result = SEND_REJECTED;
            if (!transactional(re))
                *applied = i;
        }
        if (transactional(re) && last && r->type == REDIS_REPLY_ARRAY) {
            /* EXEC: one reply per queued command; stop at the first error */
            size_t k = 0;
            while (k < r->elements && k < n && r->element[k]->type != REDIS_REPLY_ERROR)
                k++;
            if (k < n) {
                if (k < r->elements)
                    snprintf(error_text, sizeof error_text, "%s", r->element[k]->str);
                error = error_text;
                result = SEND_REJECTED;
            }
            *applied = k;
        }
        freeReplyObject(r);
    }
    re->uncertain[0] = '\0';
    if (result == SEND_OK)
        *applied = n;
    if (result == SEND_REJECTED)
        note_error(re, "command rejected", error);
    return result;
}

/* After a reconnect: was the batch cut by the disconnect applied?  If so,
 * its events (now at the spool's head) are removed.  -1: connection lost. */
static int resolve_uncertain(struct redis_exporter *re)
{
    if (!re->uncertain[0])
        return 0;
    if (!transactional(re)) {
        re->uncertain[0] = '\0';
        return 0;
    }
    const char *argv[2] = { "GET", re->marker_key };
    redisReply *r = command_argv(re, 2, argv);
    if (!r)
        return -1;
    if (r->type == REDIS_REPLY_ERROR) {     /* e.g. LOADING after a restart: ask again later */
        note_error(re, "cannot check the last batch", r->str);
        freeReplyObject(r);
        return -1;
    }
    bool applied = r->type == REDIS_REPLY_STRING && strcmp(r->str, re->uncertain) == 0;
    freeReplyObject(r);
    if (applied) {
        size_t left = re->uncertain_n;
        while (left > 0) {
            size_t got = spool_peek(re->spool, re->recs, left);
            if (got == 0)
                break;
            spool_consume(re->spool, got);
            left -= got;
        }
        pthread_mutex_lock(&re->lock);
        re->duplicates += re->uncertain_n - left;
        re->delivered += re->uncertain_n - left;
        pthread_mutex_unlock(&re->lock);
    }
    re->uncertain[0] = '\0';
    return 0;
}

/* Moves the whole queue (after `held` events already taken into re->batch)
 * to the front of the spool and switches producers to the spool. */
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
    else
        re->dropped += n;
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

/* Sends one batch from the queue.  -1 when the connection is gone. */
static int deliver_from_queue(struct redis_exporter *re, size_t n)
{
    for (size_t i = 0; i < n; i++)
        re->recs[i] = (struct spool_rec){ re->batch[i].seq, re->batch[i].type, re->batch[i].data,
                                          re->batch[i].len };
    size_t applied = 0;
    enum send_result res = send_batch(re, re->recs, n, &applied);
    pthread_mutex_lock(&re->lock);
    re->delivered += applied;
    pthread_mutex_unlock(&re->lock);
    if (res == SEND_OK) {
        for (size_t i = 0; i < n; i++)
            free(re->batch[i].data);
        return 0;
    }
    /* keep the events not known to be in Redis, in order, at the spool's front */
    for (size_t i = 0; i < applied; i++)
        free(re->batch[i].data);
    memmove(re->batch, re->batch + applied, (n - applied) * sizeof *re->batch);
    queue_to_spool(re, n - applied);
    disconnect(re);
    return -1;
}

/* Replays one batch from the spool's head.  Returns the number sent, 0 when
 * the spool is empty (and producers are switched back to the queue), -1
 * when the connection is gone. */
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
            log_error("redis: the spool holds events that cannot be read now");
            wait_until(re, now_usec() + 1000000);
        }
        return 0;
    }
    size_t applied = 0;
    enum send_result res = send_batch(re, re->recs, n, &applied);
    if (applied)
        spool_consume(re->spool, applied);
    pthread_mutex_lock(&re->lock);
    re->delivered += applied;
    pthread_mutex_unlock(&re->lock);
    if (res == SEND_OK)
        return (int)n;
    disconnect(re);
    return -1;
}

static void send_heartbeat(struct redis_exporter *re)
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
    char v[16][24];
    const char *argv[40];
    int argc = 0, k = 0;
    argv[argc++] = "HSET";
    argv[argc++] = re->heartbeat_key;
#define HB_U64(name, value) do { snprintf(v[k], sizeof v[k], "%" PRIu64, (uint64_t)(value)); \
        argv[argc++] = name; argv[argc++] = v[k++]; } while (0)
#define HB_I64(name, value) do { snprintf(v[k], sizeof v[k], "%" PRId64, (int64_t)(value)); \
        argv[argc++] = name; argv[argc++] = v[k++]; } while (0)
    argv[argc++] = "version";
    argv[argc++] = re->version;
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
    HB_U64("spool_dropped", ss.dropped + fields[2]);
    HB_U64("queue_depth", fields[0]);
    HB_U64("delivered", fields[1]);
    HB_U64("reconnects", fields[3]);
#undef HB_U64
#undef HB_I64
    redisReply *r = command_argv(re, argc, argv);
    if (!r) {
        disconnect(re);
        return;
    }
    freeReplyObject(r);
    char ttl[24];
    int64_t seconds = re->heartbeat_us / 1000000 * 3;
    snprintf(ttl, sizeof ttl, "%" PRId64, seconds < 15 ? 15 : seconds);
    const char *exp[3] = { "EXPIRE", re->heartbeat_key, ttl };
    r = command_argv(re, 3, exp);
    if (!r) {
        disconnect(re);
        return;
    }
    freeReplyObject(r);
}

/* Waits on the condition until deadline (monotonic usec) or a wake-up. */
static void wait_until(struct redis_exporter *re, int64_t deadline)
{
    struct timespec ts = { .tv_sec = deadline / 1000000, .tv_nsec = (deadline % 1000000) * 1000 };
    pthread_mutex_lock(&re->lock);
    pthread_cond_timedwait(&re->wake, &re->lock, &ts);
    pthread_mutex_unlock(&re->lock);
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

        if (!re->ctx) {
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
            if (try_connect(re) != 0 || resolve_uncertain(re) != 0) {
                disconnect(re);
                re->next_attempt_us = now_usec() + re->backoff_us;
                re->backoff_us = re->backoff_us * 2 > re->backoff_max_us ? re->backoff_max_us
                                                                         : re->backoff_us * 2;
            }
            continue;
        }
        if (re->heartbeat_us > 0 && now - re->last_heartbeat_us >= re->heartbeat_us) {
            re->last_heartbeat_us = now;
            send_heartbeat(re);
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
    sum->dropped += re->dropped;
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
    free(re->host);
    free(re->unix_socket);
    free(re->username);
    free(re->key);
    free(re->marker_key);
    free(re->heartbeat_key);
    free(re->sensor_id);
    free(re->version);
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
};
