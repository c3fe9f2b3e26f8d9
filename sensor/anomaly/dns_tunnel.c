/* dns_tunnel: data smuggled through DNS queries.  Each query is parsed from
 * the packet payload here (nDPI keeps only one name per flow), bounds-checked,
 * and counted per (source, registered domain) by one of four methods:
 *   encoded     distinct subdomains that carry encoded data (dns_label.c:
 *               judged against their own alphabet), when they are most of
 *               the domain's queries
 *   names       queries with a long name or a long high-entropy subdomain
 *   subdomains  distinct subdomains of one registered domain
 *   txt_volume  TXT and NULL queries
 * `count` (or `distinct`) within the window raises one alert with the first
 * query names as evidence.  Reverse lookups (.arpa) are never counted. */
#include "anomaly/anomaly_int.h"
#include "anomaly/dns_label.h"
#include "applayer/dns/dns.h"

#include <netinet/in.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define NAME_MAX_TEXT 256      /* 253 characters plus room */
#define MAX_LABELS 128
#define NAME_WIDTH 256
#define QTYPE_NULL 10
#define QTYPE_TXT 16

static const struct opt_word method_words[] = {
    { "names", DNS_NAMES }, { "subdomains", DNS_SUBDOMAINS }, { "txt_volume", DNS_TXT_VOLUME },
    { "encoded", DNS_ENCODED }, { NULL, 0 },
};

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option options[] = {
    { "method", OPT_WORD, P(method), 0, 0, method_words, 1 },
    { "count", OPT_COUNT, P(threshold), 1, 1 << 16, NULL, 0 },
    { "distinct", OPT_COUNT, P(threshold), 2, 1 << 16, NULL, 0 },
    { "name-length", OPT_COUNT, P(name_length), 1, 255, NULL, 0 },
    { "min-length", OPT_COUNT, P(min_length), 1, 255, NULL, 0 },
    { "entropy", OPT_REAL, P(entropy), 0, 8, NULL, 0 },
    { "ratio", OPT_REAL, P(min_ratio), 0, 2, NULL, 0 },
    { "share", OPT_REAL, P(share), 0, 1, NULL, 0 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};
#undef P

static void defaults(struct anomaly_params *p)
{
    p->method = DNS_NAMES;
    p->threshold = 0;          /* per method, in prepare */
    p->name_length = 100;
    p->min_length = 0;         /* per method, in prepare */
    p->entropy = 4.0;
    p->min_ratio = 0.9;
    p->share = 0.8;
    p->evidence = 5;
}

/* subdomains and encoded count distinct names; the others, queries. */
static bool uses_distinct(const struct anomaly_params *p)
{
    return p->method == DNS_SUBDOMAINS || p->method == DNS_ENCODED;
}

static int prepare(struct anomaly_params *p, const struct config *cfg, char *err,
                   size_t errlen)
{
    (void)cfg;
    static const uint32_t threshold[] = { [DNS_NAMES] = 5, [DNS_SUBDOMAINS] = 100,
                                          [DNS_TXT_VOLUME] = 30, [DNS_ENCODED] = 10 };
    static const uint32_t min_length[] = { [DNS_NAMES] = 24, [DNS_SUBDOMAINS] = 24,
                                           [DNS_TXT_VOLUME] = 24, [DNS_ENCODED] = 20 };
    if (p->threshold == 0)
        p->threshold = threshold[p->method];
    if (p->min_length == 0)
        p->min_length = min_length[p->method];
    if (uses_distinct(p) && p->threshold < 2) {
        snprintf(err, errlen, "anomaly: dns_tunnel %s needs distinct >= 2",
                 p->method == DNS_ENCODED ? "encoded" : "subdomains");
        return -1;
    }
    return 0;
}

/* What an entry keeps besides its counter: the highest score, and for
 * `encoded` the domain's queries of the current window (for the share). */
struct dns_window {
    double max_score;
    double ratio_sum;          /* encoded: of the counted subdomains */
    uint64_t epoch_usec;       /* encoded: start of the window being counted */
    uint32_t queries, encoded; /* encoded: all queries of the domain, encoded ones */
    uint64_t chars;            /* encoded: characters of the distinct encoded subdomains */
    uint32_t by_alphabet[DNS_ALPHA_COUNT];
};

static size_t counter_bytes(const struct anomaly_params *p)
{
    size_t n = uses_distinct(p) ? dset_size(p->threshold) : ring_size(p->threshold);
    return anomaly_align8(n) + anomaly_align8(sizeof(struct dns_window));
}

static size_t data_size(const struct anomaly_params *p)
{
    return counter_bytes(p) + evlist_size(p->evidence, NAME_WIDTH);
}

struct tunnel_query {
    char name[NAME_MAX_TEXT];  /* lower case, dotted, no trailing dot */
    size_t len;
    size_t label[MAX_LABELS];  /* offset of each label in name */
    size_t nlabels;
    uint16_t qtype;
};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The first question of a DNS query message, as the DNS parser
 * (sensor/applayer/dns) reads it, so that the detector and the dns events
 * agree on every name; lower-cased and cut into labels here.  -1 for a
 * response, another opcode, no question, or a malformed message. */
static int dns_parse_query(const uint8_t *msg, uint32_t len, struct tunnel_query *q)
{
    struct dns_message m;
    memset(&m, 0, sizeof m);
    int rc = dns_message_parse(&m, msg, len);
    bool usable = rc == 0 && !dns_is_response(&m) && dns_opcode(&m) == 0 && m.nqueries > 0;
    const char *name = usable ? m.queries[0].rrname : "";
    size_t n = strlen(name);
    if (!usable || strcmp(name, "<root>") == 0 || n > 253) {
        dns_message_clear(&m);
        return -1;
    }
    q->qtype = m.queries[0].rrtype;
    q->nlabels = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && name[i] != '.')
            continue;
        if (i == start || q->nlabels == MAX_LABELS) {   /* a '.' byte inside a label */
            dns_message_clear(&m);
            return -1;
        }
        q->label[q->nlabels++] = start;
        start = i + 1;
    }
    for (size_t i = 0; i < n; i++)
        q->name[i] = (char)tolower((unsigned char)name[i]);
    q->name[n] = '\0';
    q->len = n;
    dns_message_clear(&m);
    return 0;
}

static bool is_generic_sld(const char *s, size_t n)
{
    static const char *const slds[] = { "com", "net", "org", "gov", "edu", "ac", "co", "mil",
                                        "ne", "or", "go", "gob", "nic" };
    for (size_t i = 0; i < sizeof slds / sizeof slds[0]; i++)
        if (strlen(slds[i]) == n && memcmp(slds[i], s, n) == 0)
            return true;
    return false;
}

/* Index of the first label of the registered domain: the last two labels,
 * or three under a two-letter country code with a generic second level
 * (gov.cn, com.cn, co.uk) -- an approximation of the public suffix list. */
static size_t registered_start(const struct tunnel_query *q)
{
    if (q->nlabels <= 2)
        return 0;
    size_t tld = q->nlabels - 1, sld = q->nlabels - 2;
    size_t tld_len = q->len - q->label[tld];
    size_t sld_len = q->label[tld] - 1 - q->label[sld];
    if (tld_len == 2 && is_generic_sld(q->name + q->label[sld], sld_len))
        return q->nlabels - 3;
    return q->nlabels - 2;
}

/* Shannon entropy in bits per character, dots left out. */
static double entropy_of(const char *s, size_t n)
{
    unsigned counts[256] = { 0 };
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '.')
            continue;
        counts[(unsigned char)s[i]]++;
        total++;
    }
    double h = 0;
    for (size_t i = 0; i < 256 && total; i++) {
        if (!counts[i])
            continue;
        double pr = (double)counts[i] / (double)total;
        h -= pr * log2(pr);
    }
    return h;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
    size_t m = strlen(suffix);
    return n >= m && memcmp(s + n - m, suffix, m) == 0 && (n == m || s[n - m - 1] == '.');
}

/* The query of a packet to the server (UDP, or TCP with its two-byte
 * length first); -1 when there is none or it is a reverse lookup. */
static int query_of(const struct packet *pkt, struct tunnel_query *q)
{
    const uint8_t *msg = pkt->payload;
    uint32_t len = pkt->payload_len;
    if (pkt->proto == IPPROTO_TCP) {    /* DNS over TCP: a two-byte length first */
        if (len < 2)
            return -1;
        uint32_t mlen = be16(msg);
        msg += 2;
        len -= 2;
        if (mlen < len)
            len = mlen;
    } else if (pkt->proto != IPPROTO_UDP) {
        return -1;
    }
    if (dns_parse_query(msg, len, q) < 0 || ends_with(q->name, q->len, "arpa"))
        return -1;
    return 0;
}

/* Whether a query counts for methods names and txt_volume (*score: the
 * subdomain's entropy); subdomains and encoded decide in count_distinct. */
static bool query_counts(const struct anomaly_params *p, const struct tunnel_query *q,
                         size_t sub_len, double *score)
{
    switch ((enum dns_method)p->method) {
    case DNS_NAMES:
        *score = sub_len >= p->min_length ? entropy_of(q->name, sub_len) : 0;
        return q->len >= p->name_length || *score >= p->entropy;
    case DNS_SUBDOMAINS:
    case DNS_ENCODED:
        return sub_len > 0;
    case DNS_TXT_VOLUME:
        return q->qtype == QTYPE_TXT || q->qtype == QTYPE_NULL;
    }
    return false;
}

/* encoded: the domain's queries of the current window, for the share. */
static void window_count(struct dns_window *w, uint64_t now, uint64_t window, bool encoded)
{
    if (now - w->epoch_usec > window || w->queries == 0) {
        w->epoch_usec = now;
        w->queries = w->encoded = 0;
    }
    w->queries++;
    w->encoded += encoded;
}

/* subdomains and encoded: adds the subdomain to the distinct set; true when
 * the alert is due (*count: distinct subdomains). */
static bool count_distinct(struct anomaly_ctx *c, struct tracker *t, const struct tunnel_query *q,
                           size_t sub_len, uint64_t *count)
{
    const struct anomaly_params *p = c->params;
    struct dset *set = tracker_part(t, 0);
    struct dns_window *w = tracker_part(t, anomaly_align8(dset_size(p->threshold)));
    struct evlist *ev = tracker_part(t, counter_bytes(p));
    struct dns_label_verdict v = { 0 };
    if (p->method == DNS_ENCODED) {
        dns_label_judge(q->name, sub_len, &v);
        bool encoded = dns_label_encoded(&v, p->min_length, p->min_ratio);
        window_count(w, c->pkt->ts_usec, p->window_usec, encoded);
        if (!encoded)
            return false;
    }
    if (dset_add(set, anomaly_hash_bytes(q->name, sub_len, 0), c->pkt->ts_usec, p->window_usec)) {
        evlist_add(ev, q->name);
        if (p->method == DNS_ENCODED) {
            w->ratio_sum += v.ratio;
            w->chars += v.data_len;
            w->by_alphabet[v.alphabet]++;
            if (v.ratio > w->max_score)
                w->max_score = v.ratio;
        }
    }
    /* judged after every query: a full set waits for the share to rise */
    if (set->live < p->threshold)
        return false;
    if (p->method == DNS_ENCODED && (double)w->encoded < p->share * (double)w->queries)
        return false;
    *count = set->live;
    return true;
}

static enum dns_alphabet main_alphabet(const struct dns_window *w)
{
    enum dns_alphabet best = DNS_ALPHA_NONE;
    for (int a = DNS_ALPHA_NONE + 1; a < DNS_ALPHA_COUNT; a++)
        if (w->by_alphabet[a] > w->by_alphabet[best])
            best = (enum dns_alphabet)a;
    return best;
}

static void emit(struct anomaly_ctx *c, struct tracker *t, uint64_t count)
{
    const struct anomaly_params *p = c->params;
    size_t counter = anomaly_align8(uses_distinct(p) ? dset_size(p->threshold)
                                                     : ring_size(p->threshold));
    struct dns_window *w = tracker_part(t, counter);
    struct evlist *ev = tracker_part(t, counter_bytes(p));
    const char *evidence[ANOMALY_MAX_EVIDENCE + 1];
    size_t n = 0;
    char summary[128];
    double score = w->max_score;
    if (p->method == DNS_ENCODED) {
        /* the mean ratio of the counted names, and how they were judged */
        score = w->ratio_sum / (double)count;
        snprintf(summary, sizeof summary, "alphabet=%s share=%u/%u chars=%llu",
                 dns_alphabet_name(main_alphabet(w)), w->encoded, w->queries,
                 (unsigned long long)w->chars);
        evidence[n++] = summary;
    }
    n += evlist_view(ev, evidence + n, ANOMALY_MAX_EVIDENCE);
    anomaly_emit(c, "dns_tunnel", count, round(score * 1000) / 1000, evidence, n);
    evlist_clear(ev);
    memset(w, 0, sizeof *w);
}

static void on_packet(struct anomaly_ctx *c, enum flow_direction dir)
{
    const struct packet *pkt = c->pkt;
    const struct anomaly_params *p = c->params;
    if (dir != FLOW_TOSERVER || !pkt->payload)
        return;
    struct tunnel_query q;
    if (query_of(pkt, &q) < 0)
        return;
    size_t reg = registered_start(&q);
    size_t sub_len = reg ? q.label[reg] - 1 : 0;
    double score = 0;
    if (!query_counts(p, &q, sub_len, &score))
        return;

    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = pkt->src;
    const char *domain = q.name + q.label[reg];
    key.extra = anomaly_hash_bytes(domain, q.len - q.label[reg], 53);
    bool created;
    struct tracker *t = tracker_get(c, &key, &created);
    if (!t)
        return;
    size_t counter = anomaly_align8(uses_distinct(p) ? dset_size(p->threshold)
                                                     : ring_size(p->threshold));
    struct dns_window *w = tracker_part(t, counter);
    struct evlist *ev = tracker_part(t, counter_bytes(p));
    if (created) {
        if (uses_distinct(p))
            dset_init(tracker_part(t, 0), p->threshold);
        else
            ring_init(tracker_part(t, 0), p->threshold);
        evlist_init(ev, p->evidence, NAME_WIDTH);
        memset(w, 0, sizeof *w);
    }
    uint64_t count;
    if (uses_distinct(p)) {
        if (!count_distinct(c, t, &q, sub_len, &count))
            return;
        dset_clear(tracker_part(t, 0));
    } else {
        struct ring *ring = tracker_part(t, 0);
        ring_push(ring, pkt->ts_usec);
        evlist_add(ev, q.name);
        if (score > w->max_score)
            w->max_score = score;
        if (ring->n < ring->cap || ring_span(ring) > p->window_usec)
            return;
        count = ring->n;
        ring_clear(ring);
    }
    emit(c, t, count);
}

const struct anomaly_detector anomaly_dns_tunnel = {
    .name = "dns_tunnel",
    .options = options,
    .defaults = defaults,
    .prepare = prepare,
    .data_size = data_size,
    .on_packet = on_packet,
};
