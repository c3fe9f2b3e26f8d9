/* Situation aggregates (see redis_aggregates.h): alerts are read back with
 * the bounded EVE field reader, summed per minute in small fixed tables, and
 * written as HINCRBY / PFADD / ZINCRBY / EXPIRE after each batch. */
#include "exporters/redis_aggregates.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event/eve_fields.h"
#include "util/text.h"

#define AGG_MINUTES   8       /* minutes one batch may span */
#define AGG_NAMES     32      /* categories, signatures per minute */
#define AGG_SOURCES   1100    /* distinct sources per minute and batch */

struct agg_count {
    char name[200];
    uint64_t n;
};

struct agg_minute {
    int64_t minute;           /* unix minutes, UTC; 0 = unused */
    uint64_t severity[5];     /* 1..4, then anything else */
    struct agg_count categories[AGG_NAMES], signatures[AGG_NAMES];
    size_t ncat, nsig, nsrc;
    char sources[AGG_SOURCES][46];
};

struct redis_agg {
    char segment[128];
    char slot_key[160];
    int64_t ttl;
    struct agg_minute m[AGG_MINUTES];
};

struct redis_agg *redis_agg_new(const char *segment, int64_t ttl_seconds)
{
    struct redis_agg *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    /* braces would break the hash tag; an empty segment gets a name */
    size_t w = 0;
    for (const char *p = segment && segment[0] ? segment : "-"; *p && w + 1 < sizeof a->segment; p++)
        a->segment[w++] = (*p == '{' || *p == '}') ? '_' : *p;
    a->segment[w] = '\0';
    snprintf(a->slot_key, sizeof a->slot_key, "{%s}", a->segment);
    a->ttl = ttl_seconds > 0 ? ttl_seconds : 86400;
    return a;
}

void redis_agg_free(struct redis_agg *a)
{
    free(a);
}

const char *redis_agg_slot_key(const struct redis_agg *a)
{
    return a->slot_key;
}

/* "2026-01-01T10:20:30.123456+0800" -> unix minutes (UTC); 0 if not that. */
static int64_t parse_minute(const char *ts)
{
    const char *p = ts;
    struct tm tm = { 0 };
    tm.tm_year = text_decimal_digits(&p, 4);
    if (*p++ != '-' || (tm.tm_mon = text_decimal_digits(&p, 2)) < 1 || tm.tm_mon > 12 ||
        *p++ != '-' || (tm.tm_mday = text_decimal_digits(&p, 2)) < 1 || tm.tm_mday > 31 ||
        *p++ != 'T' || (tm.tm_hour = text_decimal_digits(&p, 2)) < 0 || tm.tm_hour > 23 ||
        *p++ != ':' || (tm.tm_min = text_decimal_digits(&p, 2)) < 0 || tm.tm_min > 59 ||
        tm.tm_year < 1970)
        return 0;
    while (*p == ':' || *p == '.' || (*p >= '0' && *p <= '9'))
        p++;
    int64_t off = 0;
    if (*p == '+' || *p == '-') {
        char sign = *p++;
        int h = text_decimal_digits(&p, 2), m = text_decimal_digits(&p, 2);
        if (h < 0 || h > 23 || m < 0 || m > 59)
            return 0;
        off = (int64_t)h * 3600 + (int64_t)m * 60;
        off = sign == '+' ? off : -off;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t t = (int64_t)timegm(&tm) - off;
    return t > 0 ? t / 60 : 0;
}

static struct agg_minute *minute_slot(struct redis_agg *a, int64_t minute)
{
    for (size_t i = 0; i < AGG_MINUTES; i++)
        if (a->m[i].minute == minute)
            return &a->m[i];
    for (size_t i = 0; i < AGG_MINUTES; i++)
        if (a->m[i].minute == 0) {
            a->m[i].minute = minute;
            return &a->m[i];
        }
    return NULL;
}

static void count_name(struct agg_count *set, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(set[i].name, name) == 0) {
            set[i].n++;
            return;
        }
    if (*n < AGG_NAMES) {
        snprintf(set[*n].name, sizeof set[*n].name, "%s", name);
        set[(*n)++].n = 1;
    }
}

void redis_agg_add(struct redis_agg *a, const char *json, size_t len)
{
    enum { TS, TYPE, SEV, CAT, SRC, SID, SIG, NF };
    struct eve_field f[NF] = {
        [TS] = { .path = "timestamp" }, [TYPE] = { .path = "event_type" },
        [SEV] = { .path = "alert.severity" }, [CAT] = { .path = "alert.category" },
        [SRC] = { .path = "src_ip" }, [SID] = { .path = "alert.signature_id" },
        [SIG] = { .path = "alert.signature" },
    };
    if (eve_fields_extract(json, len, f, NF) != 0 || !f[TYPE].found ||
        strcmp(f[TYPE].value, "alert") != 0 || !f[TS].found)
        return;
    int64_t minute = parse_minute(f[TS].value);
    struct agg_minute *m = minute ? minute_slot(a, minute) : NULL;
    if (!m)
        return;
    long sev = f[SEV].found ? strtol(f[SEV].value, NULL, 10) : 0;
    m->severity[sev >= 1 && sev <= 4 ? sev - 1 : 4]++;
    count_name(m->categories, &m->ncat, f[CAT].found && f[CAT].value[0] ? f[CAT].value : "-");
    char member[200];
    snprintf(member, sizeof member, "%.20s %.170s", f[SID].found ? f[SID].value : "0",
             f[SIG].found ? f[SIG].value : "");
    count_name(m->signatures, &m->nsig, member);
    if (f[SRC].found && m->nsrc < AGG_SOURCES)
        snprintf(m->sources[m->nsrc++], sizeof m->sources[0], "%.45s", f[SRC].value);
}

/* Appends one command; counts it. */
static void append(redisContext *c, size_t *sent, int argc, const char **argv)
{
    if (redisAppendCommandArgv(c, argc, argv, NULL) == REDIS_OK)
        (*sent)++;
}

static void flush_minute(struct redis_agg *a, const struct agg_minute *m, redisContext *c, size_t *sent)
{
    time_t t = (time_t)(m->minute * 60);
    struct tm tm;
    gmtime_r(&t, &tm);
    char stamp[16], base[200], key[240], num[24], ttl[24], score[24];
    strftime(stamp, sizeof stamp, "%Y%m%d%H%M", &tm);
    snprintf(base, sizeof base, "xiezhi:agg:{%s}:%s", a->segment, stamp);
    snprintf(ttl, sizeof ttl, "%" PRId64, a->ttl);
    static const char *const sev_names[5] = { "1", "2", "3", "4", "other" };
    snprintf(key, sizeof key, "%s:severity", base);
    for (int s = 0; s < 5; s++)
        if (m->severity[s]) {
            snprintf(num, sizeof num, "%" PRIu64, m->severity[s]);
            const char *argv[4] = { "HINCRBY", key, sev_names[s], num };
            append(c, sent, 4, argv);
        }
    const char *exp[3] = { "EXPIRE", key, ttl };
    append(c, sent, 3, exp);
    char ckey[240];
    snprintf(ckey, sizeof ckey, "%s:category", base);
    for (size_t i = 0; i < m->ncat; i++) {
        snprintf(num, sizeof num, "%" PRIu64, m->categories[i].n);
        const char *argv[4] = { "HINCRBY", ckey, m->categories[i].name, num };
        append(c, sent, 4, argv);
    }
    const char *cexp[3] = { "EXPIRE", ckey, ttl };
    append(c, sent, 3, cexp);
    char zkey[240];
    snprintf(zkey, sizeof zkey, "%s:signatures", base);
    for (size_t i = 0; i < m->nsig; i++) {
        snprintf(num, sizeof num, "%" PRIu64, m->signatures[i].n);
        const char *argv[4] = { "ZINCRBY", zkey, num, m->signatures[i].name };
        append(c, sent, 4, argv);
    }
    const char *zexp[3] = { "EXPIRE", zkey, ttl };
    append(c, sent, 3, zexp);
    char skey[240];
    snprintf(skey, sizeof skey, "%s:sources", base);
    if (m->nsrc) {
        const char **argv = malloc((m->nsrc + 2) * sizeof *argv);
        if (argv) {
            argv[0] = "PFADD";
            argv[1] = skey;
            for (size_t i = 0; i < m->nsrc; i++)
                argv[i + 2] = m->sources[i];
            append(c, sent, (int)m->nsrc + 2, argv);
            free(argv);
        }
        const char *sexp[3] = { "EXPIRE", skey, ttl };
        append(c, sent, 3, sexp);
    }
    char ikey[200];
    snprintf(ikey, sizeof ikey, "xiezhi:agg:{%s}:minutes", a->segment);
    snprintf(score, sizeof score, "%" PRId64, m->minute);
    const char *zadd[4] = { "ZADD", ikey, score, stamp };
    append(c, sent, 4, zadd);
    const char *iexp[3] = { "EXPIRE", ikey, ttl };
    append(c, sent, 3, iexp);
}

int redis_agg_flush(struct redis_agg *a, redisContext *c, char *err, size_t errsize)
{
    size_t sent = 0;
    if (!c) {                      /* nowhere to send: drop what is pending */
        memset(a->m, 0, sizeof a->m);
        return -1;
    }
    for (size_t i = 0; i < AGG_MINUTES; i++)
        if (a->m[i].minute)
            flush_minute(a, &a->m[i], c, &sent);
    memset(a->m, 0, sizeof a->m);
    int rc = 0;
    err[0] = '\0';
    for (size_t i = 0; i < sent; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) {
            snprintf(err, errsize, "%s", c->errstr);
            return -1;
        }
        if (r->type == REDIS_REPLY_ERROR && rc == 0) {
            snprintf(err, errsize, "%s", r->str);
            rc = -1;
        }
        freeReplyObject(r);
    }
    return rc;
}
