/* Matching: per packet (prefilter candidates by protocol group, port and
 * fast pattern over the payload and the new stream bytes, then full
 * evaluation in rule order), per app-layer transaction as it progresses,
 * and the packet-less looks at stream end and flow end.  Per-flow state
 * (flowbits, once-per-flow rules, pass) lives in struct detect_flow. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "detect/engine_int.h"
#include "stream/stream.h"
#include "util/array.h"

#define FIRED_PER_FLOW_MAX 4096

static int packet_group(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP: return GROUP_TCP;
    case IPPROTO_UDP: return GROUP_UDP;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: return GROUP_ICMP;
    default: return GROUP_OTHER;
    }
}

/* Suricata's view: a TCP flow is established from the packet after the one
 * that completed the three-way handshake; other flows once both sides
 * spoke. */
static bool flow_established(const struct flow *f, const struct packet *p,
                             enum flow_direction dir)
{
    if (!f)
        return false;
    if (f->proto != IPPROTO_TCP)
        return f->pkts[FLOW_TOSERVER] > 0 && f->pkts[FLOW_TOCLIENT] > 0;
    if (f->tcp_state < FLOW_TCP_ESTABLISHED)
        return false;
    bool handshake_ack = dir == FLOW_TOSERVER && f->pkts[FLOW_TOSERVER] == 2 &&
                         (f->tcp_flags_seen[FLOW_TOSERVER] & TCP_SYN) &&
                         (p->tcp_flags & (TCP_ACK | TCP_SYN)) == TCP_ACK;
    return !handshake_ack;
}

/* "any any -> any any" (most rules of the default pack) needs no call;
 * ports go before the address sets: a port range is one comparison. */
static bool header_matches(const struct rule *r, const struct ip_addr *src, uint16_t sp,
                           const struct ip_addr *dst, uint16_t dp)
{
    if (r->src.any && r->dst.any && r->sp.any && r->dp.any)
        return true;
    if (port_set_match(&r->sp, sp) && port_set_match(&r->dp, dp) &&
        addr_set_match(&r->src, src) && addr_set_match(&r->dst, dst))
        return true;
    return r->bidir && port_set_match(&r->sp, dp) && port_set_match(&r->dp, sp) &&
           addr_set_match(&r->src, dst) && addr_set_match(&r->dst, src);
}

static bool proto_matches(const struct rule *r, uint8_t proto)
{
    if (r->ipproto == 0 || r->ipproto == proto)
        return true;
    return r->icmp_any && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6);
}

/* The app-layer parser has the flow (and knows its protocol before nDPI does),
 * or one that answers that protocol's buffers (HTTP/2 for http.*). */
static bool flow_parser_is(const struct flow *f, uint8_t proto)
{
    if (!proto || !f->applayer)
        return false;
    const struct applayer_flow *af = f->applayer;
    return af->proto == (enum applayer_proto)proto ||
           (af->parser && (af->parser->buffers_of & (1u << proto)));
}

/* nDPI's metadata stands in for a parser's buffers on flows that parser
 * does not have, and, for HTTP, only where nDPI itself saw HTTP. */
static bool fallback_applies(const struct detect_engine *de, const struct flow *f, int proto)
{
    if (proto == APPLAYER_NONE || flow_parser_is(f, (uint8_t)proto))
        return false;
    return proto != APPLAYER_HTTP || detect_proto_is(de, f, "http");
}

/* ... and packet rules may see it yet (applayer_on_packet); by Suricata's
 * AppProtoEquals ("alert http" sees an HTTP/2 flow). */
static bool flow_parser_says(const struct flow *f, uint8_t proto)
{
    if (!proto || !applayer_proto_visible(f))
        return false;
    if (f->applayer->proto == (enum applayer_proto)proto)
        return true;    /* the common case, without comparing names per packet */
    const struct applayer_parser *p = applayer_parser_of((enum applayer_proto)proto);
    return p && applayer_proto_equals(p->name, applayer_flow_proto_name(f));
}

/* Where the payload keywords look for one packet: its own payload, and
 * the new bytes of its direction's reassembled stream with some context. */
struct payload_src {
    const uint8_t *pkt;         /* NULL: the packet's payload is not inspected */
    uint32_t pkt_len;
    bool pkt_in_stream;         /* its bytes were not all new and in order: the stream has them */
    const uint8_t *win;         /* NULL: no new stream bytes */
    uint32_t win_len, win_new;
    uint64_t win_base;
};

/* A pattern both in the packet and in the stream is one match: the rule is
 * evaluated once per packet, on the packet, else on the stream.  A packet
 * the stream did not take whole (held, retransmitted) is left to the
 * stream, except by rules anchored with offset/depth: on the stream those
 * count from its first byte, so a request deep in a connection would never
 * match there; they keep looking at the packet as before reassembly. */
static bool payload_matches(const struct match_env *env, const struct rule *r,
                            const struct payload_src *src)
{
    const struct inspect_list *l = &r->buf[BUF_PAYLOAD];
    bool on_packet = src->pkt && r->payload_source != RULE_PAYLOAD_STREAM &&
                     (r->payload_source == RULE_PAYLOAD_PACKET || !src->pkt_in_stream ||
                      r->payload_anchored);
    if (on_packet && inspect_buffer(env, l, src->pkt, src->pkt_len))
        return true;
    return src->win && r->payload_source != RULE_PAYLOAD_PACKET &&
           inspect_stream(env, l, src->win, src->win_len, src->win_base, src->win_new);
}

static bool rule_matches(const struct match_env *env, const struct rule *r,
                         const struct payload_src *src)
{
    const struct packet *p = env->pkt;
    /* cheapest tests first (all of these only read): direction and app
     * protocol turn most rules away before the address sets are walked */
    if (!proto_matches(r, p->proto))
        return false;
    uint32_t fo = r->flow_opts;
    if ((fo & FLOWOPT_TOSERVER) && env->dir != FLOW_TOSERVER)
        return false;
    if ((fo & FLOWOPT_TOCLIENT) && env->dir != FLOW_TOCLIENT)
        return false;
    if ((r->napp_ids || r->app_proto) && (!env->flow || (env->tx ? !flow_parser_is(env->flow, r->app_proto)
                                               : !flow_parser_says(env->flow, r->app_proto))) &&
        (!env->flow || !applayer_flow_is(env->flow, r->app_ids, r->napp_ids)))
        return false;
    if (!header_matches(r, &p->src, p->src_port, &p->dst, p->dst_port))
        return false;
    if (fo & (FLOWOPT_ESTABLISHED | FLOWOPT_NOT_ESTABLISHED)) {
        bool est = flow_established(env->flow, p, env->dir);
        if ((fo & FLOWOPT_ESTABLISHED) && !est)
            return false;
        if ((fo & FLOWOPT_NOT_ESTABLISHED) && est)
            return false;
    }
    for (size_t i = 0; i < r->nchecks; i++)
        if (!r->checks[i].match(env, r->checks[i].ctx))
            return false;
    uint64_t used = r->buffers_used;
    for (int b = 0; used; b++, used >>= 1) {
        if (!(used & 1))
            continue;
        if (b == BUF_PAYLOAD && src) {
            if (!payload_matches(env, r, src))
                return false;
            continue;
        }
        if (!inspect_rule_buffer(env, r, b))
            return false;
    }
    return true;
}

static bool fired_before(const struct flow *f, uint32_t idx)
{
    const struct detect_flow *df = f ? f->detect : NULL;
    if (!df)
        return false;
    for (uint32_t i = 0; i < df->nfired; i++)
        if (df->fired[i] == idx)
            return true;
    return false;
}

/* Appends to a list of fired marks (a flow's or a transaction's), up to
 * FIRED_PER_FLOW_MAX; beyond it, or out of memory, the rule may fire again. */
static void fired_list_add(uint32_t **list, uint32_t *n, uint32_t *cap, uint32_t key)
{
    if (*n >= FIRED_PER_FLOW_MAX)
        return;
    if (*n == *cap) {
        size_t c = *cap;                /* at most FIRED_PER_FLOW_MAX: fits */
        uint32_t *nv = array_grow(*list, &c, sizeof *nv, 4);
        if (!nv)
            return;
        *list = nv;
        *cap = (uint32_t)c;
    }
    (*list)[(*n)++] = key;
}

static void mark_fired(struct flow *f, uint32_t idx)
{
    struct detect_flow *df = detect_flow_state(f);
    if (df)
        fired_list_add(&df->fired, &df->nfired, &df->fired_cap, idx);
}

static inline void queue_rule(struct detect_thread *dt, uint32_t idx)
{
    if (dt->stamp[idx] == dt->gen)
        return;
    dt->stamp[idx] = dt->gen;
    dt->cand[dt->ncand++] = idx;
}

static void ac_hit(void *ctx, uint32_t id)
{
    queue_rule(ctx, id);
}

/* A new candidate list: a new generation of stamps, so a rule is queued
 * at most once without clearing a per-rule array each time. */
static void candidates_reset(struct detect_thread *dt)
{
    if (++dt->gen == 0) {
        memset(dt->stamp, 0, (dt->de->nrules ? dt->de->nrules : 1) * sizeof *dt->stamp);
        dt->gen = 1;
    }
    dt->ncand = 0;
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Rules run in index order.  A packet has a handful of candidates, for
 * which insertion sort beats qsort's call per comparison. */
static void sort_candidates(uint32_t *v, size_t n)
{
    if (n > 32) {
        qsort(v, n, sizeof *v, u32_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static bool verdict_final(const struct flow *f)
{
    return f && (f->app.state == CLASSIFY_DONE || f->app.state == CLASSIFY_GIVEN_UP);
}

/* As Suricata's default encryption handling: once nDPI has seen a
 * handshake through, the rest of a TLS, QUIC or SSH flow is ciphertext, in
 * which a content match is noise, and most of the bytes on a modern network.
 * Metadata rules (tls.sni, ja3.hash, ndpi-protocol, ...) still run. */
static void payload_sources(struct detect_thread *dt, const struct flow *flow,
                            const struct packet *pkt, const struct stream_view *view,
                            struct payload_src *src)
{
    memset(src, 0, sizeof *src);
    if (!dt->de->inspect_encrypted && flow && classify_payload_encrypted(&flow->app)) {
        if (pkt->payload_len) {
            dt->stats.encrypted_packets_skipped++;
            dt->stats.encrypted_bytes_skipped += pkt->payload_len;
        }
        return;
    }
    if (pkt->payload_len) {
        src->pkt = pkt->payload;
        src->pkt_len = pkt->payload_len;
        dt->stats.payload_bytes_inspected += pkt->payload_len;
    }
    if (!view)
        return;
    src->pkt_in_stream = view->kind == STREAM_PKT_PARTIAL || view->kind == STREAM_PKT_OLD;
    if (view->data && view->len > view->new_from) {
        src->win = view->data;
        src->win_len = view->len;
        src->win_new = view->new_from;
        src->win_base = view->offset;
        dt->stats.stream_bytes_inspected += view->len - view->new_from;
    }
}

/* The prefilter over a stream window: only where a fast pattern can end in
 * new bytes, and, when the new bytes are just this packet's (scanned
 * already), only across its start. */
static void scan_stream(struct detect_thread *dt, const struct proto_group *g,
                        const struct payload_src *src)
{
    uint32_t reach = g->max_fast_len ? g->max_fast_len - 1 : 0;
    uint32_t from = src->win_new > reach ? src->win_new - reach : 0;
    uint32_t to = src->win_len;
    if (src->pkt && !src->pkt_in_stream && src->win_len - src->win_new == src->pkt_len) {
        uint64_t edge = (uint64_t)src->win_new + reach;
        to = edge < to ? (uint32_t)edge : to;
    }
    if (to > from)
        ac_scan(g->ac, src->win + from, to - from, ac_hit, dt);
}

/* A transaction's body grows between the steps detection looks at (up to
 * the body limit, re-inspected at each window), and every look used to scan
 * it from the start: four times its bytes on the HTTP bench.  For file_data
 * the prefilter remembers in the transaction (by direction) how far it
 * scanned and which rules its patterns hit there; a later step replays
 * those and scans only from where a pattern could still end in new bytes.
 * The body only grows by appending; a checksum of the bytes before the
 * mark catches one that did not (it is then scanned whole). */
#define BODY_MARK_BYTES 16u

struct body_scan {
    uint32_t scanned;           /* bytes of the body already scanned */
    uint32_t nhits, hits_cap;
    uint64_t mark;              /* checksum of the BODY_MARK_BYTES before scanned */
    uint32_t hits[];            /* rules whose pattern occurred in them */
};

static uint64_t body_mark(const uint8_t *data, uint32_t end)
{
    uint32_t from = end > BODY_MARK_BYTES ? end - BODY_MARK_BYTES : 0;
    uint64_t h = 0xcbf29ce484222325ull ^ end;
    for (uint32_t i = from; i < end; i++)
        h = (h ^ data[i]) * 0x100000001b3ull;
    return h;
}

struct body_hit_ctx {
    struct detect_thread *dt;
    struct body_scan **scan;    /* in the transaction: may move as it grows */
};

/* A rule id is in one automaton once, so a hit not yet queued in this
 * generation is new to the memo too. */
static void body_hit(void *ctx, uint32_t id)
{
    struct body_hit_ctx *c = ctx;
    if (c->dt->stamp[id] == c->dt->gen)
        return;
    queue_rule(c->dt, id);
    struct body_scan *s = *c->scan;
    if (s->nhits == s->hits_cap) {
        uint32_t cap = s->hits_cap ? s->hits_cap * 2 : 8;
        struct body_scan *ns = realloc(s, sizeof *s + (size_t)cap * sizeof *s->hits);
        if (!ns) {
            s->scanned = 0;     /* incomplete memo: the next look scans whole */
            return;
        }
        ns->hits_cap = cap;
        *c->scan = s = ns;
    }
    s->hits[s->nhits++] = id;
}

static void scan_body(struct detect_thread *dt, const struct ac *ac, uint32_t max_len,
                      const struct match_env *env, const uint8_t *data, uint32_t len)
{
    struct body_scan **slot = (struct body_scan **)&env->tx->detect_body[env->dir];
    if (!*slot && !(*slot = calloc(1, sizeof **slot))) {
        ac_scan(ac, data, len, ac_hit, dt);
        return;
    }
    struct body_scan *s = *slot;
    uint32_t from = 0;
    if (s->scanned && s->scanned <= len && body_mark(data, s->scanned) == s->mark) {
        for (uint32_t i = 0; i < s->nhits; i++)
            queue_rule(dt, s->hits[i]);
        uint32_t reach = max_len ? max_len - 1 : 0;
        from = s->scanned > reach ? s->scanned - reach : 0;
    } else {
        s->nhits = 0;
    }
    s->scanned = len;
    s->mark = body_mark(data, len);
    struct body_hit_ctx ctx = { dt, slot };
    ac_scan(ac, data + from, len - from, body_hit, &ctx);
}

/* Queues pf's plain rules and those whose fast pattern occurs in its
 * buffer as env serves it (the same bytes the rule will inspect). */
static void prefilter_queue(struct detect_thread *dt, const struct buffer_prefilter *pf,
                            const struct match_env *env)
{
    for (size_t i = 0; i < pf->nplain; i++)
        queue_rule(dt, pf->plain[i]);
    for (int b = 0; b < BUF_COUNT; b++) {
        const uint8_t *data;
        uint32_t len;
        /* every instance of a multi-buffer (a name, a certificate); one otherwise */
        for (uint32_t k = 0; pf->ac[b] && detect_buffer_get_at(env, b, k, &data, &len); k++) {
            if (env->tx && b == BUF_FILE_DATA)
                scan_body(dt, pf->ac[b], pf->max_len[b], env, data, len);
            else
                ac_scan(pf->ac[b], data, len, ac_hit, dt);
        }
    }
}

static void collect_candidates(struct detect_thread *dt, const struct proto_group *g,
                               const struct match_env *env, const struct payload_src *src)
{
    struct flow *flow = env->flow;
    const struct packet *pkt = env->pkt;
    enum flow_direction dir = env->dir;
    candidates_reset(dt);
    if (!flow || flow->pkts[dir] <= 1)
        for (size_t i = 0; i < g->niponly; i++)
            queue_rule(dt, g->iponly[i]);
    /* nDPI's verdict and metadata only change until detection is final:
     * rules on them alone need one look per direction after that. */
    if ((g->napp_static || g->has_fallback) && verdict_final(flow)) {
        struct detect_flow *df = detect_flow_state(flow);
        if (df && !(df->app_done & (1u << dir))) {
            df->app_done |= (uint8_t)(1u << dir);
            for (size_t i = 0; i < g->napp_static; i++)
                queue_rule(dt, g->app_static[i]);
            for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
                if (g->has_fallback && dt->de->ndpi_fallback[p].nrules &&
                    fallback_applies(dt->de, flow, p))
                    prefilter_queue(dt, &dt->de->ndpi_fallback[p], env);
        }
    }
    for (size_t i = 0; i < g->nanyport; i++)
        queue_rule(dt, g->anyport[i]);
    size_t lo = 0, hi = g->nbyport;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g->byport[mid].port < pkt->dst_port)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < g->nbyport && g->byport[lo].port == pkt->dst_port; lo++)
        queue_rule(dt, g->byport[lo].rule);
    if (src->pkt)
        ac_scan(g->ac, src->pkt, src->pkt_len, ac_hit, dt);
    if (src->win)
        scan_stream(dt, g, src);
    sort_candidates(dt->cand, dt->ncand);
}

/* Thresholds decide after a match whether it becomes an alert. */
static bool thresholds_allow(struct detect_thread *dt, const struct rule *r,
                             const struct flow *flow, const struct packet *pkt)
{
    if (r->has_detection_filter &&
        !threshold_check(dt->de->thresholds, &r->detection_filter, r->info.gid, r->info.sid, flow,
                         pkt, pkt->ts_usec))
        return false;
    if (r->has_threshold &&
        !threshold_check(dt->de->thresholds, &r->threshold, r->info.gid, r->info.sid, flow, pkt,
                         pkt->ts_usec))
        return false;
    return true;
}

/* A match with no packet behind it (stream end, flow end): an app-layer
 * rule is marked fired for the flow, the actions run, and the alert, unless
 * noalert or a threshold says no, carries no packet. */
static void rule_fire(struct detect_thread *dt, struct flow *flow, const struct match_env *env,
                      const struct rule *r, const struct alert_sink *sink)
{
    if (r->app_layer)
        mark_fired(flow, r->index);
    for (size_t a = 0; a < r->nactions; a++)
        r->actions[a].apply(env, r->actions[a].ctx);
    if (r->noalert || !thresholds_allow(dt, r, flow, env->pkt))
        return;
    if (sink)
        sink->emit(sink->ctx, flow, NULL, &r->info, NULL);
}

/* --- app-layer transactions ------------------------------------------------------ */

/* A packet with no payload, oriented as direction d of the flow: for a
 * transaction that progressed in the other direction than the packet's, and
 * for flow end. */
static void oriented_packet(const struct flow *flow, enum flow_direction d, uint64_t ts_usec,
                          uint64_t pcap_cnt, struct packet *out)
{
    memset(out, 0, sizeof *out);
    out->ts_usec = ts_usec;
    out->pcap_cnt = pcap_cnt;
    out->proto = flow->proto;
    out->ip_version = flow->client.family;
    out->src = d == FLOW_TOSERVER ? flow->client : flow->server;
    out->dst = d == FLOW_TOSERVER ? flow->server : flow->client;
    out->src_port = d == FLOW_TOSERVER ? flow->client_port : flow->server_port;
    out->dst_port = d == FLOW_TOSERVER ? flow->server_port : flow->client_port;
}

/* The "already fired" mark of rule r on a transaction seen from d: the rule's
 * index, with the top bit set for the to-client mark of a rule fired once per
 * direction (rule indexes stay far below 2^31). */
static uint32_t tx_fired_key(const struct rule *r, enum flow_direction d)
{
    if (r->tx_per_direction && d == FLOW_TOCLIENT)
        return r->index | UINT32_C(0x80000000);
    return r->index;
}

static bool tx_fired(const struct applayer_tx *tx, uint32_t key)
{
    for (uint32_t i = 0; i < tx->nfired; i++)
        if (tx->fired[i] == key)
            return true;
    return false;
}

static void tx_mark_fired(struct applayer_tx *tx, uint32_t key)
{
    fired_list_add(&tx->fired, &tx->nfired, &tx->fired_cap, key);
}

/* The transaction rules worth evaluating: those without a fast pattern, and
 * those whose pattern occurs in its buffer of this transaction. */
static void collect_tx_candidates(struct detect_thread *dt, const struct match_env *env)
{
    const struct detect_engine *de = dt->de;
    candidates_reset(dt);
    prefilter_queue(dt, &de->tx[env->dir], env);
    sort_candidates(dt->cand, dt->ncand);
}

static void emit_tx_alert(const struct alert_sink *sink, const struct flow *flow,
                          const struct packet *pkt, const struct rule_info *info,
                          const struct applayer_tx *tx)
{
    if (!sink)
        return;
    if (sink->emit_tx)
        sink->emit_tx(sink->ctx, flow, pkt, info, tx);
    else
        sink->emit(sink->ctx, flow, pkt, info, NULL);
}

/* Every transaction rule once on one transaction seen from direction d. */
static void detect_one_tx(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                          enum flow_direction d, struct applayer_tx *tx,
                          const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    struct applayer_flow *af = flow->applayer;
    struct match_env env = { de, dt, flow, pkt, d, af->parser, af->state, tx };
    collect_tx_candidates(dt, &env);
    dt->nalerts = 0;
    for (size_t i = 0; i < dt->ncand; i++) {
        const struct rule *r = de->rules[dt->cand[i]];
        if ((r->tx_proto != (uint8_t)af->parser->proto &&
             !(af->parser->buffers_of & (1u << r->tx_proto))) ||
            tx_fired(tx, tx_fired_key(r, d)))
            continue;
        if (!pkt->payload_len && r->buf[BUF_PAYLOAD].n)
            continue;
        if (!rule_matches(&env, r, NULL))
            continue;
        tx_mark_fired(tx, tx_fired_key(r, d));
        for (size_t a = 0; a < r->nactions; a++)
            r->actions[a].apply(&env, r->actions[a].ctx);
        if (r->info.action == RULE_ACTION_PASS) {
            struct detect_flow *df = detect_flow_state(flow);
            if (df)
                df->passed = true;
            dt->nalerts = 0;
            break;
        }
        if (r->noalert || !thresholds_allow(dt, r, flow, pkt))
            continue;
        dt->alerts[dt->nalerts++] = r->index;
    }
    for (size_t i = 0; i < dt->nalerts; i++)
        emit_tx_alert(sink, flow, pkt, &de->rules[dt->alerts[i]]->info, tx);
}

/* Each transaction that progressed since the last look, in each direction it
 * progressed in: rules fire as the request and then the response complete,
 * once per transaction.  pkt is NULL at flow end. */
static void detect_transactions(struct detect_thread *dt, struct flow *flow,
                                const struct packet *pkt, enum flow_direction dir,
                                const struct alert_sink *sink)
{
    struct applayer_flow *af = flow->applayer;
    if (dt->de->ntx_rules == 0 || !af || !af->parser)
        return;
    size_t n = af->parser->tx_count(af->state);
    for (size_t i = 0; i < n; i++) {
        struct applayer_tx *tx = af->parser->tx_at(af->state, i);
        for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++) {
            if (!(tx->changed & (1u << d)))
                continue;
            if (flow->detect && flow->detect->passed)
                return;
            struct packet pseudo;
            const struct packet *p = pkt;
            if (!pkt || (int)dir != d) {
                oriented_packet(flow, (enum flow_direction)d, pkt ? pkt->ts_usec : flow->last_usec,
                              pkt ? pkt->pcap_cnt : 0, &pseudo);
                p = &pseudo;
            }
            detect_one_tx(dt, flow, p, (enum flow_direction)d, tx, sink);
        }
    }
}

void detect_packet(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                   enum flow_direction dir, const struct alert_sink *sink)
{
    detect_packet_stream(dt, flow, pkt, dir, NULL, sink);
}

void detect_packet_stream(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                          enum flow_direction dir, const struct stream_view *view,
                          const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    if (de->nrules == 0 || (flow && flow->detect && flow->detect->passed))
        return;
    const struct proto_group *g = &de->groups[packet_group(pkt->proto)];
    struct payload_src src;
    payload_sources(dt, flow, pkt, view, &src);
    struct match_env env = { de, dt, flow, pkt, dir, NULL, NULL, NULL };
    collect_candidates(dt, g, &env, &src);
    dt->nalerts = 0;
    for (size_t i = 0; i < dt->ncand; i++) {
        const struct rule *r = de->rules[dt->cand[i]];
        if (r->tx_proto && flow && flow_parser_is(flow, r->tx_proto))
            continue;       /* the parser's transactions serve it (detect_transactions) */
        if (r->app_layer && (!verdict_final(flow) || fired_before(flow, r->index)))
            continue;       /* no verdict, no metadata yet; or fired already */
        if (r->buf[BUF_PAYLOAD].n && !src.pkt && !src.win)
            continue;
        if (!rule_matches(&env, r, &src))
            continue;
        if (r->app_layer && flow)
            mark_fired(flow, r->index);
        for (size_t a = 0; a < r->nactions && flow; a++)
            r->actions[a].apply(&env, r->actions[a].ctx);
        if (r->info.action == RULE_ACTION_PASS) {
            struct detect_flow *df = flow ? detect_flow_state(flow) : NULL;
            if (df)
                df->passed = true;
            dt->nalerts = 0;
            break;
        }
        if (r->anomaly) {
            anomaly_on_packet(dt->anomaly, r->anomaly, &r->info, flow, pkt, dir, sink);
            continue;
        }
        if (r->noalert || !thresholds_allow(dt, r, flow, pkt))
            continue;
        dt->alerts[dt->nalerts++] = r->index;
    }
    for (size_t i = 0; i < dt->nalerts && sink; i++)
        sink->emit(sink->ctx, flow, pkt, &de->rules[dt->alerts[i]]->info, NULL);
    if (flow && flow->applayer)
        detect_transactions(dt, flow, pkt, dir, sink);
}

/* Stream bytes that only the flow's end released (held data behind a gap
 * that never filled): the stream-capable payload rules get one look at
 * them, like Suricata's flow-timeout pseudo packets.  No packet, so header
 * and flow checks see the flow's endpoints. */
static void stream_end_dir(struct detect_thread *dt, struct flow *flow, enum flow_direction d,
                           const struct stream_view *view, const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    const struct proto_group *g = &de->groups[GROUP_TCP];
    struct packet pseudo;
    oriented_packet(flow, d, flow->last_usec, 0, &pseudo);
    struct payload_src src;
    payload_sources(dt, flow, &pseudo, view, &src);
    if (!src.win)
        return;
    candidates_reset(dt);
    for (size_t i = 0; i < g->nanyport; i++)
        queue_rule(dt, g->anyport[i]);
    for (size_t i = 0; i < g->nbyport; i++)
        if (g->byport[i].port == pseudo.dst_port)
            queue_rule(dt, g->byport[i].rule);
    scan_stream(dt, g, &src);
    sort_candidates(dt->cand, dt->ncand);
    struct match_env env = { de, dt, flow, &pseudo, d, NULL, NULL, NULL };
    for (size_t i = 0; i < dt->ncand; i++) {
        const struct rule *r = de->rules[dt->cand[i]];
        if (!r->buf[BUF_PAYLOAD].n || r->payload_source == RULE_PAYLOAD_PACKET || r->anomaly ||
            r->info.action == RULE_ACTION_PASS || (r->app_layer && fired_before(flow, r->index)))
            continue;
        if (rule_matches(&env, r, &src))
            rule_fire(dt, flow, &env, r, sink);
    }
}

void detect_stream_end(struct detect_thread *dt, struct flow *flow,
                       const struct stream_view *views, const struct alert_sink *sink)
{
    if (dt->de->nrules == 0 || flow->proto != IPPROTO_TCP || (flow->detect && flow->detect->passed))
        return;
    for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++)
        stream_end_dir(dt, flow, (enum flow_direction)d, &views[d], sink);
}

static void detect_flow_free(struct detect_flow *df)
{
    if (!df)
        return;
    free(df->bits);
    free(df->fired);
    free(df->ints);
    free(df);
}

/* nDPI often completes its metadata only when the flow ends (a DNS query
 * without an answer, a flow given up on): like Suricata's flow-timeout
 * pseudo packets, app-layer rules that have not fired yet get one last look
 * in each direction.  Their alerts carry no packet. */
static void flow_end_rules_run(struct detect_thread *dt, struct flow *flow,
                               const struct match_env *env, const uint32_t *rules, size_t n,
                               const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    for (size_t i = 0; i < n; i++) {
        const struct rule *r = de->rules[rules[i]];
        /* flow-end rules are app-layer ones (build.c): rule_fire marks them */
        if (!fired_before(flow, r->index) && rule_matches(env, r, NULL))
            rule_fire(dt, flow, env, r, sink);
    }
}

/* The same for the engine's flow-end list, where a direction-free rule's
 * answer from the first direction stands for the second (seen[i], reset
 * per flow by the caller): most of the list is "ip any any -> any any" on
 * an nDPI protocol or risk. */
static void flow_end_list_run(struct detect_thread *dt, struct flow *flow,
                              const struct match_env *env, const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    uint8_t *seen = dt->flow_end_seen;
    for (size_t i = 0; i < de->nflow_end; i++) {
        const struct rule *r = de->rules[de->flow_end_rules[i]];
        if (fired_before(flow, r->index))
            continue;
        bool match;
        if (de->flow_end_symmetric[i] && seen[i]) {
            match = seen[i] == 2;
        } else {
            match = rule_matches(env, r, NULL);
            if (de->flow_end_symmetric[i])
                seen[i] = match ? 2 : 1;
        }
        if (match)
            rule_fire(dt, flow, env, r, sink);
    }
}

static void detect_flow_end_app_layer(struct detect_thread *dt, struct flow *flow,
                                      const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    if (flow->detect && flow->detect->passed)
        return;
    if (de->nflow_end)
        memset(dt->flow_end_seen, 0, de->nflow_end * sizeof *dt->flow_end_seen);
    for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++) {
        struct packet pseudo;
        oriented_packet(flow, (enum flow_direction)d, flow->last_usec, 0, &pseudo);
        struct match_env env = { de, dt, flow, &pseudo, (enum flow_direction)d, NULL, NULL, NULL };
        flow_end_list_run(dt, flow, &env, sink);
        for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
            if (de->flow_end_fallback[p].nrules && fallback_applies(de, flow, p)) {
                candidates_reset(dt);
                prefilter_queue(dt, &de->flow_end_fallback[p], &env);
                sort_candidates(dt->cand, dt->ncand);
                flow_end_rules_run(dt, flow, &env, dt->cand, dt->ncand, sink);
            }
    }
}

size_t detect_flow_memory(const struct flow *flow)
{
    const struct detect_flow *df = flow->detect;
    if (!df)
        return 0;
    return sizeof *df + (size_t)df->bits_cap * sizeof *df->bits + (size_t)df->fired_cap * sizeof *df->fired +
           (size_t)df->ints_cap * sizeof *df->ints;
}

void detect_flow_end(struct detect_thread *dt, struct flow *flow, const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    if (flow->applayer && !(flow->detect && flow->detect->passed))
        detect_transactions(dt, flow, NULL, FLOW_TOSERVER, sink);
    detect_flow_end_app_layer(dt, flow, sink);
    for (size_t i = 0; i < de->nanomaly && dt->anomaly; i++) {
        const struct rule *r = de->rules[de->anomaly_rules[i]];
        if (!proto_matches(r, flow->proto))
            continue;
        if (!header_matches(r, &flow->client, flow->client_port, &flow->server,
                            flow->server_port))
            continue;
        anomaly_on_flow_end(dt->anomaly, r->anomaly, &r->info, flow, sink);
    }
    detect_flow_free(flow->detect);
    flow->detect = NULL;
}
