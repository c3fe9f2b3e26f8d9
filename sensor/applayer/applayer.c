/* The app-layer framework: the registry of parsers, the choice of a parser
 * for a flow (probe of the first bytes, or nDPI's verdict), feeding it the
 * flow's chunks, protocol switches after a tunnel (CONNECT), and the
 * transaction life cycle (logged once, freed when done). */
#include "applayer/applayer.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"

/* One row per protocol; a new parser adds its row here. */
static const struct applayer_parser *const registry[APPLAYER_PROTO_COUNT] = {
    [APPLAYER_HTTP] = &applayer_http_parser,
    [APPLAYER_DNS] = &applayer_dns_parser,
    [APPLAYER_TLS] = &applayer_tls_parser,
    [APPLAYER_SSH] = &applayer_ssh_parser,
    [APPLAYER_HTTP2] = &applayer_http2_parser,
};

#define NDPI_IDS_MAX 8
/* A direction's first chunks are probed this many times before giving up. */
#define PROBE_TRIES_MAX 16

struct applayer {
    bool enabled[APPLAYER_PROTO_COUNT];     /* app-layer.protocols.<name>.enabled */
    bool any_tcp, any_udp;                  /* an enabled parser runs on that transport */
    void *settings[APPLAYER_PROTO_COUNT];
    int ndpi_ids[APPLAYER_PROTO_COUNT][NDPI_IDS_MAX];
    size_t nids[APPLAYER_PROTO_COUNT];
    struct applayer_stats stats;
};

const struct applayer_parser *applayer_parser_of(enum applayer_proto proto)
{
    return (unsigned)proto < APPLAYER_PROTO_COUNT ? registry[proto] : NULL;
}

const struct applayer_parser *applayer_parser_by_name(const char *name)
{
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
        if (registry[p] && strcmp(registry[p]->name, name) == 0)
            return registry[p];
    return NULL;
}

const char *applayer_flow_proto_name(const struct flow *flow)
{
    const struct applayer_flow *af = flow ? flow->applayer : NULL;
    const struct applayer_parser *p = af ? applayer_parser_of(af->proto) : NULL;
    if (!p)
        return NULL;
    const char *name = p == af->parser && p->proto_name ? p->proto_name(af->state) : NULL;
    return name ? name : p->name;
}

/* Rule's protocol, flow's protocol: pairs beyond equality (Suricata's AppProtoEquals). */
static const char *const proto_equivalent[][2] = {
    { "dns", "doh2" }, { "http2", "doh2" }, { "http", "http2" },
    { "doh2", "http2" }, { "doh2", "dns" }, { "http1", "http" },
};

bool applayer_proto_equals(const char *sig, const char *flow)
{
    if (!sig || !flow)
        return false;
    if (strcmp(sig, flow) == 0)
        return true;
    for (size_t i = 0; i < sizeof proto_equivalent / sizeof *proto_equivalent; i++)
        if (strcmp(proto_equivalent[i][0], sig) == 0 && strcmp(proto_equivalent[i][1], flow) == 0)
            return true;
    return false;
}

const void *applayer_settings(const struct applayer *al, enum applayer_proto proto)
{
    return al && (unsigned)proto < APPLAYER_PROTO_COUNT ? al->settings[proto] : NULL;
}

int applayer_event_index(const struct applayer_parser *parser, const char *name)
{
    if (!parser || !parser->event_names)
        return -1;
    for (int i = 0; i < 64 && parser->event_names[i]; i++)
        if (strcmp(parser->event_names[i], name) == 0)
            return i;
    return -1;
}

struct applayer *applayer_new(const struct config *cfg, const struct classifier *classifier,
                              struct diag *diag)
{
    struct applayer *al = calloc(1, sizeof *al);
    if (!al)
        return NULL;
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++) {
        const struct applayer_parser *row = registry[p];
        if (!row)
            continue;
        char key[96];
        snprintf(key, sizeof key, "app-layer.protocols.%s.enabled", row->name);
        al->enabled[p] = config_get_bool(cfg, key, true, diag);
        al->any_tcp |= al->enabled[p] && row->tcp;
        al->any_udp |= al->enabled[p] && row->udp;
        if (row->config_new) {
            al->settings[p] = row->config_new(cfg, diag);
            if (!al->settings[p]) {
                applayer_free(al);
                return NULL;
            }
        }
        for (size_t i = 0; classifier && row->ndpi_names && row->ndpi_names[i]; i++) {
            int id = classify_protocol_id(classifier, row->ndpi_names[i]);
            if (id > 0 && al->nids[p] < NDPI_IDS_MAX)
                al->ndpi_ids[p][al->nids[p]++] = id;
        }
    }
    return al;
}

void applayer_free(struct applayer *al)
{
    if (!al)
        return;
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
        if (registry[p] && registry[p]->config_free && al->settings[p])
            registry[p]->config_free(al->settings[p]);
    free(al);
}

const struct applayer_stats *applayer_stats(const struct applayer *al)
{
    return &al->stats;
}

/* --- choosing a parser ----------------------------------------------------------- */

static bool transport_ok(const struct applayer_parser *p, const struct flow *f)
{
    return (f->proto == IPPROTO_TCP && p->tcp) || (f->proto == IPPROTO_UDP && p->udp);
}

static bool ndpi_names_it(const struct applayer *al, int p, const struct flow *f)
{
    for (size_t i = 0; i < al->nids[p]; i++)
        if (al->ndpi_ids[p][i] == f->app.master_protocol ||
            al->ndpi_ids[p][i] == f->app.app_protocol)
            return true;
    return false;
}

static int attach(struct applayer *al, struct flow *f, const struct applayer_parser *p,
                  enum flow_direction dir, uint64_t ts_usec)
{
    struct applayer_flow *af = f->applayer;
    af->state = p->state_new(al->settings[p->proto], f, ts_usec);
    if (!af->state) {
        af->failed = true;
        return -1;
    }
    af->parser = p;
    af->proto = p->proto;
    af->failed = false;
    af->visible = f->proto != IPPROTO_TCP;
    af->attach_dir = (uint8_t)dir;
    af->transport = f->proto == IPPROTO_UDP ? APPLAYER_UDP : APPLAYER_TCP;
    al->stats.memory += p->state_size;
    al->stats.flows[p->proto][af->transport]++;
    return 0;
}

/* Whether a parser whose probe outranks nDPI claims these first bytes (the
 * ones gathered so far, then data), or may once more arrive. */
static bool outranking_probe_claims(const struct applayer *al, const struct flow *f,
                                    enum flow_direction dir, const uint8_t *data, uint32_t len)
{
    const struct applayer_flow *af = f->applayer;
    if (dir != FLOW_TOSERVER)
        return false;       /* what outranks nDPI is a client's opening (the h2 preface) */
    uint8_t first[APPLAYER_PROBE_BYTES];
    uint32_t n = af->probe_len[dir];
    memcpy(first, af->probe_buf[dir], n);
    uint32_t take = len < APPLAYER_PROBE_BYTES - n ? len : APPLAYER_PROBE_BYTES - n;
    if (take)
        memcpy(first + n, data, take);      /* an EOF chunk has no data */
    n += take;
    for (int p = 0; n > 0 && p < APPLAYER_PROTO_COUNT; p++) {
        const struct applayer_parser *row = registry[p];
        if (row && al->enabled[p] && row->probe_outranks_ndpi && row->probe &&
            transport_ok(row, f) && row->probe(first, n, dir) != APPLAYER_PROBE_NO)
            return true;
    }
    return false;
}

/* nDPI's verdict counts only before any byte went by (a parser must see a
 * direction from its first byte) and not inside a tunnel (it is about the
 * outer protocol), and not over bytes an outranking probe claims.  Probes
 * see the direction's first bytes, gathered over segments while one of them
 * answers "more". */
static const struct applayer_parser *choose(struct applayer *al, struct flow *f,
                                            enum flow_direction dir, const uint8_t *data,
                                            uint32_t len)
{
    struct applayer_flow *af = f->applayer;
    bool fresh = af->seen[FLOW_TOSERVER] == 0 && af->seen[FLOW_TOCLIENT] == 0;
    bool tunnelled = af->skip_to[0] || af->skip_to[1];
    bool ndpi_counts = fresh && !tunnelled && !outranking_probe_claims(al, f, dir, data, len);
    for (int p = 0; ndpi_counts && p < APPLAYER_PROTO_COUNT; p++)
        if (registry[p] && al->enabled[p] && transport_ok(registry[p], f) &&
            ndpi_names_it(al, p, f))
            return registry[p];
    if (len == 0 || af->probe_tries[dir] >= PROBE_TRIES_MAX || !fresh)
        return NULL;
    af->probe_tries[dir]++;
    uint32_t room = APPLAYER_PROBE_BYTES - af->probe_len[dir];
    uint32_t take = len < room ? len : room;
    memcpy(af->probe_buf[dir] + af->probe_len[dir], data, take);
    af->probe_len[dir] = (uint8_t)(af->probe_len[dir] + take);
    bool more = false;
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++) {
        const struct applayer_parser *row = registry[p];
        if (!row || !al->enabled[p] || !row->probe || !transport_ok(row, f))
            continue;
        enum applayer_probe_result r = row->probe(af->probe_buf[dir], af->probe_len[dir], dir);
        if (r == APPLAYER_PROBE_YES)
            return row;
        more |= r == APPLAYER_PROBE_MORE;
    }
    if (!more || af->probe_len[dir] == APPLAYER_PROBE_BYTES || af->probe_tries[dir] >= PROBE_TRIES_MAX)
        af->probe_tries[dir] = PROBE_TRIES_MAX;
    return NULL;
}

/* Per-flow state is counted in stats.memory so that flow.memcap covers it:
 * a flood of UDP flows to port 53 holds one of these (and a DNS parser's
 * state) per flow. */
static struct applayer_flow *flow_state(struct applayer *al, struct flow *f)
{
    if (!f->applayer && (f->applayer = calloc(1, sizeof *f->applayer)) != NULL)
        al->stats.memory += sizeof *f->applayer;
    return f->applayer;
}

/* What detection left in a transaction (its header's last fields). */
static void tx_free_detection(struct applayer_tx *tx)
{
    free(tx->fired);
    tx->fired = NULL;
    free(tx->detect_body[0]);
    free(tx->detect_body[1]);
    tx->detect_body[0] = tx->detect_body[1] = NULL;
}

/* A parser's state goes: its transactions' detection memory, its counters
 * into the worker's (and, for a parser left behind by a tunnel, its
 * transactions into stats.tx), then the state itself.  Memory accounting
 * stays with the callers, which hold different amounts. */
static void release_state(struct applayer *al, const struct applayer_parser *p, void *state,
                          uint8_t transport, bool count_txs)
{
    size_t n = p->tx_count(state);
    if (count_txs)
        al->stats.tx[p->proto][transport] += n;
    for (size_t i = 0; i < n; i++)
        tx_free_detection(p->tx_at(state, i));
    if (p->counts_add)
        p->counts_add(state, &al->stats.counts[p->proto][transport]);
    p->state_free(state);
}

/* The tunnel's first inner byte arrived: the outer parser is done (its
 * transactions were logged by after_detect), the inner bytes are probed. */
static void note_ids(struct applayer_flow *af)
{
    size_t n = af->parser ? af->parser->tx_count(af->state) : 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t id = af->tx_id_base + af->parser->tx_at(af->state, i)->id + 1;
        if (id > af->tx_ids_used)
            af->tx_ids_used = id;
    }
}

uint64_t applayer_tx_id(const struct flow *flow, const struct applayer_tx *tx)
{
    return (flow->applayer ? flow->applayer->tx_id_base : 0) + tx->id;
}

static bool any_unlogged(const struct applayer_parser *p, void *state)
{
    size_t n = p->tx_count(state);
    for (size_t i = 0; i < n; i++)
        if (!p->tx_at(state, i)->logged)
            return true;
    return false;
}

static void free_retired(struct applayer *al, struct applayer_flow *af)
{
    const struct applayer_parser *p = af->retired;
    al->stats.memory -= al->stats.memory >= p->state_size ? p->state_size : 0;
    release_state(al, p, af->retired_state, af->transport, true);
    af->retired = NULL;
    af->retired_state = NULL;
}

static void leave_outer(struct applayer *al, struct applayer_flow *af)
{
    note_ids(af);
    uint64_t outer_base = af->tx_id_base;
    af->tx_id_base = af->tx_ids_used;
    if (!af->retired && any_unlogged(af->parser, af->state)) {
        af->retired = af->parser;           /* logged and freed by after_detect */
        af->retired_state = af->state;
        af->retired_base = outer_base;
    } else {
        al->stats.memory -= al->stats.memory >= af->parser->state_size ? af->parser->state_size : 0;
        release_state(al, af->parser, af->state, af->transport, true);
    }
    af->parser = NULL;
    af->state = NULL;
    af->in_tunnel = false;
    af->failed = false;
    af->seen[0] = af->seen[1] = 0;
    af->probe_tries[0] = af->probe_tries[1] = 0;
    af->probe_len[0] = af->probe_len[1] = 0;
}

static void check_tunnel(struct applayer *al, struct applayer_flow *af)
{
    uint64_t off[2];
    if (af->in_tunnel || !af->parser->tunnel_offset || !af->parser->tunnel_offset(af->state, off))
        return;
    af->skip_to[0] = off[0];
    af->skip_to[1] = off[1];
    af->in_tunnel = true;
    al->stats.tunnels++;
}

static void give(struct applayer *al, struct applayer_flow *af, const struct applayer_chunk *part,
                 uint64_t ts_usec)
{
    af->seen[part->dir] += part->len;
    if (!af->parser || af->failed || !af->parser->on_data)
        return;
    if (af->parser->on_data(af->state, part, ts_usec) < 0) {
        af->failed = true;
        al->stats.parse_errors[af->proto][af->transport]++;
        return;
    }
    check_tunnel(al, af);
}

static void feed(struct applayer *al, struct flow *f, const struct applayer_chunk *part,
                 uint64_t ts_usec)
{
    struct applayer_flow *af = f->applayer;
    if (af->parser || af->failed) {
        give(al, af, part, ts_usec);
        return;
    }
    uint8_t kept = af->probe_len[part->dir];
    const struct applayer_parser *p = choose(al, f, part->dir, part->data, part->len);
    if (!p) {
        if (af->probe_tries[part->dir] >= PROBE_TRIES_MAX)
            af->seen[part->dir] += part->len + af->probe_len[part->dir];
        return;     /* kept for the next probe, or not anyone's */
    }
    if (attach(al, f, p, part->dir, ts_usec) < 0)
        return;
    if (kept) {
        /* the earlier segments the probe gathered come first */
        struct applayer_chunk head = { part->dir, af->probe_buf[part->dir], kept,
                                       part->offset >= kept ? part->offset - kept : 0, 0 };
        give(al, af, &head, ts_usec);
    }
    af->probe_len[0] = af->probe_len[1] = 0;
    give(al, af, part, ts_usec);
}

static struct applayer_chunk chunk_from(const struct applayer_chunk *c, uint64_t offset)
{
    struct applayer_chunk part = *c;
    uint64_t cut = offset > c->offset ? offset - c->offset : 0;
    if (cut > c->len)
        cut = c->len;
    if (cut == 0)
        return part;
    part.data += cut;
    part.len -= (uint32_t)cut;
    part.offset += cut;
    return part;
}

void applayer_on_chunk(struct applayer *al, struct flow *f, const struct applayer_chunk *c,
                       uint64_t ts_usec)
{
    if (!al->any_tcp && !f->applayer)
        return;
    struct applayer_flow *af = flow_state(al, f);
    if (!af || (unsigned)c->dir > FLOW_TOCLIENT)
        return;
    bool was_tunnel = af->in_tunnel;
    uint64_t skip = af->skip_to[c->dir];
    if (af->in_tunnel && c->offset >= skip)
        leave_outer(al, af);
    if (c->flags & APPLAYER_CHUNK_EOF)
        af->eof[c->dir] = true;
    if (c->offset + c->len > af->next_offset[c->dir])
        af->next_offset[c->dir] = c->offset + c->len;
    struct applayer_chunk part = af->in_tunnel ? *c : chunk_from(c, skip);
    if (part.len == 0 && !(part.flags & APPLAYER_CHUNK_EOF))
        return;
    feed(al, f, &part, ts_usec);
    /* CONNECT answered inside this chunk: the rest of it is the tunnel's */
    if (!was_tunnel && af->in_tunnel && af->skip_to[c->dir] < c->offset + c->len) {
        struct applayer_chunk rest = chunk_from(c, af->skip_to[c->dir]);
        leave_outer(al, af);
        feed(al, f, &rest, ts_usec);
    }
}

bool applayer_wants_bytes(const struct flow *f, enum flow_direction dir)
{
    const struct applayer_flow *af = f->applayer;
    if (!af || !af->parser || af->failed || (unsigned)dir > FLOW_TOCLIENT || af->eof[dir])
        return false;
    const struct applayer_parser *p = af->parser;
    size_t n = p->tx_count(af->state);
    if (n == 0)
        return af->tx_ids_used == af->tx_id_base;   /* none yet, rather than all done */
    for (size_t i = 0; i < n; i++)
        if (p->tx_at(af->state, i)->progress[dir] < p->progress_done[dir])
            return true;
    return false;
}

void applayer_on_packet(struct flow *f, enum flow_direction dir, uint8_t tcp_flags)
{
    struct applayer_flow *af = f->applayer;
    if (af && af->proto && !af->visible && dir != af->attach_dir && !(tcp_flags & 0x02))
        af->visible = true;
}

bool applayer_proto_visible(const struct flow *f)
{
    return f->applayer && f->applayer->proto && f->applayer->visible;
}

void applayer_on_datagram(struct applayer *al, struct flow *f, enum flow_direction dir,
                          const uint8_t *data, uint32_t len, uint64_t ts_usec)
{
    if (!al->any_udp && !f->applayer)
        return;     /* no per-flow state where no parser could ever run */
    struct applayer_flow *af = flow_state(al, f);
    if (!af || len == 0 || (unsigned)dir > FLOW_TOCLIENT)
        return;
    if (!af->parser && !af->failed) {
        const struct applayer_parser *p = choose(al, f, dir, data, len);
        if (!p || attach(al, f, p, dir, ts_usec) < 0) {
            af->seen[dir] += len;
            return;
        }
    }
    af->seen[dir] += len;
    if (af->failed || !af->parser || !af->parser->on_packet)
        return;
    if (af->parser->on_packet(af->state, dir, data, len, ts_usec) < 0) {
        af->failed = true;
        al->stats.parse_errors[af->proto][af->transport]++;
    }
}

void applayer_on_flow_end(struct applayer *al, struct flow *f, uint64_t ts_usec)
{
    struct applayer_flow *af = f->applayer;
    if (!af || !af->parser || af->failed || f->proto != IPPROTO_TCP)
        return;
    for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++) {
        if (af->eof[d])
            continue;
        struct applayer_chunk eof = { (enum flow_direction)d, NULL, 0, af->next_offset[d],
                                      APPLAYER_CHUNK_EOF };
        applayer_on_chunk(al, f, &eof, ts_usec);
    }
}

/* --- transaction life cycle -------------------------------------------------------- */

static bool tx_complete(const struct applayer_parser *p, const struct applayer_tx *tx)
{
    return tx->progress[0] >= p->progress_done[0] && tx->progress[1] >= p->progress_done[1];
}

/* side_event parsers: each side that is complete (or all at flow end) and
 * not logged yet, the request side first; logged once both are. */
static void log_sides(struct applayer *al, struct flow *f, struct applayer_tx *tx, bool flow_end,
                      applayer_log_fn log, void *ctx)
{
    struct applayer_flow *af = f->applayer;
    const struct applayer_parser *p = af->parser;
    for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++) {
        uint8_t bit = (uint8_t)(1u << d);
        if ((tx->sides_logged & bit) || !(flow_end || tx->progress[d] >= p->progress_done[d]))
            continue;
        tx->sides_logged |= bit;
        if (!log || !p->side_event(al->settings[p->proto], af->state, tx, (enum flow_direction)d))
            continue;
        tx->log_side = (uint8_t)(1 + d);
        log(ctx, f, p, af->state, tx);
        tx->log_side = 0;
    }
    tx->logged = tx->sides_logged == 3;
}

void applayer_after_detect(struct applayer *al, struct flow *f, bool flow_end,
                           applayer_log_fn log, void *ctx)
{
    struct applayer_flow *af = f->applayer;
    if (af && af->retired) {
        /* the outer parser's last transactions, with the tx_ids they had */
        uint64_t base = af->tx_id_base;
        af->tx_id_base = af->retired_base;
        size_t n = af->retired->tx_count(af->retired_state);
        for (size_t i = 0; i < n; i++) {
            struct applayer_tx *tx = af->retired->tx_at(af->retired_state, i);
            if (tx->logged)
                continue;
            tx->logged = true;
            if (log)
                log(ctx, f, af->retired, af->retired_state, tx);
        }
        af->tx_id_base = base;
        free_retired(al, af);
    }
    if (!af || !af->parser)
        return;
    const struct applayer_parser *p = af->parser;
    note_ids(af);
    size_t n = p->tx_count(af->state);
    for (size_t i = 0; i < n; i++) {
        struct applayer_tx *tx = p->tx_at(af->state, i);
        tx->changed = 0;
        if (!tx->logged && p->side_event) {
            log_sides(al, f, tx, flow_end, log, ctx);
            continue;
        }
        if (tx->logged || !(flow_end || tx_complete(p, tx)))
            continue;
        tx->logged = true;
        if (log)
            log(ctx, f, p, af->state, tx);
    }
    while (p->tx_count(af->state) > 0) {
        struct applayer_tx *tx = p->tx_at(af->state, 0);
        if (!tx->logged || !(flow_end || tx_complete(p, tx)))
            break;
        tx_free_detection(tx);
        al->stats.tx[af->proto][af->transport]++;
        p->tx_free(af->state, tx);
    }
}

void applayer_flow_free(struct applayer *al, struct flow *f)
{
    struct applayer_flow *af = f->applayer;
    if (!af)
        return;
    if (af->retired)
        free_retired(al, af);
    uint64_t held = sizeof *af + (af->parser ? af->parser->state_size : 0);
    al->stats.memory = al->stats.memory > held ? al->stats.memory - held : 0;
    if (af->parser)
        release_state(al, af->parser, af->state, af->transport, false);
    free(af);
    f->applayer = NULL;
}
