/* Building the engine from loaded rules: their evaluation order, each
 * rule's fast pattern and class (IP-only, app-static, transaction,
 * nDPI-fallback, flow-end, prefiltered or by port), the per-protocol groups
 * with their destination-port buckets, and one Aho-Corasick prefilter per
 * group and per transaction buffer. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "detect/engine_int.h"
#include "util/array.h"

static int order_class(const struct rule *r)
{
    if (r->sets_flowbits && !r->checks_flowbits)
        return 0;
    if (!r->sets_flowbits && !r->checks_flowbits)
        return 1;
    return r->sets_flowbits ? 2 : 3;
}

static int rule_order(const void *a, const void *b)
{
    const struct rule *x = *(struct rule *const *)a, *y = *(struct rule *const *)b;
    int ax = x->info.action == RULE_ACTION_PASS ? 0 : 1;
    int ay = y->info.action == RULE_ACTION_PASS ? 0 : 1;
    if (ax != ay)
        return ax - ay;
    int cx = order_class(x), cy = order_class(y);
    if (cx != cy)
        return cx - cy;
    return x->index < y->index ? -1 : x->index > y->index;
}

static const struct content *pick_fast_pattern(const struct rule *r)
{
    const struct inspect_list *l = &r->buf[BUF_PAYLOAD];
    const struct content *best = NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].kind != INSPECT_CONTENT)
            continue;
        const struct content *c = &l->v[i].u.content;
        if (c->flags & CF_NEGATED)
            continue;
        if (c->flags & CF_FAST_PATTERN)
            return c;
        if (!best || c->len > best->len)
            best = c;
    }
    return best;
}

/* Contents placed from the start of the buffer: on the stream that is
 * the stream's start, so for packets the stream did not take whole the
 * packet itself is inspected too (see payload_matches). */
static bool payload_is_anchored(const struct rule *r)
{
    const struct inspect_list *l = &r->buf[BUF_PAYLOAD];
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].kind == INSPECT_CONTENT &&
            (l->v[i].u.content.flags & (CF_OFFSET | CF_DEPTH | CF_STARTSWITH)))
            return true;
    return false;
}

static bool rule_is_app_static(const struct rule *r)
{
    if (!r->app_layer || r->anomaly || r->buf[BUF_PAYLOAD].n ||
        (r->buffers_used & ((1ull << BUF_IP_SRC) | (1ull << BUF_IP_DST))) ||
        (r->flow_opts & ~(uint32_t)(FLOWOPT_TOSERVER | FLOWOPT_TOCLIENT)) || r->checks_flowbits)
        return false;
    for (size_t i = 0; i < r->nchecks; i++)
        if (!r->checks[i].flow_static)
            return false;
    return true;
}

/* A rule that sees nothing but the header and ip.src/ip.dst with a dataset
 * (an IOC list of addresses) gives the same answer on every packet of a
 * flow direction, so it is evaluated on the first only, like Suricata's
 * IP-only rules; a threshold on it counts flows, not packets.  As in
 * Suricata, a flow keyword (even flow:to_server alone) makes a rule a
 * per-packet one (suricata-verify detect-engine-proto). */
static bool rule_is_ip_only(const struct rule *r)
{
    const uint64_t fixed_buffers = (1ull << BUF_IP_SRC) | (1ull << BUF_IP_DST);
    return r->nchecks == 0 && (r->buffers_used & ~fixed_buffers) == 0 &&
           r->flow_opts == 0 && r->napp_ids == 0 && r->app_proto == 0 && !r->anomaly &&
           r->nactions == 0;
}

/* A rule whose answer is the same seen from either direction of a flow at
 * one moment: no flow option, no buffer (all are by direction or address),
 * only checks on the flow's nDPI verdict, and an any-any header. */
static bool rule_direction_free(const struct rule *r)
{
    if (r->flow_opts || r->buffers_used || !r->src.any || !r->dst.any || !r->sp.any ||
        !r->dp.any || r->anomaly)
        return false;
    for (size_t i = 0; i < r->nchecks; i++)
        if (!r->checks[i].flow_static)
            return false;
    return true;
}

static int flow_end_symmetry(struct detect_engine *de)
{
    if (!de->nflow_end)
        return 0;
    de->flow_end_symmetric = malloc(de->nflow_end * sizeof *de->flow_end_symmetric);
    if (!de->flow_end_symmetric)
        return -1;
    for (size_t i = 0; i < de->nflow_end; i++)
        de->flow_end_symmetric[i] = rule_direction_free(de->rules[de->flow_end_rules[i]]);
    return 0;
}

static bool rule_in_group(const struct rule *r, int g)
{
    static const uint8_t group_proto[GROUP_COUNT] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 0 };
    if (r->ipproto == 0)
        return true;
    if (g == GROUP_ICMP)
        return r->ipproto == IPPROTO_ICMP || r->ipproto == IPPROTO_ICMPV6;
    if (g == GROUP_OTHER)
        return r->ipproto != IPPROTO_TCP && r->ipproto != IPPROTO_UDP && r->ipproto != IPPROTO_ICMP &&
               r->ipproto != IPPROTO_ICMPV6;
    return r->ipproto == group_proto[g];
}

/* The index arrays keep no capacity: it is the next power of two of the
 * count (at least 4), so they grow by array_grow's doubling exactly when
 * the count reaches one: amortised O(1), not a realloc per rule. */
static int index_grow(void **v, size_t n, size_t elem)
{
    if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
        return 0;
    size_t cap = n;
    void *nv = array_grow(*v, &cap, elem, 4);
    if (!nv)
        return -1;
    *v = nv;
    return 0;
}

static int u32_push(uint32_t **v, size_t *n, uint32_t x)
{
    void *p = *v;
    if (index_grow(&p, *n, sizeof **v) < 0)
        return -1;
    *v = p;
    (*v)[(*n)++] = x;
    return 0;
}

static int port_push(struct proto_group *g, uint16_t port, uint32_t rule)
{
    void *p = g->byport;
    if (index_grow(&p, g->nbyport, sizeof *g->byport) < 0)
        return -1;
    g->byport = p;
    g->byport[g->nbyport++] = (struct port_entry){ port, rule };
    return 0;
}

static int port_entry_cmp(const void *a, const void *b)
{
    const struct port_entry *x = a, *y = b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* A rule goes into destination-port buckets when its destination ports are
 * a short positive list and it is one-directional. */
#define PORT_BUCKET_MAX 32

static int add_nonprefiltered(struct proto_group *g, const struct rule *r)
{
    size_t nports = 0;
    bool bucket = !r->bidir && !r->dp.any && r->dp.npos == r->dp.n;
    for (size_t i = 0; bucket && i < r->dp.n; i++)
        nports += (size_t)r->dp.r[i].hi - r->dp.r[i].lo + 1;
    if (!bucket || nports > PORT_BUCKET_MAX)
        return u32_push(&g->anyport, &g->nanyport, r->index);
    for (size_t i = 0; i < r->dp.n; i++)
        for (uint32_t p = r->dp.r[i].lo; p <= r->dp.r[i].hi; p++)
            if (port_push(g, (uint16_t)p, r->index) < 0)
                return -1;
    return 0;
}

static bool same_rules(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* One automaton per group over its rules' fast patterns; groups with the
 * same prefiltered rules (every rule "ip", say) share one automaton. */
static int build_automata(struct detect_engine *de, uint32_t *const *pre, const size_t *npre)
{
    for (int g = 0; g < GROUP_COUNT; g++) {
        for (int h = 0; h < g && !de->groups[g].ac; h++) {
            if (same_rules(pre[g], npre[g], pre[h], npre[h])) {
                de->groups[g].ac = de->groups[h].ac;
                de->groups[g].ac_shared = true;
            }
        }
        if (de->groups[g].ac)
            continue;
        struct ac *ac = ac_new();
        if (!ac)
            return -1;
        de->groups[g].ac = ac;
        for (size_t i = 0; i < npre[g]; i++) {
            const struct rule *r = de->rules[pre[g][i]];
            if (ac_add(ac, r->fast->pat, r->fast->len, r->fast->flags & CF_NOCASE, r->index) < 0)
                return -1;
        }
        if (ac_build(ac) < 0)
            return -1;
    }
    return 0;
}

/* Suricata registers ssl_version/ssl_state inspection for both directions:
 * a rule with no direction of its own and only such keywords is matched, and
 * remembers having fired, per transaction and direction. */
static bool tx_per_direction(const struct rule *r)
{
    if (r->tx_proto != APPLAYER_TLS || r->buffers_used || r->nchecks == 0 ||
        (r->flow_opts & (FLOWOPT_TOSERVER | FLOWOPT_TOCLIENT)))
        return false;
    for (size_t i = 0; i < r->nchecks; i++)
        if (!r->checks[i].tx_each_side)
            return false;
    return true;
}

/* Which parser's transactions a rule inspects, whether nDPI's metadata can
 * serve it on other flows, and its fast pattern among the transaction
 * buffers (an explicit fast_pattern, else the longest content). */
static void classify_tx_rule(struct rule *r)
{
    bool all_fallback = !r->needs_tx;
    int proto = r->tx_proto;
    uint64_t used = r->buffers_used;
    for (int b = 0; used; b++, used >>= 1) {
        bool fallback;
        int p = (used & 1) ? detect_buffer_applayer((enum detect_buffer)b, &fallback) : 0;
        if (!p)
            continue;
        proto = p;
        all_fallback &= fallback;
    }
    r->tx_proto = (uint8_t)proto;
    r->tx_fallback = proto && all_fallback;
    r->tx_per_direction = tx_per_direction(r);
    r->tx_fast = NULL;
    for (int b = 0; proto && b < BUF_COUNT; b++) {
        bool fallback;
        if (!(r->buffers_used & (1ull << b)) ||
            detect_buffer_applayer((enum detect_buffer)b, &fallback) != proto)
            continue;
        for (size_t i = 0; i < r->buf[b].n; i++) {
            const struct inspect *in = &r->buf[b].v[i];
            if (in->kind != INSPECT_CONTENT || (in->u.content.flags & CF_NEGATED))
                continue;
            const struct content *c = &in->u.content;
            bool better = !r->tx_fast || (c->flags & CF_FAST_PATTERN) ||
                          (!(r->tx_fast->flags & CF_FAST_PATTERN) && c->len > r->tx_fast->len);
            if (better) {
                r->tx_fast = c;
                r->tx_fast_buffer = b;
            }
        }
    }
}

/* A transaction (or nDPI-served) rule goes under the automaton of its
 * fast pattern's buffer, or among the plain ones without a pattern. */
static int prefilter_add(struct buffer_prefilter *pf, const struct rule *r)
{
    pf->nrules++;
    if (!r->tx_fast)
        return u32_push(&pf->plain, &pf->nplain, r->index);
    struct ac **ac = &pf->ac[r->tx_fast_buffer];
    if (!*ac && !(*ac = ac_new()))
        return -1;
    if (r->tx_fast->len > pf->max_len[r->tx_fast_buffer])
        pf->max_len[r->tx_fast_buffer] = r->tx_fast->len;
    return ac_add(*ac, r->tx_fast->pat, r->tx_fast->len, r->tx_fast->flags & CF_NOCASE,
                  r->index);
}

static int prefilter_build(struct buffer_prefilter *pf)
{
    for (int b = 0; b < BUF_COUNT; b++)
        if (pf->ac[b] && ac_build(pf->ac[b]) < 0)
            return -1;
    return 0;
}

void prefilter_free(struct buffer_prefilter *pf)
{
    free(pf->plain);
    for (int b = 0; b < BUF_COUNT; b++)
        ac_free(pf->ac[b]);
}

static int add_tx_rule(struct detect_engine *de, const struct rule *r)
{
    de->ntx_rules++;
    if (!(r->flow_opts & FLOWOPT_TOCLIENT) && prefilter_add(&de->tx[FLOW_TOSERVER], r) < 0)
        return -1;
    if (!(r->flow_opts & FLOWOPT_TOSERVER) && prefilter_add(&de->tx[FLOW_TOCLIENT], r) < 0)
        return -1;
    return 0;
}

static int build_tx_automata(struct detect_engine *de)
{
    if (prefilter_build(&de->tx[FLOW_TOSERVER]) < 0 || prefilter_build(&de->tx[FLOW_TOCLIENT]) < 0)
        return -1;
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
        if (prefilter_build(&de->ndpi_fallback[p]) < 0 ||
            prefilter_build(&de->flow_end_fallback[p]) < 0)
            return -1;
    return 0;
}

static int build_groups(struct detect_engine *de)
{
    uint32_t *pre[GROUP_COUNT] = { NULL };
    size_t npre[GROUP_COUNT] = { 0 };
    int rc = -1;
    for (size_t i = 0; i < de->nrules; i++) {
        struct rule *r = de->rules[i];
        unsigned hooks = r->anomaly ? anomaly_params_hooks(r->anomaly) : 0;
        if ((hooks & ANOMALY_HOOK_FLOW_END) &&
            u32_push(&de->anomaly_rules, &de->nanomaly, r->index) < 0)
            goto out;
        if (r->anomaly && !(hooks & ANOMALY_HOOK_PACKET))
            continue;       /* flow-end detector only: no packet evaluation */
        classify_tx_rule(r);
        if (r->tx_proto && !r->anomaly && add_tx_rule(de, r) < 0)
            goto out;
        if (r->tx_proto && !r->tx_fallback)
            continue;       /* transactions only: no packet evaluation */
        if (r->app_layer && !r->anomaly && r->info.action == RULE_ACTION_ALERT &&
            r->buf[BUF_PAYLOAD].n == 0 &&
            (r->tx_fallback ? prefilter_add(&de->flow_end_fallback[r->tx_proto], r)
                            : u32_push(&de->flow_end_rules, &de->nflow_end, r->index)) < 0)
            goto out;
        r->ip_only = rule_is_ip_only(r);
        r->app_static = rule_is_app_static(r);
        if (r->has_threshold || r->has_detection_filter)
            de->has_thresholds = true;
        r->fast = pick_fast_pattern(r);
        r->payload_anchored = payload_is_anchored(r);
        if (r->flow_opts & FLOWOPT_ONLY_STREAM)
            r->payload_source = RULE_PAYLOAD_STREAM;
        else if (r->flow_opts & FLOWOPT_NO_STREAM)
            r->payload_source = RULE_PAYLOAD_PACKET;
        bool fallback = r->tx_fallback && !r->buf[BUF_PAYLOAD].n && !r->checks_flowbits;
        if (fallback && prefilter_add(&de->ndpi_fallback[r->tx_proto], r) < 0)
            goto out;
        for (int g = 0; g < GROUP_COUNT; g++) {
            if (!rule_in_group(r, g))
                continue;
            struct proto_group *pg = &de->groups[g];
            if (r->fast && r->fast->len > pg->max_fast_len)
                pg->max_fast_len = r->fast->len;
            if (fallback) {
                pg->has_fallback = true;
                continue;
            }
            int prc;
            if (r->ip_only)
                prc = u32_push(&pg->iponly, &pg->niponly, r->index);
            else if (r->app_static)
                prc = u32_push(&pg->app_static, &pg->napp_static, r->index);
            else if (r->fast)
                prc = u32_push(&pre[g], &npre[g], r->index);
            else
                prc = add_nonprefiltered(pg, r);
            if (prc < 0)
                goto out;
        }
    }
    for (int g = 0; g < GROUP_COUNT; g++) {
        struct proto_group *pg = &de->groups[g];
        if (pg->nbyport)
            qsort(pg->byport, pg->nbyport, sizeof *pg->byport, port_entry_cmp);
    }
    rc = build_automata(de, pre, npre);
    if (rc == 0)
        rc = build_tx_automata(de);
    if (rc == 0)
        rc = flow_end_symmetry(de);
out:
    for (int g = 0; g < GROUP_COUNT; g++)
        free(pre[g]);
    return rc;
}

int engine_build(struct detect_engine *de)
{
    for (size_t i = 0; i < de->nrules; i++)
        de->rules[i]->index = (uint32_t)i;
    if (de->nrules > 1)
        qsort(de->rules, de->nrules, sizeof *de->rules, rule_order);
    for (size_t i = 0; i < de->nrules; i++)
        de->rules[i]->index = (uint32_t)i;
    return build_groups(de);
}
