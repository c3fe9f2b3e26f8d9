/* The DNS parser's row in the app-layer registry: a transaction per query
 * (with its response once paired) or per unsolicited response, kept until
 * the framework has inspected, logged and freed it.  UDP datagrams and TCP
 * chunks go to dns.c; its messages are copied into the transactions here,
 * since dns.c keeps them only while it needs them for pairing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer/applayer.h"
#include "applayer/dns/dns.h"
#include "applayer/dns/dns_eve.h"
#include "applayer/dns/dns_row.h"

#define DNS_ROW_MAX_TX 256      /* transactions held per flow */

struct dns_row_tx {
    struct applayer_tx base;            /* first: the framework's header */
    uint64_t dns_tx_id;                 /* dns.c's id, to find it again for the response */
    struct dns_message *query, *response;
    char *scratch;                          /* joined names for the list buffers, on demand */
};

struct dns_row {
    struct dns_state dns;
    const struct dns_eve_options *opt;
    struct dns_row_tx **tx;
    size_t ntx, cap;
    uint64_t next_id;
    uint64_t dropped;                   /* out of memory, or past DNS_ROW_MAX_TX */
};

/* outputs.eve.dns.formats: Suricata's [detailed, grouped] (answers[] and
 * authorities[]; grouped{}); the older answers/grouped switches still turn
 * either off. */
static void read_formats(const struct config *cfg, struct dns_eve_options *o, struct diag *diag)
{
    static const char key[] = "outputs.eve.dns.formats";
    o->answers = config_get_bool(cfg, "outputs.eve.dns.answers", true, diag);
    o->grouped = config_get_bool(cfg, "outputs.eve.dns.grouped", true, diag);
    if (!config_has(cfg, key))
        return;
    bool detailed = false, grouped = false;
    for (size_t i = 0; i < config_list_count(cfg, key); i++) {
        const char *f = config_list_item(cfg, key, i);
        unsigned line = 0;
        const char *origin = config_origin(cfg, key, &line);
        if (f && strcmp(f, "detailed") == 0)
            detailed = true;
        else if (f && strcmp(f, "grouped") == 0)
            grouped = true;
        else
            diag_error(diag, origin, line, "%s: '%s' is not detailed or grouped", key, f ? f : "");
    }
    o->answers &= detailed;
    o->grouped &= grouped;
}

/* outputs.eve.dns.types: record types by name (a, aaaa, txt, https ...) or
 * number; absent or empty: every type. */
static void read_types(const struct config *cfg, struct dns_eve_options *o, struct diag *diag)
{
    static const char key[] = "outputs.eve.dns.types";
    for (size_t i = 0; i < config_list_count(cfg, key); i++) {
        const char *name = config_list_item(cfg, key, i);
        int type = name ? dns_rrtype_parse(name) : -1;
        unsigned line = 0;
        const char *origin = config_origin(cfg, key, &line);
        if (type < 0)
            diag_error(diag, origin, line, "%s: '%s' is not a DNS record type", key, name ? name : "");
        else if (o->ntypes == DNS_EVE_TYPES_MAX)
            diag_error(diag, origin, line, "%s: more than %d types", key, DNS_EVE_TYPES_MAX);
        else
            o->types[o->ntypes++] = (uint16_t)type;
    }
}

static void *dns_config_new(const struct config *cfg, struct diag *diag)
{
    struct dns_eve_options *o = malloc(sizeof *o);
    if (!o)
        return NULL;
    *o = DNS_EVE_DEFAULTS;
    o->requests = config_get_bool(cfg, "outputs.eve.dns.requests", true, diag);
    o->responses = config_get_bool(cfg, "outputs.eve.dns.responses", true, diag);
    read_formats(cfg, o, diag);
    read_types(cfg, o, diag);
    return o;
}

static void dns_config_free(void *settings)
{
    free(settings);
}

static struct dns_row_tx *find(struct dns_row *r, uint64_t dns_tx_id)
{
    for (size_t i = 0; i < r->ntx; i++)
        if (r->tx[i]->dns_tx_id == dns_tx_id && !r->tx[i]->response)
            return r->tx[i];
    return NULL;
}

/* Queries dns.c gave up on (its pending list is full) never get their
 * response here either: once the list is long, the oldest unanswered one
 * is declared complete so that it is logged and freed. */
static void close_oldest_unanswered(struct dns_row *r)
{
    size_t open = 0;
    for (size_t i = 0; i < r->ntx; i++)
        open += r->tx[i]->base.progress[1] == 0;
    for (size_t i = 0; i < r->ntx && open > DNS_MAX_PENDING; i++) {
        if (r->tx[i]->base.progress[1] == 0) {
            r->tx[i]->base.progress[1] = 1;
            open--;
        }
    }
}

static struct dns_row_tx *new_tx(struct dns_row *r, uint64_t dns_tx_id)
{
    if (r->ntx >= DNS_ROW_MAX_TX) {
        r->dropped++;
        return NULL;
    }
    if (r->ntx == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct dns_row_tx **p = realloc(r->tx, cap * sizeof *p);
        if (!p) {
            r->dropped++;
            return NULL;
        }
        r->tx = p;
        r->cap = cap;
    }
    struct dns_row_tx *t = calloc(1, sizeof *t);
    if (!t) {
        r->dropped++;
        return NULL;
    }
    t->base.id = r->next_id++;
    t->dns_tx_id = dns_tx_id;
    r->tx[r->ntx++] = t;
    return t;
}

static void on_message(void *ctx, const struct dns_tx *tx, enum flow_direction dir)
{
    (void)dir;
    struct dns_row *r = ctx;
    if (!tx->response) {                    /* a query */
        struct dns_row_tx *t = new_tx(r, tx->tx_id);
        if (!t)
            return;
        t->query = dns_message_dup(tx->query);
        t->base.progress[0] = 1;
        t->base.changed |= 1;
        close_oldest_unanswered(r);
        return;
    }
    struct dns_row_tx *t = tx->query ? find(r, tx->tx_id) : NULL;
    if (!t) {
        t = new_tx(r, tx->tx_id);           /* unsolicited */
        if (!t)
            return;
        t->base.progress[0] = 1;
    }
    t->response = dns_message_dup(tx->response);
    t->base.progress[1] = 1;
    t->base.changed |= 2;
}

static void *dns_row_new(const void *settings, const struct flow *flow, uint64_t ts_usec)
{
    (void)flow;
    (void)ts_usec;
    struct dns_row *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->opt = settings;
    struct dns_sink sink = { on_message, r };
    dns_state_init(&r->dns, &sink);
    return r;
}

static void tx_free_one(struct dns_row_tx *t)
{
    free(t->scratch);
    dns_message_free(t->query);
    dns_message_free(t->response);
    free(t);
}

static void dns_row_free(void *state)
{
    struct dns_row *r = state;
    r->dns.sink.message = NULL;     /* nothing more to record while freeing */
    dns_state_free(&r->dns);
    for (size_t i = 0; i < r->ntx; i++)
        tx_free_one(r->tx[i]);
    free(r->tx);
    free(r);
}

static int dns_row_data(void *state, const struct applayer_chunk *c, uint64_t ts_usec)
{
    (void)ts_usec;
    struct dns_row *r = state;
    int rc = dns_parse_tcp(&r->dns, c->dir, c->data, c->len, c->flags);
    /* A direction that lost its framing is not a reason to drop the other one. */
    return rc < 0 && r->dns.tcp_dead[0] && r->dns.tcp_dead[1] ? -1 : 0;
}

static int dns_row_packet(void *state, enum flow_direction dir, const uint8_t *data, uint32_t len,
                          uint64_t ts_usec)
{
    (void)ts_usec;
    struct dns_row *r = state;
    dns_parse_udp(&r->dns, dir, data, len);
    return 0;                       /* one bad datagram does not end a UDP flow */
}

static size_t dns_row_tx_count(void *state)
{
    return ((struct dns_row *)state)->ntx;
}

static struct applayer_tx *dns_row_tx_at(void *state, size_t i)
{
    struct dns_row *r = state;
    return i < r->ntx ? &r->tx[i]->base : NULL;
}

static void dns_row_tx_free(void *state, struct applayer_tx *base)
{
    struct dns_row *r = state;
    for (size_t i = 0; i < r->ntx; i++) {
        if (&r->tx[i]->base != base)
            continue;
        tx_free_one(r->tx[i]);
        memmove(&r->tx[i], &r->tx[i + 1], (r->ntx - i - 1) * sizeof *r->tx);
        r->ntx--;
        return;
    }
}

/* A dns event is one side (base->log_side: the request, then the response,
 * as Suricata logs them); an alert's dns object is the response (which
 * repeats the questions) when there is one, else the query. */
static void dns_row_eve(const void *settings, void *state, const struct applayer_tx *base,
                        struct json_writer *j)
{
    (void)state;
    const struct dns_row_tx *t = (const struct dns_row_tx *)base;
    const struct dns_eve_options *opt = settings;
    struct dns_eve_options defaults = DNS_EVE_DEFAULTS;
    struct dns_tx tx = { base->id, 0, t->query, t->response };
    bool response = base->log_side ? base->log_side == 1 + FLOW_TOCLIENT : t->response != NULL;
    if (!(response ? t->response : t->query))
        return;
    dns_eve_members(j, &tx, response, opt ? opt : &defaults);
}

/* Whether the side of the transaction in direction dir gets a dns event. */
static bool dns_row_side_event(const void *settings, void *state, const struct applayer_tx *base,
                               enum flow_direction dir)
{
    (void)state;
    const struct dns_row_tx *t = (const struct dns_row_tx *)base;
    struct dns_eve_options defaults = DNS_EVE_DEFAULTS;
    struct dns_tx tx = { base->id, 0, t->query, t->response };
    return dns_eve_side_wanted(&tx, dir == FLOW_TOCLIENT, settings ? settings : &defaults);
}

const struct dns_message *dns_row_message(const struct applayer_tx *base, bool response)
{
    const struct dns_row_tx *t = (const struct dns_row_tx *)base;
    return response ? t->response : t->query;
}

const struct dns_query *dns_row_first_query(const struct applayer_tx *base)
{
    const struct dns_row_tx *t = (const struct dns_row_tx *)base;
    const struct dns_message *m = t->query && t->query->nqueries ? t->query : t->response;
    return m && m->nqueries ? &m->queries[0] : NULL;
}

/* Names joined one per line into the transaction's scratch buffer. */
static bool joined(struct dns_row_tx *t, const struct dns_message *m, bool answers,
                   const uint8_t **data, uint32_t *len)
{
    size_t n = 0, cap = (DNS_MAX_RECORDS + 1) * (DNS_NAME_MAX + 1);
    unsigned count = m ? (answers ? m->nrecords : m->nqueries) : 0;
    if (count && !t->scratch && !(t->scratch = malloc(cap)))
        return false;
    for (unsigned i = 0; i < count; i++) {
        if (answers && m->records[i].section != DNS_SECTION_ANSWER)
            continue;
        const char *name = answers ? m->records[i].rrname : m->queries[i].rrname;
        size_t l = strlen(name);
        if (n + l + 1 > cap)
            break;
        if (n)
            t->scratch[n++] = '\n';
        memcpy(t->scratch + n, name, l);
        n += l;
    }
    if (n == 0)
        return false;
    *data = (const uint8_t *)t->scratch;
    *len = (uint32_t)n;
    return true;
}

static bool dns_row_buffer(void *state, const struct applayer_tx *base, enum detect_buffer buffer,
                           enum flow_direction dir, const uint8_t **data, uint32_t *len)
{
    (void)state;
    (void)dir;
    struct dns_row_tx *t = (struct dns_row_tx *)base;     /* its scratch buffer is the row's to fill */
    const struct dns_query *q;
    switch (buffer) {
    case BUF_DNS_QUERY:
        if (!(q = dns_row_first_query(base)))
            return false;
        *data = (const uint8_t *)q->rrname;
        *len = (uint32_t)strlen(q->rrname);
        return true;
    case BUF_DNS_QUERIES_RRNAME:
        return joined(t, t->query ? t->query : t->response, false, data, len);
    case BUF_DNS_ANSWER_NAME:
        return joined(t, t->response, true, data, len);
    default:
        return false;
    }
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* The start of a message that looks like DNS: a header whose QR bit fits
 * the direction, a known opcode (a NOTIFY or UPDATE carries records), one
 * question, not too many records, and the first
 * name's labels well-formed as far as the bytes go (the framework shows a
 * probe only the first 32 bytes). */
static enum applayer_probe_result probe_message(const uint8_t *data, uint32_t len,
                                                enum flow_direction dir)
{
    if (len < 12)
        return APPLAYER_PROBE_NO;
    bool response = data[2] & 0x80;
    if (response != (dir == FLOW_TOCLIENT) || be16(data + 4) != 1 || ((data[2] >> 3) & 15) > 5)
        return APPLAYER_PROBE_NO;
    if (be16(data + 6) > DNS_MAX_RECORDS * 4 || be16(data + 8) > DNS_MAX_RECORDS * 4)
        return APPLAYER_PROBE_NO;
    uint32_t off = 12;
    while (off < len && data[off] != 0) {
        if (data[off] > 63)
            return APPLAYER_PROBE_NO;   /* no compression in the first name of a message */
        off += 1u + data[off];
    }
    return APPLAYER_PROBE_YES;
}

/* The probe is not told the transport: a datagram is a message; a TCP
 * stream starts with a 2-byte length. */
static enum applayer_probe_result dns_probe(const uint8_t *data, uint32_t len,
                                            enum flow_direction dir)
{
    if (probe_message(data, len, dir) == APPLAYER_PROBE_YES)
        return APPLAYER_PROBE_YES;
    if (len < 2 + 12)
        return APPLAYER_PROBE_MORE;
    uint32_t mlen = be16(data);
    if (mlen < 12)
        return APPLAYER_PROBE_NO;
    return probe_message(data + 2, len - 2 < mlen ? len - 2 : mlen, dir);
}

/* Stats: the parser's counters of the flow (error.dns_*.gap is a gap in a
 * TCP stream; the other malformed kinds are parser errors). */
static const char *const dns_counter_names[] = {
    "messages", "queries", "responses", "txs", "unanswered", "unsolicited",
    "malformed_header", "malformed_name", "malformed_pointer", "malformed_record",
    "malformed_tcp_length", "txs_dropped", NULL
};

static void dns_row_counts(const void *state, struct applayer_counts *sum)
{
    const struct dns_row *r = state;
    const struct dns_counters *c = &r->dns.counters;
    const uint64_t own[] = { c->messages, c->queries, c->responses, c->txs, c->unanswered,
                             c->unsolicited, c->malformed[DNS_BAD_HEADER],
                             c->malformed[DNS_BAD_NAME], c->malformed[DNS_BAD_POINTER],
                             c->malformed[DNS_BAD_RECORD],
                             c->malformed[DNS_BAD_TCP_LENGTH] - c->gaps, r->dropped };
    _Static_assert(sizeof own / sizeof own[0] == sizeof dns_counter_names / sizeof dns_counter_names[0] - 1,
                   "a name per counter");
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        sum->own[i] += own[i];
    for (int k = 0; k < DNS_MALFORMED_KINDS; k++)
        sum->parser += c->malformed[k];
    sum->parser -= c->gaps;
    sum->gap += c->gaps;
    sum->alloc += c->oom;
}

static const char *const dns_ndpi_names[] = { "DNS", NULL };
static const char *const dns_event_names[] = { NULL };

const struct applayer_parser applayer_dns_parser = {
    .proto = APPLAYER_DNS,
    .name = "dns",
    .ndpi_names = dns_ndpi_names,
    .state_size = sizeof(struct dns_row),
    .tcp = true,
    .udp = true,
    .progress_done = { 1, 1 },
    .probe = dns_probe,
    .config_new = dns_config_new,
    .config_free = dns_config_free,
    .state_new = dns_row_new,
    .state_free = dns_row_free,
    .on_data = dns_row_data,
    .on_packet = dns_row_packet,
    .tx_count = dns_row_tx_count,
    .tx_at = dns_row_tx_at,
    .tx_free = dns_row_tx_free,
    .eve_write = dns_row_eve,
    .get_buffer = dns_row_buffer,
    .event_names = dns_event_names,
    .counts_add = dns_row_counts,
    .counter_names = dns_counter_names,
    .side_event = dns_row_side_event,
};
