/* xiezhi-alerts: the analyst's view of the Redis alert stream.  Reads through
 * a consumer group (XREADGROUP), prints one line per event (or the raw JSON),
 * and acknowledges (XACK) only after printing.  At start it first re-reads
 * its own pending entries (a restart resumes where it stopped), then claims
 * the pending entries of consumers idle longer than --claim-idle (dead
 * consumers), then reads new entries; --follow keeps waiting like tail -f.
 *
 * The JSON comes from the network via the sensor, so every entry is parsed
 * whole by sensor/event/eve_fields.c (depth and lengths bounded, fuzzed)
 * and everything printed is stripped of control characters. */
#include <errno.h>
#include <getopt.h>
#include <hiredis.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event/eve_fields.h"

/* ---- options ---- */

struct options {
    const char *host, *socket, *user, *key, *group, *consumer;
    int port, db;
    bool json, follow, from_new;
    long severity;             /* show severity <= this; 0 = all */
    const char *sensor;
    long long sid;             /* -1 = all */
    long count, block_ms, claim_idle_ms, limit;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
        "usage: xiezhi-alerts [options]\n"
        "  --host H / --port P / --socket PATH   Redis server (127.0.0.1:6379)\n"
        "  --user NAME      ACL user (or XIEZHI_REDIS_USERNAME); the password comes from\n"
        "                   XIEZHI_REDIS_PASSWORD only, never from the command line\n"
        "  --db N           database number\n"
        "  --key K          stream (xiezhi:alerts)\n"
        "  --group G        consumer group (xiezhi-alerts); created at the stream's start\n"
        "  --new-only       create a missing group at the stream's end instead\n"
        "  --consumer C     consumer name (default: host name); keep it stable so a\n"
        "                   restart resumes this consumer's pending entries\n"
        "  --json           print the raw EVE JSON\n"
        "  --follow, -f     keep waiting for new events (otherwise exit when caught up)\n"
        "  --severity N     only alerts with severity <= N (1 is the most severe)\n"
        "  --sensor ID      only events of this sensor\n"
        "  --sid N          only this signature id\n"
        "  --count N        entries per read (100)\n"
        "  --block MS       wait per read with --follow (2000)\n"
        "  --claim-idle MS  take over entries pending longer than this at other consumers (60000)\n"
        "  --limit N        stop after N entries (acknowledged ones)\n");
}

static int parse_long(const char *s, long min, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || !end || *end || v < min || v > max)
        return -1;
    *out = (long)v;
    return 0;
}

static int parse_options(struct options *o, int argc, char **argv)
{
    static char hostname[256];
    if (gethostname(hostname, sizeof hostname - 1) != 0)
        snprintf(hostname, sizeof hostname, "xiezhi-alerts");
    *o = (struct options){ .host = "127.0.0.1", .port = 6379, .key = "xiezhi:alerts",
                           .group = "xiezhi-alerts", .consumer = hostname, .sid = -1,
                           .count = 100, .block_ms = 2000, .claim_idle_ms = 60000 };
    o->user = getenv("XIEZHI_REDIS_USERNAME");
    static const struct option longs[] = {
        { "host", 1, 0, 'H' }, { "port", 1, 0, 'p' }, { "socket", 1, 0, 's' },
        { "user", 1, 0, 'u' }, { "db", 1, 0, 'd' }, { "key", 1, 0, 'k' },
        { "group", 1, 0, 'g' }, { "consumer", 1, 0, 'c' }, { "json", 0, 0, 'j' },
        { "follow", 0, 0, 'f' }, { "severity", 1, 0, 'S' }, { "sensor", 1, 0, 'n' },
        { "sid", 1, 0, 'i' }, { "count", 1, 0, 'C' }, { "block", 1, 0, 'b' },
        { "claim-idle", 1, 0, 'I' }, { "limit", 1, 0, 'l' }, { "new-only", 0, 0, 'N' },
        { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
    };
    int c;
    long v = 0;
    while ((c = getopt_long(argc, argv, "fjh", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'H': o->host = optarg; break;
        case 'p': bad = parse_long(optarg, 1, 65535, &v); o->port = (int)v; break;
        case 's': o->socket = optarg; break;
        case 'u': o->user = optarg; break;
        case 'd': bad = parse_long(optarg, 0, 1 << 20, &v); o->db = (int)v; break;
        case 'k': o->key = optarg; break;
        case 'g': o->group = optarg; break;
        case 'c': o->consumer = optarg; break;
        case 'j': o->json = true; break;
        case 'f': o->follow = true; break;
        case 'S': bad = parse_long(optarg, 1, 255, &o->severity); break;
        case 'n': o->sensor = optarg; break;
        case 'i': bad = parse_long(optarg, 0, LONG_MAX, &v); o->sid = v; break;
        case 'C': bad = parse_long(optarg, 1, 10000, &o->count); break;
        case 'b': bad = parse_long(optarg, 1, 3600000, &o->block_ms); break;
        case 'I': bad = parse_long(optarg, 0, LONG_MAX, &o->claim_idle_ms); break;
        case 'l': bad = parse_long(optarg, 1, LONG_MAX, &o->limit); break;
        case 'N': o->from_new = true; break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return 2;
        }
        if (bad) {
            fprintf(stderr, "xiezhi-alerts: bad value '%s'\n", optarg);
            return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }
    return 0;
}

/* ---- printing ---- */

enum { F_TIME, F_TYPE, F_ID, F_SEV, F_SID, F_SIG, F_SRC, F_SPORT, F_DST, F_DPORT, F_PROTO,
       F_APP, F_NDPI, F_GSRC, F_GDST, F_SENSOR, F_KIND, F_LEGACY_KIND, F_COUNT };

static const char *const field_paths[F_COUNT] = {
    [F_TIME] = "timestamp", [F_TYPE] = "event_type", [F_ID] = "event_id",
    [F_SEV] = "alert.severity", [F_SID] = "alert.signature_id", [F_SIG] = "alert.signature",
    [F_SRC] = "src_ip", [F_SPORT] = "src_port", [F_DST] = "dest_ip", [F_DPORT] = "dest_port",
    [F_PROTO] = "proto", [F_APP] = "app_proto", [F_NDPI] = "ndpi.protocol",
    [F_GSRC] = "geoip.src.country", [F_GDST] = "geoip.dest.country", [F_SENSOR] = "sensor.id",
    /* Behavioural detections; sensors before 0.2 (or with anomaly.event-type:
     * anomaly) named the object "anomaly". */
    [F_KIND] = "behavior.kind", [F_LEGACY_KIND] = "anomaly.kind",
};

/* Copies s with control and non-ASCII bytes replaced, so a hostile event
 * cannot drive the analyst's terminal. */
static const char *clean(const struct eve_field *f, const char *def)
{
    static char buf[32][EVE_FIELD_MAX];
    static int slot;
    if (!f->found || !f->value[0])
        return def;
    char *out = buf[slot++ % 32];
    size_t i = 0;
    for (; i < EVE_FIELD_MAX - 1 && f->value[i]; i++) {
        unsigned char c = (unsigned char)f->value[i];
        out[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
    }
    out[i] = '\0';
    return out;
}

/* An integer field, or def when absent or not a whole number. */
static long long field_int(const struct eve_field *f, long long def)
{
    if (!f->found)
        return def;
    char *end = NULL;
    errno = 0;
    long long v = strtoll(f->value, &end, 10);
    return errno || end == f->value || *end ? def : v;
}

static bool wanted_event(const struct options *o, const struct eve_field *f)
{
    if (o->severity && field_int(&f[F_SEV], LLONG_MAX) > o->severity)
        return false;
    if (o->sid >= 0 && field_int(&f[F_SID], -1) != o->sid)
        return false;
    if (o->sensor) {
        size_t n = strlen(o->sensor);
        bool by_id = f[F_SENSOR].found && strcmp(f[F_SENSOR].value, o->sensor) == 0;
        bool by_event = f[F_ID].found && strncmp(f[F_ID].value, o->sensor, n) == 0 &&
                        f[F_ID].value[n] == ':';
        if (!by_id && !by_event)
            return false;
    }
    return true;
}

static void print_event(const struct options *o, const char *id, const char *json, size_t len)
{
    struct eve_field f[F_COUNT];
    for (int i = 0; i < F_COUNT; i++)
        f[i].path = field_paths[i];
    if (eve_fields_extract(json, len, f, F_COUNT) != 0) {
        fprintf(stderr, "xiezhi-alerts: entry %s: not a JSON object; acknowledged and skipped\n", id);
        return;
    }
    if (!wanted_event(o, f))
        return;
    if (o->json) {
        fwrite(json, 1, len, stdout);    /* valid JSON: escapes keep it on one line */
        putchar('\n');
        return;
    }
    const char *what = f[F_SIG].found ? clean(&f[F_SIG], "") : clean(&f[F_KIND], clean(&f[F_LEGACY_KIND], clean(&f[F_TYPE], "?")));
    printf("%s sev=%s sid=%s \"%s\" %s %s:%s -> %s:%s app=%s geo=%s->%s sensor=%s id=%s\n",
           clean(&f[F_TIME], "-"), clean(&f[F_SEV], "-"), clean(&f[F_SID], "-"), what,
           clean(&f[F_PROTO], "-"), clean(&f[F_SRC], "?"), clean(&f[F_SPORT], "-"),
           clean(&f[F_DST], "?"), clean(&f[F_DPORT], "-"),
           clean(&f[F_APP], clean(&f[F_NDPI], "-")), clean(&f[F_GSRC], "?"),
           clean(&f[F_GDST], "?"), clean(&f[F_SENSOR], "-"), clean(&f[F_ID], "-"));
}

/* ---- Redis ---- */

struct consumer {
    const struct options *o;
    redisContext *c;
    long printed;
};

static redisReply *command(struct consumer *cs, int argc, const char **argv)
{
    redisReply *r = redisCommandArgv(cs->c, argc, argv, NULL);
    if (!r)
        fprintf(stderr, "xiezhi-alerts: redis: %s\n", cs->c->errstr);
    return r;
}

static int connect_redis(struct consumer *cs)
{
    const struct options *o = cs->o;
    struct timeval tv = { 5, 0 };
    cs->c = o->socket ? redisConnectUnixWithTimeout(o->socket, tv)
                      : redisConnectWithTimeout(o->host, o->port, tv);
    if (!cs->c || cs->c->err) {
        fprintf(stderr, "xiezhi-alerts: cannot connect to %s: %s\n", o->socket ? o->socket : o->host,
                cs->c ? cs->c->errstr : "out of memory");
        return -1;
    }
    /* reads may block up to --block; leave room for the reply */
    struct timeval rt = { (o->block_ms + 10000) / 1000, 0 };
    redisSetTimeout(cs->c, rt);
    const char *password = getenv("XIEZHI_REDIS_PASSWORD");
    if (password && password[0]) {
        const char *argv[3] = { "AUTH" };
        int argc = 1;
        if (o->user && o->user[0])
            argv[argc++] = o->user;
        argv[argc++] = password;
        redisReply *r = command(cs, argc, argv);
        if (!r)
            return -1;
        int bad = r->type == REDIS_REPLY_ERROR;
        if (bad)
            fprintf(stderr, "xiezhi-alerts: authentication failed: %s\n", r->str);
        freeReplyObject(r);
        if (bad)
            return -1;
    }
    if (o->db) {
        char db[16];
        snprintf(db, sizeof db, "%d", o->db);
        const char *argv[2] = { "SELECT", db };
        redisReply *r = command(cs, 2, argv);
        int bad = !r || r->type == REDIS_REPLY_ERROR;
        if (r)
            freeReplyObject(r);
        if (bad)
            return -1;
    }
    const char *argv[6] = { "XGROUP", "CREATE", o->key, o->group, o->from_new ? "$" : "0", "MKSTREAM" };
    redisReply *r = command(cs, 6, argv);
    if (!r)
        return -1;
    int bad = r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0;
    if (bad)
        fprintf(stderr, "xiezhi-alerts: XGROUP CREATE %s %s: %s\n", o->key, o->group, r->str);
    freeReplyObject(r);
    return bad ? -1 : 0;
}

/* Prints and acknowledges a list of entries [id, [field, value, ...]].
 * Returns how many entries there were; *last gets the last id. */
static long handle_entries(struct consumer *cs, const redisReply *entries, char *last, size_t last_size)
{
    if (!entries || entries->type != REDIS_REPLY_ARRAY || entries->elements == 0)
        return 0;
    const char **ack = calloc(entries->elements + 3, sizeof *ack);
    if (!ack)
        return -1;
    int nack = 0;
    ack[nack++] = "XACK";
    ack[nack++] = cs->o->key;
    ack[nack++] = cs->o->group;
    long n = 0;
    for (size_t i = 0; i < entries->elements; i++) {
        const redisReply *e = entries->element[i];
        if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 || e->element[0]->type != REDIS_REPLY_STRING)
            continue;
        const char *id = e->element[0]->str;
        const redisReply *fields = e->elements > 1 ? e->element[1] : NULL;
        /* a trimmed entry still pending arrives without fields: acknowledge it */
        if (fields && fields->type == REDIS_REPLY_ARRAY) {
            for (size_t k = 0; k + 1 < fields->elements; k += 2) {
                const redisReply *name = fields->element[k], *value = fields->element[k + 1];
                if (name->type == REDIS_REPLY_STRING && value->type == REDIS_REPLY_STRING &&
                    strcmp(name->str, "eve") == 0)
                    print_event(cs->o, id, value->str, value->len);
            }
        }
        ack[nack++] = id;
        snprintf(last, last_size, "%s", id);
        n++;
        if (cs->o->limit && cs->printed + n >= cs->o->limit)
            break;
    }
    fflush(stdout);      /* printed before acknowledged: a crash repeats, never loses */
    redisReply *r = command(cs, nack, ack);
    free(ack);
    if (!r)
        return -1;
    freeReplyObject(r);
    cs->printed += n;
    return n;
}

/* XREADGROUP ... STREAMS key <from>; from "0" re-reads our own pending. */
static long read_group(struct consumer *cs, const char *from, bool block, char *last, size_t last_size)
{
    char count[24], block_ms[24];
    long want = cs->o->count;
    if (cs->o->limit && cs->o->limit - cs->printed < want)
        want = cs->o->limit - cs->printed;
    snprintf(count, sizeof count, "%ld", want);
    snprintf(block_ms, sizeof block_ms, "%ld", cs->o->block_ms);
    const char *argv[12] = { "XREADGROUP", "GROUP", cs->o->group, cs->o->consumer, "COUNT", count };
    int argc = 6;
    if (block) {
        argv[argc++] = "BLOCK";
        argv[argc++] = block_ms;
    }
    argv[argc++] = "STREAMS";
    argv[argc++] = cs->o->key;
    argv[argc++] = from;
    redisReply *r = command(cs, argc, argv);
    if (!r)
        return -1;
    long n = 0;
    if (r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "xiezhi-alerts: XREADGROUP: %s\n", r->str);
        n = -1;
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements > 0 &&
               r->element[0]->type == REDIS_REPLY_ARRAY && r->element[0]->elements == 2) {
        n = handle_entries(cs, r->element[0]->element[1], last, last_size);
    }
    freeReplyObject(r);
    return n;
}

/* Takes over entries idle at other (dead) consumers: XAUTOCLAIM (Redis >= 6.2). */
static long claim_dead(struct consumer *cs)
{
    char start[64] = "0-0", idle[24], count[24], last[64];
    snprintf(idle, sizeof idle, "%ld", cs->o->claim_idle_ms);
    snprintf(count, sizeof count, "%ld", cs->o->count);
    long total = 0;
    for (int rounds = 0; rounds < 100000 && !stop; rounds++) {
        if (cs->o->limit && cs->printed >= cs->o->limit)
            break;
        const char *argv[8] = { "XAUTOCLAIM", cs->o->key, cs->o->group, cs->o->consumer, idle, start,
                                "COUNT", count };
        redisReply *r = command(cs, 8, argv);
        if (!r)
            return -1;
        if (r->type == REDIS_REPLY_ERROR) {
            fprintf(stderr, "xiezhi-alerts: XAUTOCLAIM: %s (Redis 6.2 or later needed to claim)\n", r->str);
            freeReplyObject(r);
            return 0;
        }
        long n = 0;
        bool done = true;
        if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 && r->element[0]->type == REDIS_REPLY_STRING) {
            snprintf(start, sizeof start, "%s", r->element[0]->str);
            n = handle_entries(cs, r->element[1], last, sizeof last);
            done = strcmp(start, "0-0") == 0;
        }
        freeReplyObject(r);
        if (n < 0)
            return -1;
        total += n;
        if (done)
            break;
    }
    return total;
}

static bool at_limit(const struct consumer *cs)
{
    return cs->o->limit && cs->printed >= cs->o->limit;
}

/* One session on one connection: own pending entries, claims, new entries.
 * Returns 0 when done (caught up, limit, signal), -1 on a Redis failure. */
static int consume(struct consumer *cs)
{
    const struct options *o = cs->o;
    char last[64] = "0";
    /* 1. our own pending entries: printed but not acknowledged last time */
    char from[64] = "0";
    long n = 0;
    while (!stop && !at_limit(cs) && (n = read_group(cs, from, false, last, sizeof last)) > 0)
        snprintf(from, sizeof from, "%s", last);
    if (n < 0)
        return -1;
    /* 2. entries stuck at dead consumers */
    if (!stop && !at_limit(cs) && claim_dead(cs) < 0)
        return -1;
    /* 3. new entries */
    time_t last_claim = time(NULL);
    while (!stop && !at_limit(cs)) {
        n = read_group(cs, ">", o->follow, last, sizeof last);
        if (n < 0)
            return -1;
        if (n == 0 && !o->follow)
            return 0;            /* caught up */
        if (o->follow && time(NULL) - last_claim >= o->claim_idle_ms / 2000 + 1) {
            last_claim = time(NULL);
            if (claim_dead(cs) < 0)
                return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(&o, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct consumer cs = { .o = &o };
    /* --follow survives Redis restarts: reconnect and resume (own pending
     * entries first, so nothing is missed); otherwise a failure ends the run */
    for (unsigned attempt = 0;; attempt++) {
        rc = connect_redis(&cs) == 0 ? consume(&cs) : -1;
        if (cs.c)
            redisFree(cs.c);
        cs.c = NULL;
        if (rc == 0 || stop || !o.follow)
            break;
        if (attempt == 0)
            fprintf(stderr, "xiezhi-alerts: reconnecting\n");
        sleep(attempt < 5 ? 1 : 5);
    }
    return rc == 0 ? 0 : 1;
}
