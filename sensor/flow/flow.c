/* The flow table: open hashing on a symmetric hash of the flow key keyed
 * with a random SipHash key per table (crafted keys cannot flood a chain),
 * plus one LRU list per timeout class, so that expiry only ever looks at the
 * oldest flow of each list and eviction at the cap takes the oldest of those.
 * The active timeout is checked when a packet arrives (the flow is split). */
#include "flow/flow.h"
#include "util/siphash.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* Each list holds flows that share one idle timeout, so a list ordered by
 * last-seen time is also ordered by expiry time. */
enum timeout_class {
    TC_TCP_NEW,
    TC_TCP_ESTABLISHED,
    TC_TCP_CLOSED,
    TC_UDP,
    TC_ICMP,
    TC_OTHER,
    TC_COUNT
};

struct flow_list {
    struct flow *head, *tail;   /* head = least recently used */
};

struct flow_table {
    struct flow_table_config cfg;
    uint64_t timeout_usec[TC_COUNT];
    flow_end_fn on_end;
    void *ctx;

    struct flow **buckets;
    size_t nbuckets;            /* power of two */
    size_t max_buckets;
    struct flow_list lists[TC_COUNT];
    /* No flow expires before this time: expire() called on every packet
     * returns at once until then. */
    uint64_t next_expiry;

    struct flow *spare;         /* freed flow structs kept for reuse */
    size_t nspare;

    struct flow_table_stats stats;
    struct hash_key hash_key;   /* random: bucket placement only */
    uint64_t (*state_probe)(void *ctx);   /* other stages' per-flow bytes, or NULL */
    void *state_ctx;
};

/* Fixed so that flow ids are the same on every run (buckets use a random
 * key instead: see bucket_hash). */
#define FLOW_HASH_SEED 0x5851f42d4c957f2dULL
#define INITIAL_BUCKETS 1024u
#define MALLOC_HEADER 16u       /* malloc's header per flow struct: counted in memory */
#define MAX_SPARE 4096u

/* ---- hashing ---------------------------------------------------------- */

static inline uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static inline uint64_t hash_step(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static inline uint64_t load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Both directions of a flow hash alike: the endpoints are put in a canonical
 * order (lower address, then lower port, first) before hashing. */
static void canonical_order(const struct ip_addr **a, uint16_t *pa, const struct ip_addr **b, uint16_t *pb)
{
    int c = memcmp((*a)->bytes, (*b)->bytes, sizeof (*a)->bytes);
    if (c > 0 || (c == 0 && *pa > *pb)) {
        const struct ip_addr *t = *a;
        *a = *b;
        *b = t;
        uint16_t tp = *pa;
        *pa = *pb;
        *pb = tp;
    }
}

/* The fixed hash of a flow key: the same on every run, so flow_id is too.
 * Never used to place flows in buckets (anyone can compute it). */
static uint64_t key_hash(uint32_t vlan, uint8_t proto, const struct ip_addr *a, uint16_t pa,
                         const struct ip_addr *b, uint16_t pb)
{
    canonical_order(&a, &pa, &b, &pb);
    uint64_t h = FLOW_HASH_SEED;
    h = hash_step(h, load64(a->bytes));
    h = hash_step(h, load64(a->bytes + 8));
    h = hash_step(h, load64(b->bytes));
    h = hash_step(h, load64(b->bytes + 8));
    h = hash_step(h, ((uint64_t)pa << 48) | ((uint64_t)pb << 32) | ((uint64_t)proto << 8) |
                         a->family);
    h = hash_step(h, vlan);
    return mix64(h);
}

/* The bucket hash: SipHash under the table's random key, so that crafted
 * keys cannot pile flows into one chain (hash flooding). */
static uint64_t bucket_hash(const struct flow_table *ft, uint32_t vlan, uint8_t proto,
                            const struct ip_addr *a, uint16_t pa, const struct ip_addr *b, uint16_t pb)
{
    canonical_order(&a, &pa, &b, &pb);
    struct {
        uint8_t a[16], b[16];
        uint16_t pa, pb;
        uint32_t vlan;
        uint8_t proto, family, pad[2];
    } k;
    memset(&k, 0, sizeof k);
    memcpy(k.a, a->bytes, sizeof k.a);
    memcpy(k.b, b->bytes, sizeof k.b);
    k.pa = pa;
    k.pb = pb;
    k.vlan = vlan;
    k.proto = proto;
    k.family = a->family;
    return siphash13(&ft->hash_key, &k, sizeof k);
}

static uint32_t vlan_key(uint16_t outer, uint16_t inner)
{
    return (uint32_t)outer << 16 | inner;
}

static uint32_t packet_vlan_key(const struct packet *pkt)
{
    return vlan_key(pkt->vlan_id[0], pkt->vlan_count > 1 ? pkt->vlan_id[1] : 0);
}

static uint64_t flow_bucket_hash(const struct flow_table *ft, const struct flow *f)
{
    return bucket_hash(ft, vlan_key(f->vlan_id, f->vlan_inner), f->proto, &f->client, f->client_port,
                       &f->server, f->server_port);
}

/* ---- lists ------------------------------------------------------------ */

static enum timeout_class flow_timeout_class(const struct flow *f)
{
    switch (f->proto) {
    case IPPROTO_TCP:
        switch (f->tcp_state) {
        case FLOW_TCP_SYN_SENT:
        case FLOW_TCP_SYN_RECEIVED:
            return TC_TCP_NEW;
        case FLOW_TCP_ESTABLISHED:
        case FLOW_TCP_CLOSING:
            return TC_TCP_ESTABLISHED;
        case FLOW_TCP_CLOSED:
            return TC_TCP_CLOSED;
        default:    /* midstream: established once both sides spoke */
            return f->pkts[0] && f->pkts[1] ? TC_TCP_ESTABLISHED : TC_TCP_NEW;
        }
    case IPPROTO_UDP:
        return TC_UDP;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6:
        return TC_ICMP;
    default:
        return TC_OTHER;
    }
}

/* The list a flow is on is recomputed, never stored: the caller unlinks
 * before any change of state that could change the class. */
static void list_unlink(struct flow_list *l, struct flow *f)
{
    if (f->lru_prev)
        f->lru_prev->lru_next = f->lru_next;
    else
        l->head = f->lru_next;
    if (f->lru_next)
        f->lru_next->lru_prev = f->lru_prev;
    else
        l->tail = f->lru_prev;
    f->lru_prev = f->lru_next = NULL;
}

static void list_append(struct flow_list *l, struct flow *f)
{
    f->lru_next = NULL;
    f->lru_prev = l->tail;
    if (l->tail)
        l->tail->lru_next = f;
    else
        l->head = f;
    l->tail = f;
}

/* ---- table ------------------------------------------------------------ */

void flow_table_config_defaults(struct flow_table_config *cfg)
{
    const uint64_t s = 1000000;
    *cfg = (struct flow_table_config){
        .max_flows = 1000000,
        .tcp_new_timeout_usec = 30 * s,
        .tcp_established_timeout_usec = 300 * s,
        .tcp_closed_timeout_usec = 10 * s,
        .udp_timeout_usec = 60 * s,
        .icmp_timeout_usec = 30 * s,
        .other_timeout_usec = 60 * s,
        .active_timeout_usec = 1800 * s,
        .memcap = 256ull << 20,
    };
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n && p < ((size_t)1 << 40))
        p <<= 1;
    return p;
}

static void update_memory(struct flow_table *ft)
{
    ft->stats.memory_bytes = (ft->stats.active + ft->nspare) * (sizeof(struct flow) + MALLOC_HEADER) +
                             ft->nbuckets * sizeof(struct flow *) +
                             (ft->state_probe ? ft->state_probe(ft->state_ctx) : 0);
}

void flow_table_set_state_probe(struct flow_table *ft, uint64_t (*probe)(void *ctx), void *ctx)
{
    ft->state_probe = probe;
    ft->state_ctx = ctx;
    update_memory(ft);
}

struct flow_table *flow_table_new(const struct flow_table_config *cfg, flow_end_fn on_end,
                                  void *ctx)
{
    struct flow_table *ft = calloc(1, sizeof *ft);
    if (!ft)
        return NULL;
    if (cfg)
        ft->cfg = *cfg;
    else
        flow_table_config_defaults(&ft->cfg);
    if (ft->cfg.max_flows == 0)
        ft->cfg.max_flows = 1;
    ft->timeout_usec[TC_TCP_NEW] = ft->cfg.tcp_new_timeout_usec;
    ft->timeout_usec[TC_TCP_ESTABLISHED] = ft->cfg.tcp_established_timeout_usec;
    ft->timeout_usec[TC_TCP_CLOSED] = ft->cfg.tcp_closed_timeout_usec;
    ft->timeout_usec[TC_UDP] = ft->cfg.udp_timeout_usec;
    ft->timeout_usec[TC_ICMP] = ft->cfg.icmp_timeout_usec;
    ft->timeout_usec[TC_OTHER] = ft->cfg.other_timeout_usec;
    ft->on_end = on_end;
    ft->ctx = ctx;
    ft->next_expiry = UINT64_MAX;
    hash_key_random(&ft->hash_key);
    /* the chains stay about one flow long at the cap */
    ft->max_buckets = pow2_at_least(ft->cfg.max_flows);
    ft->nbuckets = ft->max_buckets < INITIAL_BUCKETS ? ft->max_buckets : INITIAL_BUCKETS;
    ft->buckets = calloc(ft->nbuckets, sizeof(struct flow *));
    if (!ft->buckets) {
        free(ft);
        return NULL;
    }
    update_memory(ft);
    return ft;
}

void flow_table_free(struct flow_table *ft)
{
    if (!ft)
        return;
    for (size_t i = 0; i < ft->nbuckets; i++) {
        struct flow *f = ft->buckets[i];
        while (f) {
            struct flow *next = f->hash_next;
            free(f);
            f = next;
        }
    }
    while (ft->spare) {
        struct flow *next = ft->spare->hash_next;
        free(ft->spare);
        ft->spare = next;
    }
    free(ft->buckets);
    free(ft);
}

/* Doubles the bucket array while flows outnumber buckets; on failure the
 * table keeps working with longer chains. */
static void maybe_grow(struct flow_table *ft)
{
    if (ft->stats.active <= ft->nbuckets || ft->nbuckets >= ft->max_buckets)
        return;
    size_t n = ft->nbuckets * 2;
    struct flow **nb = calloc(n, sizeof(struct flow *));
    if (!nb)
        return;
    for (size_t i = 0; i < ft->nbuckets; i++) {
        struct flow *f = ft->buckets[i];
        while (f) {
            struct flow *next = f->hash_next;
            size_t b = (size_t)flow_bucket_hash(ft, f) & (n - 1);
            f->hash_next = nb[b];
            nb[b] = f;
            f = next;
        }
    }
    free(ft->buckets);
    ft->buckets = nb;
    ft->nbuckets = n;
    update_memory(ft);
}

static void hash_remove(struct flow_table *ft, struct flow *f)
{
    struct flow **pp = &ft->buckets[(size_t)flow_bucket_hash(ft, f) & (ft->nbuckets - 1)];
    while (*pp && *pp != f)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = f->hash_next;
    f->hash_next = NULL;
}

/* Ends one flow: unlinks it, hands it to the owner, recycles the struct. */
static void end_flow(struct flow_table *ft, struct flow *f, enum flow_end_reason reason)
{
    list_unlink(&ft->lists[flow_timeout_class(f)], f);
    hash_remove(ft, f);
    f->end_reason = (uint8_t)reason;
    switch (reason) {
    case FLOW_END_TIMEOUT: ft->stats.timed_out++; break;
    case FLOW_END_ACTIVE: ft->stats.active_timeouts++; break;
    case FLOW_END_EVICTED: ft->stats.evicted++; break;
    case FLOW_END_SHUTDOWN: ft->stats.shutdown++; break;
    default: break;
    }
    if (ft->on_end)
        ft->on_end(ft->ctx, f);
    ft->stats.ended++;
    ft->stats.active--;
    if (ft->nspare < MAX_SPARE) {
        f->hash_next = ft->spare;
        ft->spare = f;
        ft->nspare++;
    } else {
        free(f);
    }
    update_memory(ft);
}

/* The least recently used flow over all lists. */
static struct flow *oldest_flow(struct flow_table *ft)
{
    struct flow *best = NULL;
    for (int c = 0; c < TC_COUNT; c++) {
        struct flow *h = ft->lists[c].head;
        if (h && (!best || h->last_usec < best->last_usec))
            best = h;
    }
    return best;
}

static struct flow *alloc_flow(struct flow_table *ft)
{
    struct flow *f = ft->spare;
    if (f) {
        ft->spare = f->hash_next;
        ft->nspare--;
    } else {
        f = malloc(sizeof *f);
        if (!f)
            return NULL;
    }
    memset(f, 0, sizeof *f);
    return f;
}

static uint64_t make_flow_id(uint64_t key_hash_value, uint64_t start_usec)
{
    uint64_t id = mix64(key_hash_value ^ mix64(start_usec + FLOW_HASH_SEED));
    /* 51 bits, as Suricata masks its flow ids: JSON consumers that hold
     * numbers as doubles (jq 1.6, JavaScript) keep them exact below 2^53. */
    id &= FLOW_ID_MASK;
    return id ? id : 1;
}

static bool is_syn_ack(uint8_t flags)
{
    return (flags & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK);
}

/* h: the bucket hash of the packet's key. */
static struct flow *create_flow(struct flow_table *ft, const struct packet *pkt, uint64_t h)
{
    if (ft->stats.active >= ft->cfg.max_flows) {
        struct flow *victim = oldest_flow(ft);
        if (victim)
            end_flow(ft, victim, FLOW_END_EVICTED);
    }
    /* The byte cap: a flood of one-packet flows from spoofed sources costs
     * far more in nDPI and detection state than in flow structs. */
    if (ft->cfg.memcap) {
        update_memory(ft);
        struct flow *victim;
        while (ft->stats.memory_bytes + sizeof(struct flow) > ft->cfg.memcap &&
               (victim = oldest_flow(ft))) {
            end_flow(ft, victim, FLOW_END_EVICTED);
            ft->stats.memcap_evicted++;
            update_memory(ft);
        }
    }
    struct flow *f = alloc_flow(ft);
    if (!f)
        return NULL;
    /* A SYN-ACK seen first comes from the server. */
    bool sender_is_server = pkt->proto == IPPROTO_TCP && is_syn_ack(pkt->tcp_flags);
    if (sender_is_server) {
        f->client = pkt->dst, f->client_port = pkt->dst_port;
        f->server = pkt->src, f->server_port = pkt->src_port;
    } else {
        f->client = pkt->src, f->client_port = pkt->src_port;
        f->server = pkt->dst, f->server_port = pkt->dst_port;
    }
    f->vlan_id = pkt->vlan_id[0];
    f->vlan_inner = pkt->vlan_count > 1 ? pkt->vlan_id[1] : 0;
    f->proto = pkt->proto;
    f->start_usec = f->last_usec = pkt->ts_usec;
    f->flow_id = make_flow_id(key_hash(packet_vlan_key(pkt), pkt->proto, &pkt->src, pkt->src_port,
                                       &pkt->dst, pkt->dst_port),
                              pkt->ts_usec);

    size_t b = (size_t)h & (ft->nbuckets - 1);
    f->hash_next = ft->buckets[b];
    ft->buckets[b] = f;

    ft->stats.created++;
    ft->stats.active++;
    switch (f->proto) {
    case IPPROTO_TCP: ft->stats.tcp++; break;
    case IPPROTO_UDP: ft->stats.udp++; break;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: ft->stats.icmp++; break;
    default: ft->stats.other++; break;
    }
    maybe_grow(ft);
    update_memory(ft);
    return f;
}

/* Which way pkt goes on f, or -1 when it is not f's. */
static int match_direction(const struct flow *f, const struct packet *pkt)
{
    if (f->proto != pkt->proto || vlan_key(f->vlan_id, f->vlan_inner) != packet_vlan_key(pkt))
        return -1;
    if (f->client_port == pkt->src_port && f->server_port == pkt->dst_port &&
        memcmp(&f->client, &pkt->src, sizeof f->client) == 0 &&
        memcmp(&f->server, &pkt->dst, sizeof f->server) == 0)
        return FLOW_TOSERVER;
    if (f->client_port == pkt->dst_port && f->server_port == pkt->src_port &&
        memcmp(&f->client, &pkt->dst, sizeof f->client) == 0 &&
        memcmp(&f->server, &pkt->src, sizeof f->server) == 0)
        return FLOW_TOCLIENT;
    return -1;
}

/* The TCP state machine, driven by one packet's flags and direction. */
static void tcp_update(struct flow *f, uint8_t flags, enum flow_direction dir)
{
    f->tcp_flags_seen[dir] |= flags;
    if (flags & TCP_RST) {
        f->tcp_state = FLOW_TCP_CLOSED;
        return;
    }
    switch (f->tcp_state) {
    case FLOW_TCP_NONE:
        if (f->pkts[0] + f->pkts[1] != 1)
            break;      /* a handshake only counts from the flow's first packet */
        if ((flags & (TCP_SYN | TCP_ACK)) == TCP_SYN && dir == FLOW_TOSERVER)
            f->tcp_state = FLOW_TCP_SYN_SENT;
        else if (is_syn_ack(flags) && dir == FLOW_TOCLIENT)
            f->tcp_state = FLOW_TCP_SYN_RECEIVED;
        break;
    case FLOW_TCP_SYN_SENT:
        if (is_syn_ack(flags) && dir == FLOW_TOCLIENT)
            f->tcp_state = FLOW_TCP_SYN_RECEIVED;
        else if (dir == FLOW_TOSERVER && !(flags & TCP_SYN) && (flags & TCP_ACK))
            f->tcp_state = FLOW_TCP_ESTABLISHED;   /* the SYN-ACK was not captured */
        break;
    case FLOW_TCP_SYN_RECEIVED:
        if (dir == FLOW_TOSERVER && !(flags & TCP_SYN) && (flags & TCP_ACK))
            f->tcp_state = FLOW_TCP_ESTABLISHED;
        break;
    default:
        break;
    }
    if (flags & TCP_FIN) {
        if ((f->tcp_flags_seen[0] & TCP_FIN) && (f->tcp_flags_seen[1] & TCP_FIN))
            f->tcp_state = FLOW_TCP_CLOSED;
        else if (f->tcp_state != FLOW_TCP_CLOSED)
            f->tcp_state = FLOW_TCP_CLOSING;
    }
}

static void count_packet(struct flow *f, const struct packet *pkt, enum flow_direction dir)
{
    f->pkts[dir]++;
    f->bytes[dir] += pkt->wire_len;
    if (pkt->ts_usec > f->last_usec)
        f->last_usec = pkt->ts_usec;
    if (f->proto == IPPROTO_TCP)
        tcp_update(f, pkt->tcp_flags, dir);
}

struct flow *flow_table_lookup(struct flow_table *ft, const struct packet *pkt,
                               enum flow_direction *dir, bool *created)
{
    uint64_t h = bucket_hash(ft, packet_vlan_key(pkt), pkt->proto, &pkt->src, pkt->src_port, &pkt->dst,
                             pkt->dst_port);
    struct flow *f = ft->buckets[(size_t)h & (ft->nbuckets - 1)];
    int d = -1;
    for (; f; f = f->hash_next) {
        d = match_direction(f, pkt);
        if (d >= 0)
            break;
    }
    *created = false;
    if (f) {
        bool reused = f->proto == IPPROTO_TCP && f->tcp_state == FLOW_TCP_CLOSED &&
                      (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
        bool too_long = ft->cfg.active_timeout_usec &&
                        pkt->ts_usec >= f->start_usec + ft->cfg.active_timeout_usec;
        if (reused || too_long) {
            /* a split keeps the roles; a reused port starts afresh */
            struct flow keep = *f;
            end_flow(ft, f, reused ? FLOW_END_TIMEOUT : FLOW_END_ACTIVE);
            f = create_flow(ft, pkt, h);
            if (!f)
                return NULL;
            if (!reused) {
                f->client = keep.client, f->client_port = keep.client_port;
                f->server = keep.server, f->server_port = keep.server_port;
                f->tcp_state = keep.tcp_state;
            }
            d = match_direction(f, pkt);
            *created = true;
        } else {
            list_unlink(&ft->lists[flow_timeout_class(f)], f);
        }
    } else {
        f = create_flow(ft, pkt, h);
        if (!f)
            return NULL;
        d = match_direction(f, pkt);
        *created = true;
    }
    *dir = (enum flow_direction)d;
    count_packet(f, pkt, *dir);
    enum timeout_class tc = flow_timeout_class(f);
    list_append(&ft->lists[tc], f);
    uint64_t expiry = f->last_usec + ft->timeout_usec[tc];
    if (expiry < ft->next_expiry)
        ft->next_expiry = expiry;
    return f;
}

void flow_table_expire(struct flow_table *ft, uint64_t now_usec)
{
    if (now_usec < ft->next_expiry)
        return;
    uint64_t next = UINT64_MAX;
    for (int c = 0; c < TC_COUNT; c++) {
        uint64_t timeout = ft->timeout_usec[c];
        struct flow *f;
        while ((f = ft->lists[c].head) && f->last_usec + timeout <= now_usec)
            end_flow(ft, f, FLOW_END_TIMEOUT);
        if (f && f->last_usec + timeout < next)
            next = f->last_usec + timeout;
    }
    ft->next_expiry = next;
}

void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason)
{
    struct flow *f;
    while ((f = oldest_flow(ft)))
        end_flow(ft, f, reason);
}

size_t flow_table_longest_chain(const struct flow_table *ft)
{
    size_t longest = 0;
    for (size_t i = 0; i < ft->nbuckets; i++) {
        size_t n = 0;
        for (const struct flow *f = ft->buckets[i]; f; f = f->hash_next)
            n++;
        if (n > longest)
            longest = n;
    }
    return longest;
}

const struct flow_table_stats *flow_table_stats(const struct flow_table *ft)
{
    return &ft->stats;
}

const char *flow_end_reason_name(enum flow_end_reason reason)
{
    static const char *const names[] = {
        [FLOW_END_NONE] = "none",
        [FLOW_END_TIMEOUT] = "timeout",
        [FLOW_END_ACTIVE] = "active_timeout",
        [FLOW_END_EVICTED] = "evicted",
        [FLOW_END_SHUTDOWN] = "shutdown",
    };
    if ((unsigned)reason >= sizeof names / sizeof names[0])
        return "unknown";
    return names[reason];
}

const char *flow_state_name(const struct flow *flow)
{
    if (flow->proto == IPPROTO_TCP) {
        switch (flow->tcp_state) {
        case FLOW_TCP_ESTABLISHED:
        case FLOW_TCP_CLOSING:
            return "established";
        case FLOW_TCP_CLOSED:
            return "closed";
        case FLOW_TCP_NONE:
            break;
        default:
            return "new";
        }
    }
    return flow->pkts[0] && flow->pkts[1] ? "established" : "new";
}
