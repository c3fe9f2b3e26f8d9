/* Unit tests of TCP reassembly: in-order and out-of-order delivery,
 * retransmissions, overlaps (old data wins), sequence wrap-around at 2^32,
 * gaps given up by acknowledgement, timeout and flow end, depth, midstream,
 * the per-flow held cap and the memcap, and the rule engine's view. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stream/stream.h"

#define SEC 1000000ULL

/* What the chunks of one direction added up to. */
struct sink {
    uint8_t data[200000];
    size_t len;
    unsigned gaps, eofs;
    uint64_t next_offset;       /* offset the next chunk must start at, unless GAP */
};

struct rig {
    struct stream_engine *se;
    struct flow flow;
    struct sink out[2];
    uint64_t ts;
};

static void collect(struct rig *r, const struct stream_chunk *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct sink *s = &r->out[c[i].dir];
        if (c[i].flags & STREAM_CHUNK_GAP)
            s->gaps++;
        else if (c[i].len)
            assert_int_equal(c[i].offset, s->next_offset);    /* in order, no hole */
        if (c[i].flags & STREAM_CHUNK_EOF)
            s->eofs++;
        assert_true(s->len + c[i].len <= sizeof s->data);
        memcpy(s->data + s->len, c[i].data, c[i].len);
        s->len += c[i].len;
        s->next_offset = c[i].offset + c[i].len;
    }
}

static void rig_init(struct rig *r, const struct stream_config *cfg)
{
    memset(r, 0, sizeof *r);
    struct stream_config def;
    stream_config_defaults(&def);
    r->se = stream_engine_new(cfg ? cfg : &def);
    assert_non_null(r->se);
    r->flow.proto = 6;
    r->ts = 1000 * SEC;
}

static enum stream_packet_kind seg(struct rig *r, enum flow_direction dir, uint8_t flags,
                                   uint32_t seq, uint32_t ack, const char *data)
{
    struct packet p = { 0 };
    p.proto = 6;
    p.ts_usec = (r->ts += 1000);
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.payload = (const uint8_t *)data;
    p.payload_len = data ? (uint32_t)strlen(data) : 0;
    r->flow.tcp_flags_seen[dir] |= flags;
    r->flow.last_usec = p.ts_usec;
    const struct stream_chunk *c;
    size_t n = stream_packet(r->se, &r->flow, &p, dir, &c);
    collect(r, c, n);
    return stream_packet_view(r->se)->kind;
}

static void rig_end(struct rig *r)
{
    const struct stream_chunk *c;
    struct stream_view v[2];
    size_t n = stream_flow_end(r->se, &r->flow, &c, v);
    collect(r, c, n);
    stream_flow_release(r->se, &r->flow);
    assert_null(r->flow.stream);
    assert_int_equal(stream_engine_stats(r->se)->memory, 0);    /* all given back */
    stream_engine_free(r->se);
}

static void handshake(struct rig *r, uint32_t cisn, uint32_t sisn)
{
    seg(r, FLOW_TOSERVER, TCP_SYN, cisn, 0, NULL);
    seg(r, FLOW_TOCLIENT, TCP_SYN | TCP_ACK, sisn, cisn + 1, NULL);
    seg(r, FLOW_TOSERVER, TCP_ACK, cisn + 1, sisn + 1, NULL);
}

static void assert_out(const struct sink *s, const char *want)
{
    assert_int_equal(s->len, strlen(want));
    assert_memory_equal(s->data, want, s->len);
}

static void test_in_order(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK | TCP_PSH, 1001, 5001, "GET /etc/"),
                     STREAM_PKT_NEW);
    seg(&r, FLOW_TOSERVER, TCP_ACK | TCP_PSH, 1010, 5001, "passwd");
    seg(&r, FLOW_TOCLIENT, TCP_ACK | TCP_PSH, 5001, 1016, "HTTP/1.0 200");
    assert_out(&r.out[0], "GET /etc/passwd");
    assert_out(&r.out[1], "HTTP/1.0 200");
    /* the view of the second segment holds the first as context */
    seg(&r, FLOW_TOSERVER, TCP_ACK | TCP_PSH, 1016, 5013, "!");
    const struct stream_view *v = stream_packet_view(r.se);
    assert_int_equal(v->len, 16);
    assert_int_equal(v->new_from, 15);
    assert_int_equal(v->offset, 0);
    assert_memory_equal(v->data, "GET /etc/passwd!", 16);
    seg(&r, FLOW_TOSERVER, TCP_FIN | TCP_ACK, 1017, 5013, NULL);
    assert_int_equal(r.out[0].eofs, 1);
    assert_int_equal(r.out[1].eofs, 0);
    rig_end(&r);
    assert_int_equal(r.out[1].eofs, 1);      /* flow end finishes the other */
    assert_int_equal(r.out[0].eofs, 1);      /* and not this one twice */
}

static void test_out_of_order(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    /* the second segment first: held, nothing delivered */
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, 1010, 5001, "passwd"), STREAM_PKT_PARTIAL);
    assert_int_equal(r.out[0].len, 0);
    const struct stream_view *v = stream_packet_view(r.se);
    assert_int_equal(v->len, v->new_from);  /* nothing new to inspect */
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "GET /etc/");
    assert_out(&r.out[0], "GET /etc/passwd");
    v = stream_packet_view(r.se);
    assert_int_equal(v->new_from, 0);
    assert_int_equal(v->len, 15);
    assert_int_equal(stream_engine_stats(r.se)->out_of_order, 1);
    assert_int_equal(r.out[0].gaps, 0);
    rig_end(&r);
}

static void test_one_byte_segments_reversed(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 77, 99);
    const char *text = "cmd.exe /c whoami";
    size_t n = strlen(text);
    for (size_t i = n; i-- > 1;) {
        char one[2] = { text[i], 0 };
        seg(&r, FLOW_TOSERVER, TCP_ACK, 78 + (uint32_t)i, 100, one);
    }
    assert_int_equal(r.out[0].len, 0);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 78, 100, "c");
    assert_out(&r.out[0], text);
    rig_end(&r);
}

static void test_retransmission_once(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "hello ");
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "hello "), STREAM_PKT_OLD);
    /* partly old, partly new: only the new part comes */
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, 1004, 5001, "lo world"), STREAM_PKT_PARTIAL);
    assert_out(&r.out[0], "hello world");
    const struct stream_stats *st = stream_engine_stats(r.se);
    assert_int_equal(st->retransmissions, 1);
    assert_int_equal(st->overlaps, 2);
    assert_int_equal(st->overlaps_different, 0);
    assert_int_equal(stream_events(&r.flow, FLOW_TOSERVER), 0);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "hello");
    assert_int_equal(stream_events(&r.flow, FLOW_TOSERVER), STREAM_EVENT_RETRANSMISSION);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 990, 5001, "before");   /* 990..995: before ISN + 1 */
    assert_int_equal(stream_events(&r.flow, FLOW_TOSERVER), STREAM_EVENT_BEFORE_BASE);
    rig_end(&r);
}

static void test_overlap_old_data_wins(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    /* delivered bytes, then a retransmission that says something else */
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "user=bob ");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1006, 5001, "eve ");
    /* held bytes, then an in-order segment that overlaps them differently */
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1015, 5001, "ADMIN");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1010, 5001, "role=guest");
    assert_out(&r.out[0], "user=bob role=ADMIN");
    assert_int_equal(stream_engine_stats(r.se)->overlaps_different, 2);
    assert_true(stream_events(&r.flow, FLOW_TOSERVER) & STREAM_EVENT_OVERLAP_DIFFERENT_DATA);
    assert_int_equal(stream_events(&r.flow, FLOW_TOCLIENT), 0);
    rig_end(&r);
}

/* The ISN sits just below 2^32: offsets keep counting through the wrap,
 * out-of-order data across it is held and delivered, old data after it is
 * recognised as old. */
static void test_sequence_wrap(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    uint32_t isn = UINT32_MAX - 4;          /* first data byte: 2^32 - 4 */
    handshake(&r, isn, 0xfffffff0u);
    uint32_t s0 = isn + 1;
    seg(&r, FLOW_TOSERVER, TCP_ACK, s0 + 8, 0, "89ab");     /* 8..11: seq 4..7, wrapped */
    seg(&r, FLOW_TOSERVER, TCP_ACK, s0, 0, "0123");         /* 0..3: seq 2^32-4 .. 2^32-1 */
    assert_int_equal(r.out[0].len, 4);
    seg(&r, FLOW_TOSERVER, TCP_ACK, s0 + 4, 0, "4567");     /* seq 0..3 */
    assert_out(&r.out[0], "0123456789ab");
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, s0 + 2, 0, "23"), STREAM_PKT_OLD);
    assert_int_equal(r.out[0].next_offset, 12);
    /* the server side wraps too, in one segment */
    seg(&r, FLOW_TOCLIENT, TCP_ACK, 0xfffffff1u, s0 + 12, "0123456789abcdefXYZ");
    assert_out(&r.out[1], "0123456789abcdefXYZ");
    uint64_t size;
    assert_true(stream_size(&r.flow, FLOW_TOSERVER, &size));
    assert_int_equal(size, 13);             /* the SYN counts, like Suricata */
    assert_int_equal(r.out[0].gaps, 0);
    rig_end(&r);
}

static void test_gap_acked(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "AAAA");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1009, 5001, "CCCC");    /* 1005..1008 lost */
    seg(&r, FLOW_TOCLIENT, TCP_ACK, 5001, 1013, NULL);      /* server has it all */
    assert_int_equal(r.out[0].len, 4);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1013, 5001, "DD");
    assert_out(&r.out[0], "AAAACCCCDD");
    assert_int_equal(r.out[0].gaps, 1);
    assert_int_equal(stream_engine_stats(r.se)->gaps_acked, 1);
    assert_int_equal(stream_engine_stats(r.se)->gap_bytes, 4);
    assert_true(stream_events(&r.flow, FLOW_TOSERVER) & STREAM_EVENT_GAP);
    rig_end(&r);
}

static void test_gap_timeout_and_flush(void **state)
{
    (void)state;
    struct rig r;
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.gap_timeout_usec = 5 * SEC;
    rig_init(&r, &cfg);
    handshake(&r, 1000, 5000);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "AB");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1005, 5001, "EF");      /* 1003..1004 lost */
    r.ts += 6 * SEC;
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1007, 5001, "GH");
    assert_out(&r.out[0], "ABEFGH");
    assert_int_equal(stream_engine_stats(r.se)->gaps_timeout, 1);
    /* a second gap never fills: flow end flushes it */
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1020, 5001, "ZZ");
    rig_end(&r);
    assert_out(&r.out[0], "ABEFGHZZ");
    assert_int_equal(r.out[0].gaps, 2);
    assert_int_equal(r.out[0].eofs, 1);
}

static void test_depth(void **state)
{
    (void)state;
    struct rig r;
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.depth = 10;
    rig_init(&r, &cfg);
    handshake(&r, 1000, 5000);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "0123456");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1008, 5001, "789abc");
    assert_out(&r.out[0], "0123456789");
    assert_int_equal(r.out[0].eofs, 1);
    assert_int_equal(stream_engine_stats(r.se)->depth_reached, 1);
    assert_true(stream_events(&r.flow, FLOW_TOSERVER) & STREAM_EVENT_DEPTH_REACHED);
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, 1014, 5001, "def"), STREAM_PKT_UNTRACKED);
    assert_out(&r.out[0], "0123456789");
    assert_int_equal(stream_events(&r.flow, FLOW_TOSERVER), 0);  /* the packet's own */
    /* both directions done (the server's ended with its RST): released */
    seg(&r, FLOW_TOCLIENT, TCP_RST, 5001, 0, NULL);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1017, 5001, NULL);
    assert_null(r.flow.stream);
    rig_end(&r);
}

static void test_depth_zero_is_off(void **state)
{
    (void)state;
    struct rig r;
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.depth = 0;
    rig_init(&r, &cfg);
    handshake(&r, 1000, 5000);
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "data"), STREAM_PKT_UNTRACKED);
    assert_null(r.flow.stream);
    assert_int_equal(r.out[0].len, 0);
    rig_end(&r);
}

static void test_midstream(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    /* no handshake: picked up at the first data of each side */
    seg(&r, FLOW_TOSERVER, TCP_ACK, 123456, 777, "GET / HTTP/1.1\r\n");
    seg(&r, FLOW_TOCLIENT, TCP_ACK, 777, 123472, "HTTP/1.1 200 OK\r\n");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 123472, 794, "Host: x\r\n");
    assert_out(&r.out[0], "GET / HTTP/1.1\r\nHost: x\r\n");
    assert_out(&r.out[1], "HTTP/1.1 200 OK\r\n");
    assert_int_equal(stream_engine_stats(r.se)->midstream, 2);
    rig_end(&r);

    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.midstream = false;
    rig_init(&r, &cfg);
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, 123456, 777, "GET / HTTP/1.1\r\n"),
                     STREAM_PKT_UNTRACKED);
    assert_int_equal(r.out[0].len, 0);
    assert_int_equal(stream_engine_stats(r.se)->midstream_refused, 1);
    rig_end(&r);
}

static void test_held_cap_and_memcap(void **state)
{
    (void)state;
    struct rig r;
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.max_held = 60;      /* two 4-byte segments with their 24-byte headers, not three */
    rig_init(&r, &cfg);
    handshake(&r, 1000, 5000);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "ab");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1005, 5001, "efgh");        /* held: 4 */
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1009, 5001, "ijkl");        /* held: 8 */
    assert_int_equal(r.out[0].len, 2);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1013, 5001, "mnop");        /* over the cap */
    assert_int_equal(stream_engine_stats(r.se)->gaps_held_cap, 1);
    assert_out(&r.out[0], "abefghijkl");     /* the gap gave way; mnop was dropped */
    assert_int_equal(r.out[0].gaps, 1);
    rig_end(&r);

    /* memcap: a worker's buffers never exceed it; what does not fit is counted */
    stream_config_defaults(&cfg);
    cfg.memcap = 64 * 1024;
    rig_init(&r, &cfg);
    handshake(&r, 1000, 5000);
    static char big[1400];
    memset(big, 'x', sizeof big - 1);
    uint32_t seq = 1001 + 10;                 /* all beyond a gap: held */
    for (int i = 0; i < 100; i++, seq += sizeof big - 1)
        seg(&r, FLOW_TOSERVER, TCP_ACK, seq, 5001, big);
    const struct stream_stats *st = stream_engine_stats(r.se);
    assert_true(st->memcap_drops > 0);
    assert_true(st->memory_peak <= cfg.memcap);
    assert_true(stream_events(&r.flow, FLOW_TOSERVER) & STREAM_EVENT_MEMCAP);
    rig_end(&r);

    /* one-byte segments out of order: the count of held segments is capped
     * too, so the sorted insert stays short */
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    for (uint32_t i = 3000; i >= 1; i--)
        seg(&r, FLOW_TOSERVER, TCP_ACK, 1001 + i, 5001, "z");
    assert_true(stream_engine_stats(r.se)->gaps_held_cap >= 1);
    assert_true(r.out[0].len >= 2048);
    rig_end(&r);
}

/* A SYN answered by a RST (a scan) leaves no stream state behind. */
static void test_refused_connection_released(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    seg(&r, FLOW_TOSERVER, TCP_SYN, 1000, 0, NULL);
    assert_non_null(r.flow.stream);
    seg(&r, FLOW_TOCLIENT, TCP_RST | TCP_ACK, 0, 1001, NULL);
    assert_null(r.flow.stream);
    assert_int_equal(stream_engine_stats(r.se)->memory, 0);
    assert_int_equal(seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 0, "late"), STREAM_PKT_UNTRACKED);
    rig_end(&r);
    assert_int_equal(r.out[0].len, 0);
}

/* A FIN before delivered bytes and a RST far from the expected sequence
 * number do not end the direction (injection must not stop reassembly). */
static void test_bogus_fin_rst(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "GET /etc/");
    seg(&r, FLOW_TOSERVER, TCP_FIN | TCP_ACK, 1003, 5001, NULL);
    seg(&r, FLOW_TOSERVER, TCP_RST, 1001 + 100000000, 0, NULL);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1010, 5001, "passwd");
    assert_out(&r.out[0], "GET /etc/passwd");
    assert_int_equal(r.out[0].eofs, 0);
    seg(&r, FLOW_TOSERVER, TCP_RST, 1016, 0, NULL);     /* in place: believed */
    assert_int_equal(r.out[0].eofs, 1);
    rig_end(&r);
}

static void test_rst_and_non_tcp(void **state)
{
    (void)state;
    struct rig r;
    rig_init(&r, NULL);
    handshake(&r, 1000, 5000);
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1001, 5001, "ab");
    seg(&r, FLOW_TOSERVER, TCP_ACK, 1010, 5001, "zz");
    seg(&r, FLOW_TOSERVER, TCP_RST, 1012, 0, NULL);
    assert_out(&r.out[0], "abzz");              /* held data flushed after a gap */
    assert_int_equal(r.out[0].gaps, 1);
    assert_int_equal(r.out[0].eofs, 1);
    rig_end(&r);

    rig_init(&r, NULL);
    r.flow.proto = 17;
    struct packet p = { 0 };
    p.proto = 17;
    p.payload = (const uint8_t *)"x";
    p.payload_len = 1;
    const struct stream_chunk *c;
    assert_int_equal(stream_packet(r.se, &r.flow, &p, FLOW_TOSERVER, &c), 0);
    assert_null(r.flow.stream);
    rig_end(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_order),
        cmocka_unit_test(test_out_of_order),
        cmocka_unit_test(test_one_byte_segments_reversed),
        cmocka_unit_test(test_retransmission_once),
        cmocka_unit_test(test_overlap_old_data_wins),
        cmocka_unit_test(test_sequence_wrap),
        cmocka_unit_test(test_gap_acked),
        cmocka_unit_test(test_gap_timeout_and_flush),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_depth_zero_is_off),
        cmocka_unit_test(test_midstream),
        cmocka_unit_test(test_held_cap_and_memcap),
        cmocka_unit_test(test_rst_and_non_tcp),
        cmocka_unit_test(test_bogus_fin_rst),
        cmocka_unit_test(test_refused_connection_released),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
