/* Unit tests of the flow table: key symmetry, client/server roles, the TCP
 * state machine, every timeout, LRU eviction at the cap, flush reasons and
 * flow_id determinism. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flow/flow.h"

#define SEC 1000000ULL

struct ended {
    size_t n;
    uint64_t ids[64];
    uint8_t reasons[64];
    uint8_t states[64];
    uint64_t pkts[64][2];
};

static void on_end(void *ctx, struct flow *f)
{
    struct ended *e = ctx;
    if (e->n < 64) {
        e->ids[e->n] = f->flow_id;
        e->reasons[e->n] = f->end_reason;
        e->states[e->n] = f->tcp_state;
        e->pkts[e->n][0] = f->pkts[0];
        e->pkts[e->n][1] = f->pkts[1];
    }
    e->n++;
}

static struct ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct ip_addr ip = { .family = 4 };
    ip.bytes[0] = a, ip.bytes[1] = b, ip.bytes[2] = c, ip.bytes[3] = d;
    return ip;
}

static struct packet mkpkt(uint8_t proto, struct ip_addr src, uint16_t sport, struct ip_addr dst,
                           uint16_t dport, uint8_t flags, uint64_t ts)
{
    struct packet p = { 0 };
    p.ts_usec = ts;
    p.wire_len = 60;
    p.ip_version = 4;
    p.proto = proto;
    p.src = src, p.dst = dst;
    p.src_port = sport, p.dst_port = dport;
    p.tcp_flags = flags;
    return p;
}

static struct packet tcp(int from_client, uint8_t flags, uint64_t ts)
{
    struct ip_addr c = v4(10, 0, 0, 1), s = v4(10, 0, 0, 2);
    return from_client ? mkpkt(6, c, 40000, s, 80, flags, ts) : mkpkt(6, s, 80, c, 40000, flags, ts);
}

static struct flow_table *table(struct ended *e)
{
    struct flow_table_config cfg;
    flow_table_config_defaults(&cfg);
    memset(e, 0, sizeof *e);
    return flow_table_new(&cfg, on_end, e);
}

static struct flow *feed(struct flow_table *ft, struct packet p, enum flow_direction *dir,
                         bool *created)
{
    struct flow *f = flow_table_lookup(ft, &p, dir, created);
    assert_non_null(f);
    return f;
}

static void test_key_symmetry(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *ft = table(&e);
    enum flow_direction dir;
    bool created;
    struct flow *a = feed(ft, tcp(1, TCP_ACK, 1 * SEC), &dir, &created);
    assert_true(created);
    assert_int_equal(dir, FLOW_TOSERVER);
    struct flow *b = feed(ft, tcp(0, TCP_ACK, 2 * SEC), &dir, &created);
    assert_false(created);
    assert_ptr_equal(a, b);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(a->pkts[0], 1);
    assert_int_equal(a->pkts[1], 1);
    assert_int_equal(a->bytes[1], 60);

    /* different VLAN, port or protocol: different flows */
    struct packet p = tcp(1, TCP_ACK, 3 * SEC);
    p.vlan_id[0] = 7;
    assert_ptr_not_equal(feed(ft, p, &dir, &created), a);
    assert_true(created);
    /* QinQ: the inner VLAN is part of the key too */
    p = tcp(1, TCP_ACK, 3 * SEC);
    p.vlan_id[0] = 7, p.vlan_id[1] = 8, p.vlan_count = 2;
    struct flow *q = feed(ft, p, &dir, &created);
    assert_true(created);
    assert_int_equal(q->vlan_id, 7);
    assert_int_equal(q->vlan_inner, 8);
    p = tcp(0, TCP_ACK, 3 * SEC);
    p.vlan_id[0] = 7, p.vlan_id[1] = 8, p.vlan_count = 2;
    assert_ptr_equal(feed(ft, p, &dir, &created), q);
    assert_int_equal(dir, FLOW_TOCLIENT);
    p = tcp(1, TCP_ACK, 3 * SEC);
    p.src_port = 40001;
    assert_ptr_not_equal(feed(ft, p, &dir, &created), a);
    p = tcp(1, 0, 3 * SEC);
    p.proto = 17;
    assert_ptr_not_equal(feed(ft, p, &dir, &created), a);
    /* swapped ports between the same two hosts is another flow */
    p = mkpkt(6, v4(10, 0, 0, 1), 80, v4(10, 0, 0, 2), 40000, TCP_ACK, 3 * SEC);
    assert_ptr_not_equal(feed(ft, p, &dir, &created), a);
    assert_true(created);
    assert_int_equal(flow_table_stats(ft)->active, 6);
    assert_int_equal(flow_table_stats(ft)->tcp, 5);
    assert_int_equal(flow_table_stats(ft)->udp, 1);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
}

static void test_ipv6_and_many_flows(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *ft = table(&e);
    enum flow_direction dir;
    bool created;
    /* enough flows to make the hash table grow; each found again both ways */
    for (int i = 0; i < 5000; i++) {
        struct ip_addr a = { .family = 6 }, b = { .family = 6 };
        a.bytes[0] = 0x20, a.bytes[15] = (uint8_t)i, a.bytes[14] = (uint8_t)(i >> 8);
        b.bytes[0] = 0x20, b.bytes[15] = 1;
        struct packet p = mkpkt(17, a, (uint16_t)(1000 + i), b, 53, 0, SEC);
        feed(ft, p, &dir, &created);
        assert_true(created);
    }
    for (int i = 0; i < 5000; i++) {
        struct ip_addr a = { .family = 6 }, b = { .family = 6 };
        a.bytes[0] = 0x20, a.bytes[15] = (uint8_t)i, a.bytes[14] = (uint8_t)(i >> 8);
        b.bytes[0] = 0x20, b.bytes[15] = 1;
        struct packet p = mkpkt(17, b, 53, a, (uint16_t)(1000 + i), 0, 2 * SEC);
        struct flow *f = feed(ft, p, &dir, &created);
        assert_false(created);
        assert_int_equal(dir, FLOW_TOCLIENT);
        assert_int_equal(f->client_port, 1000 + i);
    }
    assert_int_equal(flow_table_stats(ft)->active, 5000);
    assert_true(flow_table_stats(ft)->memory_bytes >= 5000 * sizeof(struct flow));
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(e.n, 5000);
    assert_int_equal(flow_table_stats(ft)->active, 0);
    flow_table_free(ft);
}

static void test_roles(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *ft = table(&e);
    enum flow_direction dir;
    bool created;

    /* first packet's sender is the client */
    struct flow *f = feed(ft, tcp(0, TCP_ACK, SEC), &dir, &created);
    assert_int_equal(dir, FLOW_TOSERVER);
    assert_int_equal(f->client_port, 80);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);

    /* a SYN's sender is the client */
    f = feed(ft, tcp(1, TCP_SYN, SEC), &dir, &created);
    assert_int_equal(f->client_port, 40000);
    assert_int_equal(f->server_port, 80);
    assert_int_equal(dir, FLOW_TOSERVER);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);

    /* a SYN-ACK seen first comes from the server */
    f = feed(ft, tcp(0, TCP_SYN | TCP_ACK, SEC), &dir, &created);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->client_port, 40000);
    assert_int_equal(f->server_port, 80);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_RECEIVED);
    struct ip_addr server = v4(10, 0, 0, 2);
    assert_memory_equal(&f->server, &server, sizeof f->server);
    feed(ft, tcp(1, TCP_ACK, SEC + 1), &dir, &created);
    assert_int_equal(dir, FLOW_TOSERVER);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
}

static void test_tcp_states(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *ft = table(&e);
    enum flow_direction dir;
    bool created;
    struct flow *f = feed(ft, tcp(1, TCP_SYN, SEC), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_SENT);
    assert_string_equal(flow_state_name(f), "new");
    feed(ft, tcp(0, TCP_SYN | TCP_ACK, SEC + 1), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_SYN_RECEIVED);
    feed(ft, tcp(1, TCP_ACK, SEC + 2), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    assert_string_equal(flow_state_name(f), "established");
    feed(ft, tcp(1, TCP_ACK | TCP_PSH, SEC + 3), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    feed(ft, tcp(1, TCP_FIN | TCP_ACK, SEC + 4), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_CLOSING);
    assert_string_equal(flow_state_name(f), "established");
    feed(ft, tcp(0, TCP_FIN | TCP_ACK, SEC + 5), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
    assert_string_equal(flow_state_name(f), "closed");
    assert_int_equal(f->tcp_flags_seen[0], TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN);
    assert_int_equal(f->tcp_flags_seen[1], TCP_SYN | TCP_ACK | TCP_FIN);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);

    /* RST closes at once */
    f = feed(ft, tcp(1, TCP_SYN, 10 * SEC), &dir, &created);
    feed(ft, tcp(0, TCP_RST | TCP_ACK, 10 * SEC + 1), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_CLOSED);
    /* a new SYN on the closed flow's tuple starts a new flow */
    uint64_t old_id = f->flow_id;
    struct flow *g = feed(ft, tcp(1, TCP_SYN, 11 * SEC), &dir, &created);
    assert_true(created);
    assert_int_equal(g->tcp_state, FLOW_TCP_SYN_SENT);
    assert_int_not_equal(g->flow_id, old_id);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.reasons[1], FLOW_END_TIMEOUT);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);

    /* midstream: no handshake, state none, established once both sides spoke */
    f = feed(ft, tcp(1, TCP_ACK | TCP_PSH, 20 * SEC), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_NONE);
    assert_string_equal(flow_state_name(f), "new");
    feed(ft, tcp(0, TCP_ACK, 20 * SEC + 1), &dir, &created);
    assert_string_equal(flow_state_name(f), "established");
    /* a late SYN does not turn a midstream flow into a handshake */
    feed(ft, tcp(1, TCP_SYN, 20 * SEC + 2), &dir, &created);
    assert_int_equal(f->tcp_state, FLOW_TCP_NONE);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
}

static void test_timeouts(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *ft = table(&e);
    enum flow_direction dir;
    bool created;
    struct ip_addr a = v4(192, 168, 0, 1), b = v4(192, 168, 0, 2);
    const uint64_t t0 = 1000 * SEC;

    feed(ft, mkpkt(6, a, 1, b, 80, TCP_SYN, t0), &dir, &created);         /* new: 30 s */
    feed(ft, mkpkt(6, a, 2, b, 80, TCP_SYN, t0), &dir, &created);         /* -> established */
    feed(ft, mkpkt(6, b, 80, a, 2, TCP_SYN | TCP_ACK, t0), &dir, &created);
    feed(ft, mkpkt(6, a, 2, b, 80, TCP_ACK, t0), &dir, &created);
    feed(ft, mkpkt(6, a, 3, b, 80, TCP_SYN, t0), &dir, &created);         /* -> closed: 10 s */
    feed(ft, mkpkt(6, b, 80, a, 3, TCP_RST, t0), &dir, &created);
    feed(ft, mkpkt(17, a, 4, b, 53, 0, t0), &dir, &created);              /* udp: 60 s */
    feed(ft, mkpkt(1, a, 0, b, 0, 0, t0), &dir, &created);                /* icmp: 30 s */
    feed(ft, mkpkt(47, a, 0, b, 0, 0, t0), &dir, &created);               /* other: 60 s */
    assert_int_equal(flow_table_stats(ft)->active, 6);

    flow_table_expire(ft, t0 + 10 * SEC - 1);
    assert_int_equal(e.n, 0);
    flow_table_expire(ft, t0 + 10 * SEC);
    assert_int_equal(e.n, 1);                   /* the closed one */
    assert_int_equal(e.states[0], FLOW_TCP_CLOSED);
    assert_int_equal(e.reasons[0], FLOW_END_TIMEOUT);
    flow_table_expire(ft, t0 + 30 * SEC);
    assert_int_equal(e.n, 3);                   /* tcp new and icmp */
    flow_table_expire(ft, t0 + 60 * SEC);
    assert_int_equal(e.n, 5);                   /* udp and other */
    flow_table_expire(ft, t0 + 300 * SEC - 1);
    assert_int_equal(e.n, 5);
    flow_table_expire(ft, t0 + 300 * SEC);
    assert_int_equal(e.n, 6);
    assert_int_equal(e.states[5], FLOW_TCP_ESTABLISHED);
    assert_int_equal(flow_table_stats(ft)->timed_out, 6);
    assert_int_equal(flow_table_stats(ft)->active, 0);

    /* activity resets the idle timer */
    feed(ft, mkpkt(17, a, 5, b, 53, 0, t0), &dir, &created);
    feed(ft, mkpkt(17, b, 53, a, 5, 0, t0 + 50 * SEC), &dir, &created);
    flow_table_expire(ft, t0 + 60 * SEC);
    assert_int_equal(e.n, 6);
    flow_table_expire(ft, t0 + 110 * SEC);
    assert_int_equal(e.n, 7);
    assert_int_equal(e.pkts[6][0], 1);
    assert_int_equal(e.pkts[6][1], 1);
    flow_table_free(ft);
}

static void test_active_timeout(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table_config cfg;
    flow_table_config_defaults(&cfg);
    cfg.active_timeout_usec = 100 * SEC;
    memset(&e, 0, sizeof e);
    struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
    enum flow_direction dir;
    bool created;
    feed(ft, tcp(1, TCP_SYN, SEC), &dir, &created);
    feed(ft, tcp(0, TCP_SYN | TCP_ACK, SEC), &dir, &created);
    feed(ft, tcp(1, TCP_ACK, SEC), &dir, &created);
    for (uint64_t t = 2; t < 101; t += 10)
        feed(ft, tcp(0, TCP_ACK, t * SEC), &dir, &created);
    assert_int_equal(e.n, 0);
    /* the server speaks after 100 s: the flow is split, roles kept */
    struct flow *f = feed(ft, tcp(0, TCP_ACK, 101 * SEC), &dir, &created);
    assert_true(created);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.reasons[0], FLOW_END_ACTIVE);
    assert_int_equal(dir, FLOW_TOCLIENT);
    assert_int_equal(f->client_port, 40000);
    assert_int_equal(f->tcp_state, FLOW_TCP_ESTABLISHED);
    assert_int_equal(f->pkts[1], 1);
    assert_int_equal(flow_table_stats(ft)->active_timeouts, 1);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
}

static void test_lru_eviction(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table_config cfg;
    flow_table_config_defaults(&cfg);
    cfg.max_flows = 4;
    memset(&e, 0, sizeof e);
    struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
    enum flow_direction dir;
    bool created;
    struct ip_addr a = v4(1, 1, 1, 1), b = v4(2, 2, 2, 2);
    struct flow *flows[4];
    /* mixed timeout classes: eviction must still take the oldest overall */
    flows[0] = feed(ft, mkpkt(17, a, 1, b, 53, 0, 1 * SEC), &dir, &created);
    flows[1] = feed(ft, mkpkt(6, a, 2, b, 80, TCP_SYN, 2 * SEC), &dir, &created);
    flows[2] = feed(ft, mkpkt(1, a, 0, b, 0, 0, 3 * SEC), &dir, &created);
    flows[3] = feed(ft, mkpkt(17, a, 4, b, 53, 0, 4 * SEC), &dir, &created);
    uint64_t id1 = flows[1]->flow_id, id2 = flows[2]->flow_id;
    /* touch the first: the TCP flow becomes the least recently used */
    feed(ft, mkpkt(17, b, 53, a, 1, 0, 5 * SEC), &dir, &created);
    feed(ft, mkpkt(17, a, 5, b, 53, 0, 6 * SEC), &dir, &created);
    assert_int_equal(e.n, 1);
    assert_int_equal(e.ids[0], id1);
    assert_int_equal(e.reasons[0], FLOW_END_EVICTED);
    feed(ft, mkpkt(17, a, 6, b, 53, 0, 7 * SEC), &dir, &created);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.ids[1], id2);
    assert_int_equal(flow_table_stats(ft)->evicted, 2);
    assert_int_equal(flow_table_stats(ft)->active, 4);
    assert_int_equal(flow_table_stats(ft)->created, 6);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(flow_table_stats(ft)->ended, 6);
    flow_table_free(ft);
}

static void test_flush_reasons(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table *ft = table(&e);
    enum flow_direction dir;
    bool created;
    feed(ft, tcp(1, TCP_SYN, SEC), &dir, &created);
    feed(ft, mkpkt(17, v4(1, 2, 3, 4), 5, v4(5, 6, 7, 8), 9, 0, 2 * SEC), &dir, &created);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    assert_int_equal(e.n, 2);
    assert_int_equal(e.reasons[0], FLOW_END_SHUTDOWN);
    assert_int_equal(e.reasons[1], FLOW_END_SHUTDOWN);
    assert_int_equal(flow_table_stats(ft)->shutdown, 2);
    assert_int_equal(flow_table_stats(ft)->active, 0);
    assert_string_equal(flow_end_reason_name(FLOW_END_TIMEOUT), "timeout");
    assert_string_equal(flow_end_reason_name(FLOW_END_ACTIVE), "active_timeout");
    assert_string_equal(flow_end_reason_name(FLOW_END_EVICTED), "evicted");
    assert_string_equal(flow_end_reason_name(FLOW_END_SHUTDOWN), "shutdown");
    flow_table_free(ft);
}

static void test_flow_id(void **state)
{
    (void)state;
    struct ended e1, e2;
    struct flow_table *t1 = table(&e1), *t2 = table(&e2);
    enum flow_direction dir;
    bool created;
    struct flow *a = feed(t1, tcp(1, TCP_SYN, 5 * SEC), &dir, &created);
    struct flow *b = feed(t2, tcp(1, TCP_SYN, 5 * SEC), &dir, &created);
    assert_int_equal(a->flow_id, b->flow_id);
    assert_true(a->flow_id > 0 && a->flow_id <= FLOW_ID_MASK);
    assert_true(a->flow_id < (UINT64_C(1) << 51));
    /* the same key later is a different id; so is the reverse-started flow */
    struct flow *c = feed(t1, mkpkt(6, v4(9, 9, 9, 9), 1, v4(8, 8, 8, 8), 2, TCP_SYN, 5 * SEC),
                          &dir, &created);
    assert_int_not_equal(c->flow_id, a->flow_id);
    flow_table_flush(t1, FLOW_END_SHUTDOWN);
    struct flow *d = feed(t1, tcp(1, TCP_SYN, 6 * SEC), &dir, &created);
    assert_int_not_equal(d->flow_id, e1.ids[0]);
    struct flow *r = feed(t2, tcp(0, TCP_SYN | TCP_ACK, 5 * SEC), &dir, &created);
    assert_ptr_equal(r, b);
    flow_table_flush(t1, FLOW_END_SHUTDOWN);
    flow_table_flush(t2, FLOW_END_SHUTDOWN);
    flow_table_free(t1);
    flow_table_free(t2);
}

/* ---- hash flooding (issue 14) ----
 * The bucket hash the table used before: a fixed seed anyone can read in
 * the source.  Keys that collide under it in the low 12 bits all fell into
 * one chain of a table capped at 4096 flows; with the keyed hash they
 * spread out. */
static uint64_t old_mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

static uint64_t old_step(uint64_t h, uint64_t w)
{
    h ^= w;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
}

static uint64_t old_load64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* a < b (address order), as the old hash put them. */
static uint64_t old_flow_hash(const struct ip_addr *a, uint16_t pa, const struct ip_addr *b, uint16_t pb,
                              uint8_t proto)
{
    uint64_t h = 0x5851f42d4c957f2dULL;
    h = old_step(h, old_load64(a->bytes));
    h = old_step(h, old_load64(a->bytes + 8));
    h = old_step(h, old_load64(b->bytes));
    h = old_step(h, old_load64(b->bytes + 8));
    h = old_step(h, ((uint64_t)pa << 48) | ((uint64_t)pb << 32) | ((uint64_t)proto << 8) | a->family);
    h = old_step(h, 0);
    return old_mix64(h);
}

static void test_hash_flooding(void **state)
{
    (void)state;
    enum { WANT = 1000, MASK = 4095 };
    struct ended e;
    struct flow_table_config cfg;
    flow_table_config_defaults(&cfg);
    cfg.max_flows = MASK + 1;
    memset(&e, 0, sizeof e);
    struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
    assert_non_null(ft);
    struct ip_addr server = v4(10, 200, 0, 1);
    uint64_t target = UINT64_MAX;
    size_t found = 0;
    enum flow_direction dir;
    bool created;
    for (uint32_t i = 0; found < WANT && i < (1u << 24); i++) {
        struct ip_addr src = v4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        uint64_t low = old_flow_hash(&src, 5353, &server, 53, 17) & MASK;
        if (target == UINT64_MAX)
            target = low;
        if (low != target)
            continue;
        struct packet p = mkpkt(17, src, 5353, server, 53, 0, SEC + found);
        feed(ft, p, &dir, &created);
        assert_true(created);
        found++;
    }
    assert_int_equal(found, WANT);
    assert_int_equal(flow_table_stats(ft)->active, WANT);
    /* 1000 flows in at least 1024 buckets: a few per chain at most, where
     * the old hash put all 1000 in one. */
    size_t longest = flow_table_longest_chain(ft);
    if (longest > 10)
        fail_msg("longest chain %zu with colliding keys, want <= 10", longest);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
}

/* flow.memcap: other stages' per-flow bytes (the probe) count; a new flow
 * evicts the oldest beyond the cap, each evicted flow ended and counted. */
static uint64_t probe_per_flow(void *ctx)
{
    struct flow_table *const *ft = ctx;
    return flow_table_stats(*ft)->active * 1000;     /* 1000 bytes of state per flow */
}

static void test_memcap_bytes(void **state)
{
    (void)state;
    struct ended e;
    struct flow_table_config cfg;
    flow_table_config_defaults(&cfg);
    cfg.memcap = 200 * 1024;
    memset(&e, 0, sizeof e);
    struct flow_table *ft = flow_table_new(&cfg, on_end, &e);
    assert_non_null(ft);
    flow_table_set_state_probe(ft, probe_per_flow, &ft);
    enum flow_direction dir;
    bool created;
    for (uint32_t i = 0; i < 1000; i++) {
        struct packet p = mkpkt(17, v4(172, 16, (uint8_t)(i >> 8), (uint8_t)i), 1000, v4(10, 0, 0, 53), 53, 0,
                                SEC + i);
        feed(ft, p, &dir, &created);
        assert_true(flow_table_stats(ft)->memory_bytes <= cfg.memcap + 1000 + sizeof(struct flow));
    }
    const struct flow_table_stats *st = flow_table_stats(ft);
    assert_true(st->memcap_evicted > 500);
    assert_int_equal(st->evicted, st->memcap_evicted);
    assert_int_equal(e.n, st->memcap_evicted);              /* each one ended through on_end */
    assert_int_equal(e.reasons[0], FLOW_END_EVICTED);
    assert_int_equal(st->active + st->memcap_evicted, 1000);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
}

static void test_flow_struct_small(void **state)
{
    (void)state;
    /* the struct itself; classification metadata is counted separately */
    assert_true(sizeof(struct flow) <= 224);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_symmetry),
        cmocka_unit_test(test_ipv6_and_many_flows),
        cmocka_unit_test(test_roles),
        cmocka_unit_test(test_tcp_states),
        cmocka_unit_test(test_timeouts),
        cmocka_unit_test(test_active_timeout),
        cmocka_unit_test(test_lru_eviction),
        cmocka_unit_test(test_flush_reasons),
        cmocka_unit_test(test_flow_id),
        cmocka_unit_test(test_hash_flooding),
        cmocka_unit_test(test_memcap_bytes),
        cmocka_unit_test(test_flow_struct_small),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
