/* The header keywords (seq, ack, window, tcp.flags, tcp.mss, tcp.hdr,
 * icmp_id, icmp_seq, id, flow.age), flowint, and the TCP state-machine
 * stream events: each keyword matched against crafted headers where it must
 * and must not match, its bad values refused with the exact message, and
 * the stream stage fed packet sequences that raise (or must not raise)
 * suspected_rst_inject, rst/fin_but_no_session and the SYN/ACK events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "detect/detect.h"
#include "detect/keywords.h"
#include "detect/rule.h"
#include "stream/stream.h"

static struct detect_engine *de;

static int setup_engine(void **state)
{
    (void)state;
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .classification_file = "rules/classification.config" };
    de = detect_engine_load(&cfg, &diag);
    return de && diag.errors == 0 ? 0 : -1;
}

static int teardown_engine(void **state)
{
    (void)state;
    detect_engine_free(de);
    return 0;
}

static char err[400];

static struct rule *parse(const char *opts)
{
    char text[512];
    bool unsupported, passive;
    snprintf(text, sizeof text, "alert ip any any -> any any (%s sid:1;)", opts);
    err[0] = '\0';
    return rule_parse(de, text, "t.rules", 7, err, sizeof err, &unsupported, &passive);
}

static void expect_error(const char *opts, const char *message)
{
    struct rule *r = parse(opts);
    if (r) {
        rule_free(r);
        fail_msg("accepted, expected \"%s\": %s", message, opts);
    }
    if (strcmp(err, message) != 0)
        fail_msg("got \"%s\", expected \"%s\"", err, message);
}

/* Do all of the rule's packet checks pass on pkt (flow may be NULL)? */
static bool checks_pass(const char *opts, const struct packet *pkt, struct flow *flow)
{
    struct rule *r = parse(opts);
    if (!r)
        fail_msg("refused: %s: %s", err, opts);
    struct match_env env = { .de = de, .flow = flow, .pkt = pkt, .dir = FLOW_TOSERVER };
    bool ok = true;
    for (size_t i = 0; i < r->nchecks && ok; i++)
        ok = r->checks[i].match(&env, r->checks[i].ctx);
    for (int b = 0; b < BUF_COUNT && ok; b++) {
        if (!(r->buffers_used & (1ull << b)))
            continue;
        const uint8_t *data;
        uint32_t len;
        ok = detect_buffer_get(&env, b, &data, &len) && inspect_buffer(&env, &r->buf[b], data, len);
    }
    rule_free(r);
    return ok;
}

/* A TCP packet: IPv4 header (id 0x1234), TCP header with the given
 * options, then a 3-byte payload. */
struct frame {
    uint8_t bytes[20 + 60 + 3];
    struct packet pkt;
};

static void tcp_frame(struct frame *f, const uint8_t *opts, size_t optlen)
{
    memset(f, 0, sizeof *f);
    uint8_t *ip = f->bytes, *tcp = f->bytes + 20;
    size_t hlen = 20 + optlen;
    ip[0] = 0x45;
    ip[4] = 0x12;
    ip[5] = 0x34;
    tcp[12] = (uint8_t)((hlen / 4) << 4);
    memcpy(tcp + 20, opts, optlen);
    memcpy(tcp + hlen, "abc", 3);
    struct packet *p = &f->pkt;
    p->ip_version = 4;
    p->proto = 6;
    p->ip_header = ip;
    p->ip_len = (uint32_t)(20 + hlen + 3);
    p->tcp_seq = 3964863680u;
    p->tcp_ack = 2403674603u;
    p->tcp_window = 2048;
    p->tcp_flags = 0x12;        /* SYN ACK */
    tcp[13] = 0x12;
    p->l4_hdr_len = (uint16_t)hlen;
    p->payload = tcp + hlen;
    p->payload_len = 3;
}

static void test_tcp_numbers(void **state)
{
    (void)state;
    struct frame f;
    tcp_frame(&f, NULL, 0);
    assert_true(checks_pass("seq:3964863680;", &f.pkt, NULL));
    assert_false(checks_pass("seq:3964863681;", &f.pkt, NULL));
    assert_true(checks_pass("ack:2403674603;", &f.pkt, NULL));
    assert_false(checks_pass("ack:0;", &f.pkt, NULL));
    assert_true(checks_pass("seq:3964863680; ack:2403674603;", &f.pkt, NULL));
    assert_true(checks_pass("window:2048;", &f.pkt, NULL));
    assert_false(checks_pass("window:!2048;", &f.pkt, NULL));
    assert_true(checks_pass("window:!0;", &f.pkt, NULL));
    assert_true(checks_pass("tcp.flags:SA;", &f.pkt, NULL));
    assert_false(checks_pass("tcp.flags:S;", &f.pkt, NULL));
    assert_true(checks_pass("tcp.flags:S+;", &f.pkt, NULL));
    assert_true(checks_pass("id:4660;", &f.pkt, NULL));          /* 0x1234 */
    assert_false(checks_pass("id:4661;", &f.pkt, NULL));
    /* a flow-end pseudo packet has no TCP header: seq:0 must not match it */
    struct packet pseudo = { .proto = 6 };
    assert_false(checks_pass("seq:0;", &pseudo, NULL));
    assert_false(checks_pass("ack:0;", &pseudo, NULL));
    assert_false(checks_pass("window:0;", &pseudo, NULL));
    /* UDP: none of them */
    f.pkt.proto = 17;
    assert_false(checks_pass("window:2048;", &f.pkt, NULL));
    f.pkt.ip_version = 6;
    assert_false(checks_pass("id:4660;", &f.pkt, NULL));

    expect_error("seq:-1;", "invalid seq '-1'");
    expect_error("seq:4294967296;", "invalid seq '4294967296'");
    expect_error("ack:>5;", "invalid ack '>5'");
    expect_error("window:65536;", "invalid window '65536'");
    expect_error("window:!!1;", "invalid window '!!1'");
    expect_error("id:70000;", "invalid id '70000'");
    expect_error("tcp.flags:Q;", "invalid flags 'Q'");
}

static void test_tcp_mss_and_hdr(void **state)
{
    (void)state;
    struct frame f;
    static const uint8_t mss_500[] = { 1, 1, 2, 4, 0x01, 0xf4, 1, 0 };   /* NOP NOP MSS=500 */
    tcp_frame(&f, mss_500, sizeof mss_500);
    assert_true(checks_pass("tcp.mss:<536;", &f.pkt, NULL));
    assert_true(checks_pass("tcp.mss:500;", &f.pkt, NULL));
    assert_false(checks_pass("tcp.mss:>500;", &f.pkt, NULL));
    assert_true(checks_pass("tcp.mss:400-600;", &f.pkt, NULL));
    /* the header: 20 fixed bytes, then the options */
    assert_true(checks_pass("tcp.hdr; content:\"|02 04 01 f4|\"; offset:22; depth:4;", &f.pkt, NULL));
    assert_false(checks_pass("tcp.hdr; content:\"|02 04 01 f4|\"; offset:23;", &f.pkt, NULL));
    assert_false(checks_pass("tcp.hdr; content:\"abc\";", &f.pkt, NULL));   /* payload is not in it */
    assert_true(checks_pass("tcp.hdr; bsize:28;", &f.pkt, NULL));

    static const uint8_t no_mss[] = { 1, 1, 4, 2 };                      /* NOP NOP SACK-permitted */
    tcp_frame(&f, no_mss, sizeof no_mss);
    assert_false(checks_pass("tcp.mss:<65535;", &f.pkt, NULL));
    static const uint8_t eol_first[] = { 0, 0, 2, 4, 0x01, 0xf4, 0, 0 };
    tcp_frame(&f, eol_first, sizeof eol_first);
    assert_false(checks_pass("tcp.mss:500;", &f.pkt, NULL));
    /* hostile lengths: zero, past the header, MSS with the wrong length */
    static const uint8_t zero_len[] = { 8, 0, 2, 4, 0x01, 0xf4, 0, 0 };
    tcp_frame(&f, zero_len, sizeof zero_len);
    assert_false(checks_pass("tcp.mss:500;", &f.pkt, NULL));
    static const uint8_t too_long[] = { 1, 1, 1, 2, 9, 0, 0, 0 };
    tcp_frame(&f, too_long, sizeof too_long);
    assert_false(checks_pass("tcp.mss:>0;", &f.pkt, NULL));
    static const uint8_t bad_mss[] = { 2, 3, 1, 0 };
    tcp_frame(&f, bad_mss, sizeof bad_mss);
    assert_false(checks_pass("tcp.mss:>0;", &f.pkt, NULL));
    struct packet pseudo = { .proto = 6 };
    assert_false(checks_pass("tcp.hdr; bsize:>0;", &pseudo, NULL));
    expect_error("tcp.mss:70000;", "invalid tcp.mss '70000'");
}

static void test_icmp_id_seq(void **state)
{
    (void)state;
    uint8_t icmp[8 + 4] = { 8, 0, 0, 0, 0x02, 0x9a, 0x08, 0xa8, 'p', 'i', 'n', 'g' };
    struct packet p = { .proto = 1, .icmp_type = 8, .l4_hdr_len = 8, .payload = icmp + 8,
                        .payload_len = 4 };
    assert_true(checks_pass("icmp_id:666;", &p, NULL));         /* 0x029a */
    assert_false(checks_pass("icmp_id:667;", &p, NULL));
    assert_true(checks_pass("icmp_seq:2216;", &p, NULL));       /* 0x08a8 */
    assert_false(checks_pass("icmp_seq:5000;", &p, NULL));
    assert_true(checks_pass("icmp_seq:>2000;", &p, NULL));
    p.icmp_type = 3;                                            /* unreachable: no id/seq */
    assert_false(checks_pass("icmp_seq:2216;", &p, NULL));
    p.proto = 58;
    p.icmp_type = 129;                                          /* ICMPv6 echo reply */
    assert_true(checks_pass("icmp_id:666;", &p, NULL));
    p.icmp_type = 8;                                            /* not an ICMPv6 echo */
    assert_false(checks_pass("icmp_id:666;", &p, NULL));
    expect_error("icmp_seq:x;", "invalid icmp_seq 'x'");
    expect_error("icmp_id:65536;", "invalid icmp_id '65536'");
}

static void test_flow_age(void **state)
{
    (void)state;
    struct flow flow = { .start_usec = 100 * 1000000ULL };
    struct packet p = { .proto = 17, .ts_usec = 120 * 1000000ULL + 999999 };
    assert_true(checks_pass("flow.age:20;", &p, &flow));       /* whole seconds */
    assert_false(checks_pass("flow.age:>20;", &p, &flow));
    p.ts_usec += 1;
    assert_true(checks_pass("flow.age:>20;", &p, &flow));
    assert_false(checks_pass("flow.age:>20;", &p, NULL));
    expect_error("flow.age:abc;", "invalid flow.age 'abc'");
}

/* Runs a rule on the flow as the engine would: checks, then (on a match)
 * its actions. */
static bool run(const struct rule *r, struct flow *flow)
{
    struct packet p = { .proto = 6 };
    struct match_env env = { .de = de, .flow = flow, .pkt = &p, .dir = FLOW_TOSERVER };
    for (size_t i = 0; i < r->nchecks; i++)
        if (!r->checks[i].match(&env, r->checks[i].ctx))
            return false;
    for (size_t a = 0; a < r->nactions; a++)
        r->actions[a].apply(&env, r->actions[a].ctx);
    return true;
}

static struct rule *parse_ok(const char *opts)
{
    struct rule *r = parse(opts);
    if (!r)
        fail_msg("refused: %s: %s", err, opts);
    return r;
}

static void test_flowint(void **state)
{
    (void)state;
    struct flow flow = { .proto = 6 };
    struct rule *add = parse_ok("flowint:cnt,+,2;");
    struct rule *sub = parse_ok("flowint:cnt,-,1;");
    struct rule *isset = parse_ok("flowint:cnt,isset;");
    struct rule *notset = parse_ok("flowint:cnt,notset;");
    struct rule *gt2 = parse_ok("flowint:cnt, >, 2;");
    struct rule *eq3 = parse_ok("flowint:cnt,==,3;");
    struct rule *ne3 = parse_ok("flowint:cnt,!=,3;");
    struct rule *le3 = parse_ok("flowint:cnt,<=,3;");
    struct rule *set_lim = parse_ok("flowint:lim,=,3;");
    struct rule *ge_lim = parse_ok("flowint:cnt,>=,lim;");
    struct rule *lt_lim = parse_ok("flowint:cnt,<,lim;");
    struct rule *copy = parse_ok("flowint:other,=,cnt;");
    struct rule *other7 = parse_ok("flowint:other,==,7;");
    assert_true(add->sets_flowbits && !add->checks_flowbits);
    assert_true(gt2->checks_flowbits);

    assert_true(run(notset, &flow));
    assert_false(run(isset, &flow));
    assert_false(run(gt2, &flow));          /* unset: no comparison matches */
    assert_false(run(ne3, &flow));
    assert_false(run(ge_lim, &flow));
    assert_true(run(add, &flow));           /* unset counts as 0: cnt = 2 */
    assert_true(run(isset, &flow));
    assert_false(run(notset, &flow));
    assert_false(run(gt2, &flow));
    assert_true(run(le3, &flow));
    assert_true(run(add, &flow));           /* 4 */
    assert_true(run(sub, &flow));           /* 3 */
    assert_true(run(eq3, &flow));
    assert_false(run(ne3, &flow));
    assert_true(run(gt2, &flow));
    assert_false(run(ge_lim, &flow));       /* lim unset */
    assert_true(run(set_lim, &flow));
    assert_true(run(ge_lim, &flow));
    assert_false(run(lt_lim, &flow));
    assert_true(run(add, &flow));
    assert_true(run(add, &flow));           /* 7 */
    assert_true(run(copy, &flow));
    assert_true(run(other7, &flow));
    size_t mem = detect_flow_memory(&flow);
    assert_true(mem >= sizeof(struct detect_flow) + 3 * sizeof(struct flowint_var));

    /* wrap-around at 2^32, as Suricata's 32-bit values */
    struct flow f2 = { .proto = 6 };
    assert_true(run(sub, &f2));
    struct rule *max = parse_ok("flowint:cnt,==,4294967295;");
    assert_true(run(max, &f2));

    /* a flow keeps at most 64 variables; the 65th is not added */
    struct flow f3 = { .proto = 6 };
    for (int i = 0; i < 70; i++) {
        char opts[64];
        snprintf(opts, sizeof opts, "flowint:v%d,=,%d;", i, i);
        struct rule *r = parse_ok(opts);
        assert_true(run(r, &f3));
        rule_free(r);
    }
    assert_int_equal(f3.detect->nints, 64);
    struct rule *v63 = parse_ok("flowint:v63,==,63;");
    struct rule *v64 = parse_ok("flowint:v64,isset;");
    assert_true(run(v63, &f3));
    assert_false(run(v64, &f3));

    struct rule *all[] = { add, sub, isset, notset, gt2, eq3, ne3, le3, set_lim, ge_lim, lt_lim,
                           copy, other7, max, v63, v64 };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        rule_free(all[i]);
    /* the variables go with the flow's detection state */
    struct detect_thread *dt = detect_thread_new(de);
    assert_non_null(dt);
    struct flow *flows[] = { &flow, &f2, &f3 };
    for (size_t i = 0; i < 3; i++) {
        detect_flow_end(dt, flows[i], NULL);
        assert_null(flows[i]->detect);
        assert_int_equal(detect_flow_memory(flows[i]), 0);
    }
    detect_thread_free(dt);

    expect_error("flowint:cnt;", "flowint needs name,operator[,value]: 'cnt'");
    expect_error("flowint:cnt,*,2;", "unknown flowint operator '*'");
    expect_error("flowint:cnt,+;", "flowint '+' needs a value");
    expect_error("flowint:cnt,isset,1;", "flowint 'isset' takes no value");
    expect_error("flowint:cnt,=,4294967296;",
                 "invalid flowint value '4294967296' (0 to 4294967295 or a variable)");
    expect_error("flowint:cnt,=,1,2;", "flowint needs name,operator[,value]: 'cnt,=,1,2'");
    expect_error("flowint:a b,=,1;", "invalid flowint name 'a b'");
}

/* --- stream events ------------------------------------------------------------- */

struct tcp_rig {
    struct stream_engine *se;
    struct flow flow;
    uint64_t ts;
};

static unsigned send_seg(struct tcp_rig *r, enum flow_direction dir, uint8_t flags, uint32_t seq,
                         uint32_t ack, const char *data)
{
    struct packet p = { .proto = 6, .ts_usec = (r->ts += 1000), .tcp_flags = flags,
                        .tcp_seq = seq, .tcp_ack = ack };
    p.payload = (const uint8_t *)data;
    p.payload_len = data ? (uint32_t)strlen(data) : 0;
    r->flow.tcp_flags_seen[dir] |= flags;
    r->flow.last_usec = p.ts_usec;
    const struct stream_chunk *c;
    stream_packet(r->se, &r->flow, &p, dir, &c);
    return stream_events(&r->flow, dir);
}

static void rig_start(struct tcp_rig *r)
{
    memset(r, 0, sizeof *r);
    r->se = stream_engine_new(NULL);
    assert_non_null(r->se);
    r->flow.proto = 6;
    r->ts = 1000000;
}

static void rig_stop(struct tcp_rig *r)
{
    stream_flow_release(r->se, &r->flow);
    stream_engine_free(r->se);
}

enum { S = TCP_SYN, A = TCP_ACK, R = TCP_RST, F = TCP_FIN, P = TCP_PSH };
#define C2S FLOW_TOSERVER
#define S2C FLOW_TOCLIENT

static void test_rst_inject(void **state)
{
    (void)state;
    /* security-4710: the client "sends" a RST, then goes on sending */
    struct tcp_rig r;
    rig_start(&r);
    assert_int_equal(send_seg(&r, C2S, S, 100, 0, NULL), 0);
    assert_int_equal(send_seg(&r, S2C, S | A, 500, 101, NULL), 0);
    assert_int_equal(send_seg(&r, C2S, A, 101, 501, NULL), 0);
    assert_int_equal(send_seg(&r, C2S, R | A, 101, 501, NULL), 0);
    assert_int_equal(send_seg(&r, S2C, A, 501, 101, NULL), 0);        /* the other side: no */
    assert_int_equal(send_seg(&r, C2S, P | A, 101, 501, "GET / HTTP/1.0\r\n\r\n"),
                     STREAM_EVENT_RST_INJECT);
    assert_int_equal(send_seg(&r, C2S, A, 119, 501, NULL), 0);        /* once per RST */
    /* reassembly went on after the RST: the bytes are in the stream */
    uint64_t bytes = 0;
    assert_true(stream_size(&r.flow, C2S, &bytes));
    assert_int_equal(bytes, 18 + 1);
    rig_stop(&r);

    /* a RST far from the expected sequence number is not believed: the
     * packets after it are not an injection sign */
    rig_start(&r);
    send_seg(&r, C2S, S, 100, 0, NULL);
    send_seg(&r, S2C, S | A, 500, 101, NULL);
    send_seg(&r, C2S, A, 101, 501, "abc");
    send_seg(&r, C2S, R, 101 + 0x40000000u, 0, NULL);
    assert_int_equal(send_seg(&r, C2S, A, 104, 501, "def"), 0);
    /* a RST as the last word, then only the peer: no event either */
    send_seg(&r, C2S, R, 107, 0, NULL);
    assert_int_equal(send_seg(&r, S2C, A, 501, 107, NULL), 0);
    assert_int_equal(send_seg(&r, C2S, R, 107, 0, NULL), 0);          /* more RSTs are usual */
    rig_stop(&r);

    /* a RST after data ends the direction at once (the bytes before it are
     * flushed): the data after it raises the event but is not reassembled */
    rig_start(&r);
    send_seg(&r, C2S, S, 100, 0, NULL);
    send_seg(&r, S2C, S | A, 500, 101, NULL);
    send_seg(&r, C2S, P | A, 101, 501, "abc");
    send_seg(&r, C2S, R | A, 104, 501, NULL);
    assert_int_equal(send_seg(&r, C2S, P | A, 104, 501, "def"), STREAM_EVENT_RST_INJECT);
    assert_true(stream_size(&r.flow, C2S, &bytes));
    assert_int_equal(bytes, 3 + 1);
    rig_stop(&r);

    /* RSTs before data: the first waits (the connection goes on), the
     * second ends its side (the other was reset), the third finds the
     * other side over: everything is released */
    rig_start(&r);
    send_seg(&r, C2S, S, 100, 0, NULL);
    send_seg(&r, S2C, S | A, 500, 101, NULL);
    send_seg(&r, S2C, R, 501, 0, NULL);
    assert_non_null(r.flow.stream);
    send_seg(&r, C2S, R, 101, 0, NULL);
    assert_non_null(r.flow.stream);
    send_seg(&r, S2C, R, 501, 0, NULL);
    assert_null(r.flow.stream);
    rig_stop(&r);
}

static void test_no_session_and_synack(void **state)
{
    (void)state;
    struct tcp_rig r;
    rig_start(&r);
    assert_int_equal(send_seg(&r, C2S, R | A, 7, 9, NULL), STREAM_EVENT_RST_NO_SESSION);
    assert_int_equal(send_seg(&r, C2S, F | A, 7, 9, NULL), STREAM_EVENT_FIN_NO_SESSION);
    assert_int_equal(send_seg(&r, S2C, A, 9, 7, NULL), 0);            /* a session (midstream) */
    assert_int_equal(send_seg(&r, C2S, R, 7, 0, NULL), 0);
    rig_stop(&r);

    /* the SYN/ACK from the side that sent the SYN */
    rig_start(&r);
    assert_int_equal(send_seg(&r, C2S, S, 100, 0, NULL), 0);
    assert_int_equal(send_seg(&r, C2S, S | A, 100, 0, NULL), STREAM_EVENT_SYNACK_WRONG_DIR);
    rig_stop(&r);

    /* a SYN/ACK that does not acknowledge the SYN; then a right one */
    rig_start(&r);
    send_seg(&r, C2S, S, 100, 0, NULL);
    assert_int_equal(send_seg(&r, S2C, S | A, 500, 777, NULL), STREAM_EVENT_SYNACK_WRONG_ACK);
    rig_stop(&r);
    /* SYN/ACKs sent again before the client's ACK: the same is fine, another
     * ISN or another acknowledgement is not (the flow table keeps the state
     * SYN_RECEIVED; the rig has none, so it is set here) */
    rig_start(&r);
    send_seg(&r, C2S, S, 100, 0, NULL);
    send_seg(&r, S2C, S | A, 500, 101, NULL);
    r.flow.tcp_state = FLOW_TCP_SYN_RECEIVED;
    assert_int_equal(send_seg(&r, S2C, S | A, 500, 101, NULL), 0);
    assert_int_equal(send_seg(&r, S2C, S | A, 600, 101, NULL), STREAM_EVENT_SYNACK_RESEND_SEQ);
    assert_int_equal(send_seg(&r, S2C, S | A, 600, 7, NULL), STREAM_EVENT_SYNACK_RESEND_ACK);
    assert_int_equal(send_seg(&r, S2C, S | A, 9, 7, NULL),
                     STREAM_EVENT_SYNACK_RESEND_SEQ | STREAM_EVENT_SYNACK_RESEND_ACK);
    r.flow.tcp_state = FLOW_TCP_ESTABLISHED;        /* after the ACK: other events */
    assert_int_equal(send_seg(&r, S2C, S | A, 1234, 7, NULL), 0);
    rig_stop(&r);
    rig_start(&r);
    send_seg(&r, C2S, S, 0xffffffffu, 0, NULL);                      /* ISN + 1 wraps to 0 */
    assert_int_equal(send_seg(&r, S2C, S | A, 500, 0, NULL), 0);
    assert_int_equal(send_seg(&r, C2S, A, 0, 501, NULL), 0);
    rig_stop(&r);
}

static void test_stream_event_names(void **state)
{
    (void)state;
    static const char *const names[] = {
        "suspected_rst_inject", "rst_but_no_session", "fin_but_no_session",
        "3whs_synack_in_wrong_direction", "3whs_synack_with_wrong_ack",
        "3whs_synack_resend_with_diff_seq", "3whs_synack_resend_with_different_ack",
    };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char opts[96];
        snprintf(opts, sizeof opts, "stream-event:%s;", names[i]);
        rule_free(parse_ok(opts));
    }
    struct rule *r = parse("stream-event:est_synack_resend;");
    assert_null(r);
    assert_non_null(strstr(err, "stream-event 'est_synack_resend' is not supported"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_numbers),
        cmocka_unit_test(test_tcp_mss_and_hdr),
        cmocka_unit_test(test_icmp_id_seq),
        cmocka_unit_test(test_flow_age),
        cmocka_unit_test(test_flowint),
        cmocka_unit_test(test_rst_inject),
        cmocka_unit_test(test_no_session_and_synack),
        cmocka_unit_test(test_stream_event_names),
    };
    return cmocka_run_group_tests(tests, setup_engine, teardown_engine);
}
