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
#include "exporters/redis_topology.h"
#include "util/utf8.h"

/* ---- options ---- */

struct options {
    const char *host, *socket, *user, *key, *group, *consumer;
    const char *sentinels, *master, *cluster;   /* comma-separated host:port lists */
    int port, db;
    bool json, follow, from_new, key_set, sensors, summary;
    const char *segment;       /* --summary: only this segment */
    long since_s;              /* --summary: this far back (seconds) */
    long severity;             /* show severity <= this; 0 = all */
    const char *sensor;
    long long sid;             /* -1 = all */
    long count, block_ms, claim_idle_ms, limit;
    char *password;            /* from XIEZHI_REDIS_PASSWORD, which is then scrubbed */
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
        "  --sentinel LIST --master NAME   find the primary through these sentinels\n"
        "                   (host:port,...; XIEZHI_SENTINEL_PASSWORD for their AUTH)\n"
        "  --cluster LIST   a Redis Cluster (seed nodes host:port,...); without --key,\n"
        "                   every sensor's stream xiezhi:{ID}:alerts on every shard\n"
        "  --sensors        the fleet view: every sensor's heartbeat as a table\n"
        "  --summary        the situation aggregates per segment and minute, as a table\n"
        "  --segment S      --summary: only segment S\n"
        "  --since DUR      --summary: this far back (1h; s, m, h, d)\n"
        "  --key K          stream (xiezhi:alerts)\n"
        "  --group G        consumer group (xiezhi-alerts); created at the stream's start\n"
        "  --new-only       create a missing group at the stream's end instead\n"
        "  --consumer C     consumer name (default: host name); keep it stable so a\n"
        "                   restart resumes this consumer's pending entries\n"
        "  --json           print the EVE JSON (controls escaped for the terminal)\n"
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

/* "90", "30m", "1h", "2d" -> seconds. */
static int parse_duration(const char *s, long *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!end || end == s || v <= 0 || v > 100000000)
        return -1;
    long unit = *end == 'd' ? 86400 : *end == 'h' ? 3600 : *end == 'm' ? 60 : 1;
    if (*end && (strchr("smhd", *end) == NULL || end[1]))
        return -1;
    *out = v * unit;
    return 0;
}

static int parse_options(struct options *o, int argc, char **argv)
{
    static char hostname[256];
    if (gethostname(hostname, sizeof hostname - 1) != 0)
        snprintf(hostname, sizeof hostname, "xiezhi-alerts");
    *o = (struct options){ .host = "127.0.0.1", .port = 6379, .key = "xiezhi:alerts",
                           .group = "xiezhi-alerts", .consumer = hostname, .sid = -1,
                           .count = 100, .block_ms = 2000, .claim_idle_ms = 60000, .since_s = 3600 };
    o->user = getenv("XIEZHI_REDIS_USERNAME");
    static const struct option longs[] = {
        { "host", 1, 0, 'H' }, { "port", 1, 0, 'p' }, { "socket", 1, 0, 's' },
        { "user", 1, 0, 'u' }, { "db", 1, 0, 'd' }, { "key", 1, 0, 'k' },
        { "group", 1, 0, 'g' }, { "consumer", 1, 0, 'c' }, { "json", 0, 0, 'j' },
        { "follow", 0, 0, 'f' }, { "severity", 1, 0, 'S' }, { "sensor", 1, 0, 'n' },
        { "sid", 1, 0, 'i' }, { "count", 1, 0, 'C' }, { "block", 1, 0, 'b' },
        { "claim-idle", 1, 0, 'I' }, { "limit", 1, 0, 'l' }, { "new-only", 0, 0, 'N' },
        { "sentinel", 1, 0, 'T' }, { "master", 1, 0, 'M' }, { "cluster", 1, 0, 'K' },
        { "sensors", 0, 0, 'F' }, { "summary", 0, 0, 'Y' }, { "segment", 1, 0, 'G' },
        { "since", 1, 0, 'W' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
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
        case 'k': o->key = optarg; o->key_set = true; break;
        case 'T': o->sentinels = optarg; break;
        case 'M': o->master = optarg; break;
        case 'K': o->cluster = optarg; break;
        case 'F': o->sensors = true; break;
        case 'Y': o->summary = true; break;
        case 'G': o->segment = optarg; break;
        case 'W': bad = parse_duration(optarg, &o->since_s); break;
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
    if ((o->sentinels && !o->master) || (o->sentinels && o->cluster) ||
        ((o->sentinels || o->cluster) && o->socket)) {
        fprintf(stderr, "xiezhi-alerts: --sentinel needs --master; --sentinel, --cluster and "
                "--socket exclude each other\n");
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

/* --json: the event as it came, made safe for a terminal.  The parser has
 * accepted it as one JSON object (no raw C0 control inside its strings),
 * but valid JSON may still carry DEL and C1 controls (U+0080-U+009F, e.g.
 * the 8-bit CSI U+009B) raw, and whitespace that would break the line:
 * those are written as \u escapes (spaces outside strings), bytes that
 * are not UTF-8 as \ufffd.  The JSON stays equivalent where it was valid. */
static void print_json_safe(const char *json, size_t len)
{
    const unsigned char *s = (const unsigned char *)json;
    bool in_string = false, escaped = false;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (!in_string || escaped || c == '\\' || c == '"') {
            if (!in_string && c == '"')
                in_string = true;
            else if (in_string && !escaped && c == '"')
                in_string = false;
            escaped = in_string && !escaped && c == '\\';
            putchar(c < 0x20 || c >= 0x7f ? (in_string ? '?' : ' ') : c);
            i++;
            continue;
        }
        size_t n = c < 0x80 ? 1 : utf8_sequence_length(s + i, len - i);
        if (c < 0x20 || c == 0x7f) {
            printf("\\u%04x", c);
            i++;
        } else if (n == 2 && c == 0xC2 && s[i + 1] <= 0x9F) {
            printf("\\u%04x", s[i + 1]);
            i += 2;
        } else if (n) {
            fwrite(s + i, 1, n, stdout);
            i += n;
        } else {
            fputs("\\ufffd", stdout);
            i++;
        }
    }
    putchar('\n');
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
        print_json_safe(json, len);
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
    const char *key;               /* the stream read now */
    char host[256];                /* where it lives (primary, slot owner) */
    int port;
    struct redis_topology topo;    /* the sentinels or the cluster's seeds */
};

/* "h:p,h:p" into topo's node list; -1 on a bad entry. */
static int parse_nodes(struct redis_topology *t, const char *list)
{
    char *copy = strdup(list), *save = NULL;
    if (!copy)
        return -1;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        struct redis_node *grown = realloc(t->nodes, (t->nnodes + 1) * sizeof *grown);
        if (!grown) {
            rc = -1;
            break;
        }
        t->nodes = grown;
        if (redis_node_parse(tok, &t->nodes[t->nnodes]) != 0) {
            fprintf(stderr, "xiezhi-alerts: '%s' is not host:port\n", tok);
            rc = -1;
            break;
        }
        t->nnodes++;
    }
    free(copy);
    return rc;
}

/* Where cs->key is written now: the server given, the sentinels' primary,
 * or the primary owning its slot. */
static int resolve_endpoint(struct consumer *cs)
{
    const struct options *o = cs->o;
    char err[300];
    struct timeval tv = { 5, 0 };
    const char *password = getenv("XIEZHI_REDIS_PASSWORD");
    int rc = 0;
    if (o->sentinels)
        rc = redis_topology_primary(&cs->topo, tv, cs->host, sizeof cs->host, &cs->port, err, sizeof err);
    else if (o->cluster)
        rc = redis_topology_slot_owner(&cs->topo, redis_key_slot(cs->key, strlen(cs->key)), tv, o->user,
                                       password && password[0] ? password : NULL, cs->host,
                                       sizeof cs->host, &cs->port, err, sizeof err);
    else {
        snprintf(cs->host, sizeof cs->host, "%s", o->host);
        cs->port = o->port;
    }
    if (rc != 0)
        fprintf(stderr, "xiezhi-alerts: %s\n", err);
    return rc;
}

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
    if (!o->socket && resolve_endpoint(cs) != 0)
        return -1;
    cs->c = o->socket ? redisConnectUnixWithTimeout(o->socket, tv)
                      : redisConnectWithTimeout(cs->host, cs->port, tv);
    if (!cs->c || cs->c->err) {
        fprintf(stderr, "xiezhi-alerts: cannot connect to %s: %s\n", o->socket ? o->socket : cs->host,
                cs->c ? cs->c->errstr : "out of memory");
        return -1;
    }
    /* reads may block up to --block; leave room for the reply */
    struct timeval rt = { (o->block_ms + 10000) / 1000, 0 };
    redisSetTimeout(cs->c, rt);
    const char *password = o->password;
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
    if (o->sentinels) {
        char err[200];
        if (redis_topology_is_primary(cs->c, err, sizeof err) != 0) {
            fprintf(stderr, "xiezhi-alerts: %s:%d: %s\n", cs->host, cs->port, err);
            return -1;
        }
    }
    if (o->sensors)
        return 0;
    const char *argv[6] = { "XGROUP", "CREATE", cs->key, o->group, o->from_new ? "$" : "0", "MKSTREAM" };
    redisReply *r = command(cs, 6, argv);
    if (!r)
        return -1;
    int bad = r->type == REDIS_REPLY_ERROR && strncmp(r->str, "BUSYGROUP", 9) != 0;
    if (bad)
        fprintf(stderr, "xiezhi-alerts: XGROUP CREATE %s %s: %s\n", cs->key, o->group, r->str);
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
    ack[nack++] = cs->key;
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
    argv[argc++] = cs->key;
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
        const char *argv[8] = { "XAUTOCLAIM", cs->key, cs->o->group, cs->o->consumer, idle, start,
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

/* ---- several nodes: the cluster's primaries ---- */

/* Every primary of the cluster, from CLUSTER SLOTS on the node cs->c is
 * connected to; host/port pairs, at most max. */
static size_t cluster_primaries(struct consumer *cs, struct redis_node *out, size_t max)
{
    const char *argv[2] = { "CLUSTER", "SLOTS" };
    redisReply *r = command(cs, 2, argv);
    size_t n = 0;
    for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements && n < max; i++) {
        const redisReply *range = r->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3)
            continue;
        const redisReply *node = range->element[2];
        if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 ||
            node->element[0]->type != REDIS_REPLY_STRING || node->element[1]->type != REDIS_REPLY_INTEGER ||
            node->element[1]->integer < 1 || node->element[1]->integer > 65535 || node->element[0]->len > 255)
            continue;
        bool seen = false;
        for (size_t k = 0; k < n; k++)
            seen = seen || (out[k].port == node->element[1]->integer && strcmp(out[k].host, node->element[0]->str) == 0);
        if (seen)
            continue;
        out[n].host = strdup(node->element[0]->str);
        out[n].port = (int)node->element[1]->integer;
        if (out[n].host)
            n++;
    }
    if (r)
        freeReplyObject(r);
    return n;
}

/* Connects cs to host:port as is (no topology lookup). */
static int connect_node(struct consumer *cs, const char *host, int port)
{
    char err[300];
    const char *password = getenv("XIEZHI_REDIS_PASSWORD");
    struct timeval tv = { 5, 0 };
    cs->c = redis_node_connect(host, port, tv, cs->o->user && cs->o->user[0] ? cs->o->user : NULL,
                               password && password[0] ? password : NULL, err, sizeof err);
    if (!cs->c)
        fprintf(stderr, "xiezhi-alerts: %s\n", err);
    return cs->c ? 0 : -1;
}

/* The nodes to scan: the cluster's primaries, or the one server. */
static size_t scan_nodes(struct consumer *cs, struct redis_node *out, size_t max)
{
    if (!cs->o->cluster) {
        out[0].host = strdup(cs->host);
        out[0].port = cs->port;
        return out[0].host ? 1 : 0;
    }
    if (connect_node(cs, cs->topo.nodes[0].host, cs->topo.nodes[0].port) != 0)
        return 0;
    size_t n = cluster_primaries(cs, out, max);
    redisFree(cs->c);
    cs->c = NULL;
    return n;
}

/* SCAN ... MATCH pattern TYPE type on cs->c, each key to fn. */
static int scan_keys(struct consumer *cs, const char *pattern, const char *type,
                     void (*fn)(struct consumer *cs, const char *key, void *ctx), void *ctx)
{
    char cursor[32] = "0";
    do {
        const char *argv[8] = { "SCAN", cursor, "MATCH", pattern, "COUNT", "1000", "TYPE", type };
        redisReply *r = command(cs, 8, argv);
        if (!r)
            return -1;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->type != REDIS_REPLY_STRING ||
            r->element[0]->len >= sizeof cursor || r->element[1]->type != REDIS_REPLY_ARRAY) {
            fprintf(stderr, "xiezhi-alerts: SCAN: %s\n", r->type == REDIS_REPLY_ERROR ? r->str : "bad reply");
            freeReplyObject(r);
            return -1;
        }
        snprintf(cursor, sizeof cursor, "%s", r->element[0]->str);
        for (size_t i = 0; i < r->element[1]->elements; i++)
            if (r->element[1]->element[i]->type == REDIS_REPLY_STRING)
                fn(cs, r->element[1]->element[i]->str, ctx);
        freeReplyObject(r);
    } while (strcmp(cursor, "0") != 0 && !stop);
    return 0;
}

/* ---- the fleet view ---- */

#define MAX_ROWS 4096
struct fleet {
    char *rows[MAX_ROWS];
    size_t n;
};

/* A number from Redis text; 0 when it is none. */
static long long num(const char *s)
{
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    return end && end != s ? v : 0;
}

static const char *hash_get(const redisReply *r, const char *field)
{
    for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i + 1 < r->elements; i += 2)
        if (r->element[i]->type == REDIS_REPLY_STRING && strcmp(r->element[i]->str, field) == 0 &&
            r->element[i + 1]->type == REDIS_REPLY_STRING)
            return r->element[i + 1]->str;
    return "";
}

/* Printable and bounded: heartbeat fields are written by whoever can write
 * to Redis. */
static void cell(char *out, size_t size, const char *in)
{
    size_t w = 0;
    for (const unsigned char *p = (const unsigned char *)in; *p && w + 1 < size; p++)
        out[w++] = (*p >= 0x20 && *p < 0x7f) ? (char)*p : '?';
    out[w] = '\0';
}

static void fleet_row(struct consumer *cs, const char *key, void *ctx)
{
    struct fleet *f = ctx;
    if (f->n >= MAX_ROWS || strncmp(key, "xiezhi:sensor:", 14) != 0)
        return;
    const char *argv[2] = { "HGETALL", key };
    redisReply *r = command(cs, 2, argv);
    if (!r)
        return;
    char id[40], seg[24], ver[16], v[8][24];
    cell(id, sizeof id, key + 14);
    cell(seg, sizeof seg, hash_get(r, "segment"));
    cell(ver, sizeof ver, hash_get(r, "version"));
    const char *names[] = { "packets", "drops", "alerts", "spool_depth", "spool_dropped" };
    for (int i = 0; i < 5; i++)
        cell(v[i], sizeof v[i], hash_get(r, names[i]));
    long long now = (long long)time(NULL), updated = num(hash_get(r, "updated"));
    long long start = num(hash_get(r, "start_time")), last = num(hash_get(r, "last_event_time"));
    long long interval = num(hash_get(r, "interval")), growth = num(hash_get(r, "spool_growth"));
    if (interval <= 0)
        interval = 5;
    char status[64] = "";
    if (now - updated > 2 * interval)
        snprintf(status, sizeof status, "STALE(%llds)", now - updated);
    if (growth > 0)
        snprintf(status + strlen(status), sizeof status - strlen(status), "%sSPOOL+%lld",
                 status[0] ? "," : "", growth);
    char last_s[32] = "-";
    if (last > 0)
        snprintf(last_s, sizeof last_s, "%llds ago", now - last);
    char *row = malloc(512);
    if (row)
        snprintf(row, 512, "%-20s %-12s %-8s %8llds %10s %8s %8s %8s %8s %-10s %s", id, seg, ver,
                 start > 0 ? now - start : 0LL, v[0], v[1], v[2], v[3], v[4], last_s,
                 status[0] ? status : "ok");
    if (row)
        f->rows[f->n++] = row;
    freeReplyObject(r);
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SCANs every node for keys of pattern and type, fn making one row of f per
 * key, then prints the rows sorted under header and frees them.  The fleet
 * view (--sensors) and the aggregates (--summary) are both such tables. */
static int print_fleet_table(struct consumer *cs, const char *pattern, const char *type,
                             void (*fn)(struct consumer *cs, const char *key, void *ctx),
                             const char *header)
{
    struct redis_node nodes[64];
    size_t nn = scan_nodes(cs, nodes, 64);
    if (nn == 0)
        return -1;
    struct fleet *f = calloc(1, sizeof *f);
    int rc = f ? 0 : -1;
    for (size_t i = 0; f && i < nn && rc == 0; i++) {
        rc = connect_node(cs, nodes[i].host, nodes[i].port);
        if (rc == 0)
            rc = scan_keys(cs, pattern, type, fn, f);
        if (cs->c)
            redisFree(cs->c);
        cs->c = NULL;
    }
    if (f && rc == 0) {
        qsort(f->rows, f->n, sizeof *f->rows, row_cmp);
        fputs(header, stdout);
        for (size_t i = 0; i < f->n; i++)
            printf("%s\n", f->rows[i]);
    }
    for (size_t i = 0; f && i < f->n; i++)
        free(f->rows[i]);
    free(f);
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].host);
    return rc;
}

static int list_sensors(struct consumer *cs)
{
    char header[160];
    snprintf(header, sizeof header, "%-20s %-12s %-8s %9s %10s %8s %8s %8s %8s %-10s %s\n", "SENSOR",
             "SEGMENT", "VERSION", "UPTIME", "PACKETS", "DROPS", "ALERTS", "SPOOL", "LOST",
             "LAST-EVENT", "STATUS");
    return print_fleet_table(cs, "xiezhi:sensor:*", "hash", fleet_row, header);
}

/* ---- the situation aggregates ---- */

static redisReply *argv_cmd(struct consumer *cs, int argc, const char **argv)
{
    redisReply *r = command(cs, argc, argv);
    if (r && r->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "xiezhi-alerts: %s: %s\n", argv[0], r->str);
        freeReplyObject(r);
        return NULL;
    }
    return r;
}

/* One segment's minutes (its keys share a slot, so this node has them). */
static void summary_segment(struct consumer *cs, const char *key, void *ctx)
{
    struct fleet *f = ctx;
    const char *open = strchr(key, '{'), *close = open ? strchr(open, '}') : NULL;
    if (!open || !close || f->n >= MAX_ROWS)
        return;
    char segment[64];
    snprintf(segment, sizeof segment, "%.*s", (int)(close - open - 1), open + 1);
    if (cs->o->segment && strcmp(segment, cs->o->segment) != 0)
        return;
    char from[32];
    snprintf(from, sizeof from, "%lld", ((long long)time(NULL) - cs->o->since_s) / 60);
    const char *range[4] = { "ZRANGEBYSCORE", key, from, "+inf" };
    redisReply *minutes = argv_cmd(cs, 4, range);
    for (size_t i = 0; minutes && minutes->type == REDIS_REPLY_ARRAY && i < minutes->elements &&
                       f->n < MAX_ROWS; i++) {
        if (minutes->element[i]->type != REDIS_REPLY_STRING || minutes->element[i]->len > 12)
            continue;
        const char *stamp = minutes->element[i]->str;
        char k[300], sev[5][24] = { "0", "0", "0", "0", "0" }, top[96] = "-", seg_cell[24];
        long long total = 0, sources = 0;
        snprintf(k, sizeof k, "%.*s:%s:severity", (int)(close - key + 1), key, stamp);
        const char *hg[2] = { "HGETALL", k };
        redisReply *r = argv_cmd(cs, 2, hg);
        static const char *const names[5] = { "1", "2", "3", "4", "other" };
        for (int s = 0; s < 5; s++) {
            snprintf(sev[s], sizeof sev[s], "%lld", num(r ? hash_get(r, names[s]) : ""));
            total += num(sev[s]);
        }
        if (r)
            freeReplyObject(r);
        snprintf(k, sizeof k, "%.*s:%s:sources", (int)(close - key + 1), key, stamp);
        const char *pf[2] = { "PFCOUNT", k };
        if ((r = argv_cmd(cs, 2, pf)) != NULL) {
            sources = r->type == REDIS_REPLY_INTEGER ? r->integer : 0;
            freeReplyObject(r);
        }
        snprintf(k, sizeof k, "%.*s:%s:signatures", (int)(close - key + 1), key, stamp);
        const char *zr[5] = { "ZREVRANGE", k, "0", "0", "WITHSCORES" };
        if ((r = argv_cmd(cs, 5, zr)) != NULL) {
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                r->element[0]->type == REDIS_REPLY_STRING && r->element[1]->type == REDIS_REPLY_STRING) {
                char name[80];
                cell(name, sizeof name, r->element[0]->str);
                snprintf(top, sizeof top, "%s (%s)", name, r->element[1]->str);
            }
            freeReplyObject(r);
        }
        cell(seg_cell, sizeof seg_cell, segment);
        char when[20];
        snprintf(when, sizeof when, "%.4s-%.2s-%.2s %.2s:%.2s", stamp, stamp + 4, stamp + 6, stamp + 8,
                 stamp + 10);
        char *row = malloc(400);
        if (row) {
            snprintf(row, 400, "%-16s %-16s %8lld %6s %6s %6s %6s %8lld  %s", seg_cell, when, total,
                     sev[0], sev[1], sev[2], sev[3], sources, top);
            f->rows[f->n++] = row;
        }
    }
    if (minutes)
        freeReplyObject(minutes);
}

static int print_summary(struct consumer *cs)
{
    char header[160];
    snprintf(header, sizeof header, "%-16s %-16s %8s %6s %6s %6s %6s %8s  %s\n", "SEGMENT",
             "MINUTE (UTC)", "ALERTS", "SEV1", "SEV2", "SEV3", "SEV4", "SOURCES",
             "TOP SIGNATURE (alerts)");
    return print_fleet_table(cs, "xiezhi:agg:{*}:minutes", "zset", summary_segment, header);
}

/* ---- every sensor's stream in a cluster ---- */

struct streams {
    char *keys[MAX_ROWS];
    size_t n;
};

static void stream_key(struct consumer *cs, const char *key, void *ctx)
{
    (void)cs;
    struct streams *st = ctx;
    if (st->n < MAX_ROWS && (st->keys[st->n] = strdup(key)) != NULL)
        st->n++;
}

static int consume(struct consumer *cs);

/* One pass over every xiezhi:{ID}:alerts stream of every shard: each is
 * read through its own consumer group until caught up. */
static int consume_all_streams(struct consumer *cs)
{
    struct redis_node nodes[64];
    size_t nn = scan_nodes(cs, nodes, 64);
    struct streams *st = calloc(1, sizeof *st);
    int rc = nn && st ? 0 : -1;
    for (size_t i = 0; st && i < nn && rc == 0; i++) {
        rc = connect_node(cs, nodes[i].host, nodes[i].port);
        if (rc == 0)
            rc = scan_keys(cs, "xiezhi:{*}:alerts", "stream", stream_key, st);
        if (cs->c)
            redisFree(cs->c);
        cs->c = NULL;
    }
    if (st)
        qsort(st->keys, st->n, sizeof *st->keys, row_cmp);
    for (size_t i = 0; st && i < st->n && rc == 0 && !stop; i++) {
        cs->key = st->keys[i];
        rc = connect_redis(cs) == 0 ? consume(cs) : -1;
        if (cs->c)
            redisFree(cs->c);
        cs->c = NULL;
    }
    for (size_t i = 0; st && i < st->n; i++)
        free(st->keys[i]);
    free(st);
    for (size_t i = 0; i < nn; i++)
        free(nodes[i].host);
    return rc;
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(&o, argc, argv);
    if (rc)
        return rc == 1 ? 0 : 2;
    /* Read once and scrubbed out of /proc/PID/environ (unsetenv alone leaves
     * the original environment block in place). */
    char *env = getenv("XIEZHI_REDIS_PASSWORD");
    o.password = env && env[0] ? strdup(env) : NULL;
    if (env) {
        explicit_bzero(env, strlen(env));
        unsetenv("XIEZHI_REDIS_PASSWORD");
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct consumer cs = { .o = &o, .key = o.key };
    if (o.sentinels || o.cluster) {
        cs.topo.kind = o.sentinels ? REDIS_SENTINEL : REDIS_CLUSTER;
        cs.topo.master = o.master ? strdup(o.master) : NULL;
        const char *spw = getenv("XIEZHI_SENTINEL_PASSWORD");
        cs.topo.sentinel_password = o.sentinels && spw && spw[0] ? strdup(spw) : NULL;
        if (parse_nodes(&cs.topo, o.sentinels ? o.sentinels : o.cluster) != 0 || cs.topo.nnodes == 0) {
            redis_topology_free(&cs.topo);
            return 2;
        }
    }
    if (o.sensors || o.summary) {
        if (!o.cluster && resolve_endpoint(&cs) != 0)
            return 1;
        rc = o.sensors ? list_sensors(&cs) : print_summary(&cs);
        redis_topology_free(&cs.topo);
        return rc == 0 ? 0 : 1;
    }
    /* --follow survives Redis restarts: reconnect and resume (own pending
     * entries first, so nothing is missed); otherwise a failure ends the run */
    bool all_streams = o.cluster && !o.key_set;
    for (unsigned attempt = 0;; attempt++) {
        if (all_streams)
            rc = consume_all_streams(&cs);
        else
            rc = connect_redis(&cs) == 0 ? consume(&cs) : -1;
        if (rc == 0 && all_streams && o.follow && !stop) {
            sleep(1);              /* another pass: new entries, new sensors */
            attempt = 0;
            continue;
        }
        if (cs.c)
            redisFree(cs.c);
        cs.c = NULL;
        if (rc == 0 || stop || !o.follow)
            break;
        if (attempt == 0)
            fprintf(stderr, "xiezhi-alerts: reconnecting\n");
        sleep(attempt < 5 ? 1 : 5);
    }
    redis_topology_free(&cs.topo);
    free(o.password);
    return rc == 0 ? 0 : 1;
}
