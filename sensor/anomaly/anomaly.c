/* The anomaly keyword: the table of detectors, the parser of
 * `anomaly:<kind>[, <option> <value>]...` with the options every detector
 * shares (window, suppress, track, max-tracked, evidence), dispatch of packet
 * and flow-end events, and the suppressed alert emission. */
#include "anomaly/anomaly_int.h"
#include "util/text.h"
#include "util/units.h"

#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANOMALY_VALUE_MAX 1024
#define ANOMALY_MAX_OPTIONS 32

static const struct anomaly_detector *const detectors[] = {
    &anomaly_port_scan, &anomaly_host_sweep, &anomaly_brute_force, &anomaly_dns_tunnel,
    &anomaly_beacon, &anomaly_volume, &anomaly_zone_policy,
};
#define NDETECTORS (sizeof detectors / sizeof detectors[0])

static const struct opt_word track_words[] = {
    { "by_src", ANOMALY_TRACK_BY_SRC }, { "by_dst", ANOMALY_TRACK_BY_DST },
    { "by_pair", ANOMALY_TRACK_BY_PAIR },
    { NULL, 0 },
};

const struct opt_word anomaly_probe_words[] = {
    { "syn", PROBE_SYN }, { "stealth", PROBE_STEALTH }, { "udp", PROBE_UDP },
    { "icmp", PROBE_ICMP }, { "failed", PROBE_FAILED }, { "all", PROBE_FAILED | PROBE_ANSWERED },
    { NULL, 0 },
};

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option generic_options[] = {
    { "window", OPT_DURATION, P(window_usec), 1e3, 366 * 86400e6, NULL, 0 },
    { "suppress", OPT_DURATION, P(suppress_usec), 0, 366 * 86400e6, NULL, 0 },
    { "max-tracked", OPT_COUNT, P(max_tracked), 1, 1 << 24, NULL, 0 },
    { "evidence", OPT_COUNT, P(evidence), 0, ANOMALY_MAX_EVIDENCE, NULL, 0 },
    { "track", OPT_WORD, P(track), 0, 0, track_words, 1 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};
#undef P

/* --- value parsing --- */

/* A number followed by a unit from units (name, scale); "" is the plain unit. */
struct unit { const char *name; double scale; };

static int parse_number(const char *text, const struct unit *units, double *out)
{
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v < 0)
        return -1;
    for (const struct unit *u = units; u->name; u++) {
        if (strcasecmp(end, u->name) == 0) {
            *out = v * u->scale;
            return 0;
        }
    }
    return -1;
}

/* Counts, durations and sizes follow util/units.h, as the config does;
 * reals are plain numbers. */
static const struct unit real_units[] = { { "", 1 }, { NULL, 0 } };

static int parse_words(const struct anomaly_option *o, char *value, uint32_t *out)
{
    uint32_t mask = 0;
    int n = 0;
    for (char *save = NULL, *w = strtok_r(value, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
        w = text_trim(w);
        const struct opt_word *found = NULL;
        for (const struct opt_word *ow = o->words; ow->name && !found; ow++)
            if (strcmp(ow->name, w) == 0)
                found = ow;
        if (!found)
            return -1;
        mask |= found->value;
        n++;
    }
    if (n == 0 || (o->field_size == 1 && n > 1))
        return -1;
    *out = mask;
    return 0;
}

static void words_list(const struct anomaly_option *o, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const struct opt_word *w = o->words; w->name && used < len; w++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", w->name);
}

static int set_option(struct anomaly_params *p, const struct anomaly_option *o, char *value,
                      char *err, size_t errlen)
{
    unsigned char *field = (unsigned char *)p + o->offset;
    double v = 0;
    switch (o->type) {
    case OPT_WORD: {
        uint32_t w;
        char copy[ANOMALY_VALUE_MAX];
        snprintf(copy, sizeof copy, "%s", value);
        if (parse_words(o, copy, &w) < 0) {
            char known[256];
            words_list(o, known, sizeof known);
            snprintf(err, errlen, "anomaly: %s '%s' is not one of: %s%s", o->name, value,
                     known, o->field_size == 1 ? "" : " (several joined by |)");
            return -1;
        }
        if (o->field_size == 1)
            *(uint8_t *)field = (uint8_t)w;
        else
            memcpy(field, &w, sizeof w);
        return 0;
    }
    case OPT_COUNT:
        if (units_parse(value, UNITS_COUNT, &v) < 0 || v != floor(v))
            goto bad;
        break;
    case OPT_DURATION:
        if (units_parse(value, UNITS_DURATION, &v) < 0)
            goto bad;
        break;
    case OPT_SIZE:
        if (units_parse(value, UNITS_SIZE, &v) < 0)
            goto bad;
        break;
    case OPT_REAL:
        if (parse_number(value, real_units, &v) < 0)
            goto bad;
        break;
    }
    if (v < o->min || v > o->max) {
        snprintf(err, errlen, "anomaly: %s %s is out of range [%g, %g]", o->name, value,
                 o->min, o->max);
        return -1;
    }
    if (o->type == OPT_COUNT) {
        uint32_t u = (uint32_t)v;
        memcpy(field, &u, sizeof u);
    } else if (o->type == OPT_REAL) {
        memcpy(field, &v, sizeof v);
    } else {
        uint64_t u = (uint64_t)v;
        memcpy(field, &u, sizeof u);
    }
    return 0;
bad:;
    static const char *const expect[] = {
        [OPT_COUNT] = "a whole number (k, m suffixes)",
        [OPT_DURATION] = "a duration (e.g. 500ms, 60s, 10m, 1h, 1d)",
        [OPT_SIZE] = "a size (e.g. 512kb, 100mb, 2gb)",
        [OPT_REAL] = "a number",
    };
    snprintf(err, errlen, "anomaly: %s '%s' is not %s", o->name, value, expect[o->type]);
    return -1;
}

static const struct anomaly_option *find_option(const struct anomaly_option *table,
                                                const char *name)
{
    for (const struct anomaly_option *o = table; o && o->name; o++)
        if (strcmp(o->name, name) == 0)
            return o;
    return NULL;
}

static const struct anomaly_detector *find_detector(const char *kind)
{
    for (size_t i = 0; i < NDETECTORS; i++)
        if (strcmp(detectors[i]->name, kind) == 0)
            return detectors[i];
    return NULL;
}

static void detector_names(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < NDETECTORS && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "",
                                 detectors[i]->name);
}

static int parse_option(struct anomaly_params *p, char *item, char *err, size_t errlen,
                        uint32_t *seen)
{
    char *name = item;
    size_t nlen = strcspn(item, " \t");
    char *value = item + nlen;
    if (*value)
        *value++ = '\0';
    value = text_trim(value);
    const struct anomaly_option *o = find_option(generic_options, name);
    uint32_t bit = o ? (uint32_t)(o - generic_options) : 0;
    if (!o) {
        o = find_option(p->det->options, name);
        bit = o ? 16 + (uint32_t)(o - p->det->options) : 0;
    }
    if (!o) {
        snprintf(err, errlen, "anomaly: %s has no option '%s'", p->det->name, name);
        return -1;
    }
    if (!*value) {
        snprintf(err, errlen, "anomaly: option '%s' needs a value", name);
        return -1;
    }
    if (bit < 32 && (*seen & (1u << bit))) {
        snprintf(err, errlen, "anomaly: option '%s' given twice", name);
        return -1;
    }
    if (bit < 32)
        *seen |= 1u << bit;
    return set_option(p, o, value, err, errlen);
}

struct anomaly_params *anomaly_params_parse(const char *value, const struct config *cfg,
                                            char *err, size_t errlen)
{
    err[0] = '\0';             /* a detector's prepare keeps its first problem */
    if (!value) {
        snprintf(err, errlen, "anomaly: a kind is required");
        return NULL;
    }
    size_t len = strlen(value);
    if (len >= ANOMALY_VALUE_MAX) {
        snprintf(err, errlen, "anomaly: value longer than %d bytes", ANOMALY_VALUE_MAX - 1);
        return NULL;
    }
    char buf[ANOMALY_VALUE_MAX];
    memcpy(buf, value, len + 1);
    char *text = text_trim(buf);
    size_t tlen = strlen(text);
    if (tlen >= 2 && text[0] == '"' && text[tlen - 1] == '"') {
        text[tlen - 1] = '\0';
        text = text_trim(text + 1);
    }

    /* Items split at commas by hand: strtok would hide an empty one. */
    char *rest = strchr(text, ',');
    if (rest)
        *rest++ = '\0';
    char *kind = text_trim(text);
    const struct anomaly_detector *det = *kind ? find_detector(kind) : NULL;
    if (!det) {
        char known[256];
        detector_names(known, sizeof known);
        snprintf(err, errlen, "anomaly: unknown kind '%s' (known: %s)", kind, known);
        return NULL;
    }
    struct anomaly_params *p = calloc(1, sizeof *p);
    if (!p) {
        snprintf(err, errlen, "anomaly: out of memory");
        return NULL;
    }
    p->det = det;
    p->window_usec = 60 * 1000000ull;
    p->suppress_usec = 600 * 1000000ull;
    p->max_tracked = 0;                 /* 0: the state's anomaly.max-tracked */
    p->evidence = ANOMALY_DEFAULT_EVIDENCE;
    p->track = ANOMALY_TRACK_BY_SRC;
    if (det->defaults)
        det->defaults(p);

    uint32_t seen = 0;
    int noptions = 0;
    while (rest) {
        char *item = rest;
        rest = strchr(rest, ',');
        if (rest)
            *rest++ = '\0';
        item = text_trim(item);
        const char *problem = !*item ? "empty option"
                              : ++noptions > ANOMALY_MAX_OPTIONS ? "too many options" : NULL;
        if (problem)
            snprintf(err, errlen, "anomaly: %s", problem);
        if (problem || parse_option(p, item, err, errlen, &seen) < 0) {
            anomaly_params_free(p);
            return NULL;
        }
    }
    if (det->prepare && det->prepare(p, cfg, err, errlen) < 0) {
        anomaly_params_free(p);
        return NULL;
    }
    return p;
}

void anomaly_params_free(struct anomaly_params *params)
{
    if (!params)
        return;
    if (params->det && params->det->release)
        params->det->release(params);
    free(params);
}

unsigned anomaly_params_hooks(const struct anomaly_params *params)
{
    if (!params)
        return 0;
    return (params->det->on_packet ? ANOMALY_HOOK_PACKET : 0u) |
           (params->det->on_flow_end ? ANOMALY_HOOK_FLOW_END : 0u);
}

const char *anomaly_params_kind(const struct anomaly_params *params)
{
    return params ? params->det->name : NULL;
}

/* --- dispatch --- */

static int ctx_init(struct anomaly_ctx *c, struct anomaly_state *st,
                    const struct anomaly_params *params, const struct rule_info *rule,
                    const struct flow *flow, const struct packet *pkt,
                    const struct alert_sink *sink, uint64_t now)
{
    memset(c, 0, sizeof *c);
    c->st = st;
    c->params = params;
    c->rule = rule;
    c->flow = flow;
    c->pkt = pkt;
    c->sink = sink;
    c->now = now;
    c->table = tracker_table(st, params);
    return c->table ? 0 : -1;
}

void anomaly_on_packet(struct anomaly_state *st, const struct anomaly_params *params,
                       const struct rule_info *rule, const struct flow *flow,
                       const struct packet *pkt, enum flow_direction dir,
                       const struct alert_sink *sink)
{
    if (!st || !params || !pkt || !params->det->on_packet)
        return;
    struct anomaly_ctx c;
    if (ctx_init(&c, st, params, rule, flow, pkt, sink, pkt->ts_usec) == 0)
        params->det->on_packet(&c, dir);
}

void anomaly_on_flow_end(struct anomaly_state *st, const struct anomaly_params *params,
                         const struct rule_info *rule, const struct flow *flow,
                         const struct alert_sink *sink)
{
    if (!st || !params || !flow || !params->det->on_flow_end)
        return;
    struct anomaly_ctx c;
    if (ctx_init(&c, st, params, rule, flow, NULL, sink, flow->last_usec) == 0)
        params->det->on_flow_end(&c);
}

/* --- emission --- */

static void suppress_key(const struct anomaly_ctx *c, struct anomaly_key *k)
{
    anomaly_key_init(k);
    k->tag = TAG_SUPPRESS;
    const struct ip_addr *src = c->flow ? &c->flow->client : &c->pkt->src;
    const struct ip_addr *dst = c->flow ? &c->flow->server : &c->pkt->dst;
    switch ((enum anomaly_track)c->params->track) {
    case ANOMALY_TRACK_BY_SRC:
        k->a = *src;
        break;
    case ANOMALY_TRACK_BY_DST:
        k->a = *dst;
        break;
    case ANOMALY_TRACK_BY_PAIR:
        k->a = *src;
        k->b = *dst;
        break;
    }
}

void anomaly_emit(struct anomaly_ctx *c, const char *kind, uint64_t count, double score,
                  const char *const *evidence, size_t nevidence)
{
    if (!c->flow && !c->pkt)
        return;
    struct anomaly_key k;
    suppress_key(c, &k);
    if (tracker_suppressed(c, &k))
        return;
    anomaly_state_stats(c->st)->alerts++;
    if (!c->sink || !c->sink->emit)
        return;
    struct anomaly_info info = {
        .kind = kind,
        .window_usec = c->params->window_usec,
        .count = count,
        .score = score,
        .evidence = evidence,
        .nevidence = nevidence < c->params->evidence ? nevidence : c->params->evidence,
    };
    c->sink->emit(c->sink->ctx, c->flow, c->pkt, c->rule, &info);
}

/* --- helpers for detectors --- */

void anomaly_key_init(struct anomaly_key *k)
{
    memset(k, 0, sizeof *k);
}

void anomaly_addr_text(const struct ip_addr *a, char *out, size_t outlen)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, out, (socklen_t)outlen))
        snprintf(out, outlen, "?");
}

uint32_t anomaly_addr_hash(const struct ip_addr *a)
{
    if (a->family != 6) {
        uint32_t v;
        memcpy(&v, a->bytes, 4);
        return ntohl(v);
    }
    return anomaly_hash_bytes(a->bytes, 16, 6);
}

enum anomaly_probe anomaly_probe_of(const struct flow *f)
{
    uint8_t c = f->tcp_flags_seen[FLOW_TOSERVER], s = f->tcp_flags_seen[FLOW_TOCLIENT];
    switch (f->proto) {
    case IPPROTO_TCP:
        if (c & TCP_SYN) {
            if (!(s & TCP_SYN))
                return PROBE_SYN;              /* unanswered, or refused with RST */
            if (!(c & TCP_ACK))
                return PROBE_SYN;              /* SYN-ACK never acknowledged */
            if ((c & TCP_RST) && !(c & (TCP_PSH | TCP_FIN)) && f->pkts[FLOW_TOSERVER] <= 3)
                return PROBE_SYN;              /* half-open or connect-and-reset, no data */
            return PROBE_ANSWERED;
        }
        if (c & (TCP_ACK | TCP_RST))
            return PROBE_NONE;                 /* picked up mid-stream: not an attempt */
        return c == 0 || (c & TCP_FIN) ? PROBE_STEALTH : PROBE_NONE;   /* NULL, FIN, Xmas */
    case IPPROTO_UDP:
        return f->pkts[FLOW_TOCLIENT] ? PROBE_ANSWERED : PROBE_UDP;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        return f->pkts[FLOW_TOCLIENT] ? PROBE_ANSWERED : PROBE_ICMP;
    default:
        return PROBE_NONE;
    }
}
