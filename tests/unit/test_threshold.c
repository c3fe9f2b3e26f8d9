/* threshold/detection_filter: the parser's values and messages, and the
 * alert pattern of every type and track over packet-time windows, distinct
 * port counting, expiry and the eviction bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>

#include <cmocka.h>

#include "detect/threshold.h"

#define SEC 1000000ull

static struct packet make_pkt(uint8_t src_last, uint8_t dst_last, uint16_t sport, uint16_t dport)
{
    struct packet p;
    memset(&p, 0, sizeof p);
    p.ip_version = 4;
    p.proto = 6;
    p.src.family = 4;
    p.dst.family = 4;
    p.src.bytes[0] = 10;
    p.src.bytes[3] = src_last;
    p.dst.bytes[0] = 192;
    p.dst.bytes[3] = dst_last;
    p.src_port = sport;
    p.dst_port = dport;
    return p;
}

static struct threshold_spec parse_ok(const char *value, bool df)
{
    struct threshold_spec spec;
    char err[256] = "";
    int rc = threshold_parse(value, df, &spec, err, sizeof err);
    if (rc != 0)
        fail_msg("parse of '%s' failed: %s", value, err);
    return spec;
}

static void expect_parse_error(const char *value, bool df, const char *message)
{
    struct threshold_spec spec;
    char err[256] = "";
    assert_int_equal(threshold_parse(value, df, &spec, err, sizeof err), -1);
    assert_string_equal(err, message);
}

/* Runs n matches one `step` apart starting at t0 and writes 1/0 per alert. */
static void run_pattern(struct threshold_table *t, const struct threshold_spec *spec,
                        const struct packet *p, uint64_t t0, uint64_t step, int n, char *out)
{
    for (int i = 0; i < n; i++)
        out[i] = threshold_check(t, spec, 1, 1000, NULL, p, t0 + (uint64_t)i * step) ? '1' : '0';
    out[n] = '\0';
}

static void test_parse_values(void **state)
{
    (void)state;
    struct threshold_spec s = parse_ok("type limit, track by_src, count 1, seconds 60", false);
    assert_int_equal(s.kind, THRESHOLD_LIMIT);
    assert_int_equal(s.track, THRESHOLD_TRACK_BY_SRC);
    assert_int_equal(s.count, 1);
    assert_int_equal(s.seconds_usec, 60 * SEC);
    assert_int_equal(s.unique_on, UNIQUE_NONE);

    s = parse_ok("  seconds 5 ,count 7,track   by_both,type both  ", false);
    assert_int_equal(s.kind, THRESHOLD_BOTH);
    assert_int_equal(s.track, THRESHOLD_TRACK_BY_BOTH);
    assert_int_equal(s.count, 7);
    assert_int_equal(s.seconds_usec, 5 * SEC);

    s = parse_ok("type threshold,track by_flow,count 10,seconds 2", false);
    assert_int_equal(s.kind, THRESHOLD_THRESHOLD);
    assert_int_equal(s.track, THRESHOLD_TRACK_BY_FLOW);

    s = parse_ok("track by_dst, count 3, seconds 60, unique_on dst_port", true);
    assert_int_equal(s.kind, THRESHOLD_DETECTION_FILTER);
    assert_int_equal(s.track, THRESHOLD_TRACK_BY_DST);
    assert_int_equal(s.unique_on, UNIQUE_DST_PORT);
    s = parse_ok("track by_rule,count 15,seconds 2", true);
    assert_int_equal(s.track, THRESHOLD_TRACK_BY_RULE);
    assert_int_equal(s.unique_on, UNIQUE_NONE);
    s = parse_ok("unique_on src_port, seconds 30, count 20, track by_dst", true);
    assert_int_equal(s.unique_on, UNIQUE_SRC_PORT);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_parse_error("track by_src, count 1, seconds 60", false, "threshold: missing 'type'");
    expect_parse_error("type limit, count 1, seconds 60", false, "threshold: missing 'track'");
    expect_parse_error("type limit, track by_src, seconds 60", false, "threshold: missing 'count'");
    expect_parse_error("type limit, track by_src, count 1", false, "threshold: missing 'seconds'");
    expect_parse_error("", false, "threshold: empty value");
    expect_parse_error(" ", true, "detection_filter: empty value");
    expect_parse_error("track by_src, count 1", true, "detection_filter: missing 'seconds'");
    expect_parse_error("type backoff, track by_flow, count 1, seconds 5", false,
                       "threshold: type 'backoff' is not supported (expected threshold, limit or both)");
    expect_parse_error("type limit, track by_host, count 1, seconds 5", false,
                       "threshold: track 'by_host' is not supported (expected by_src, by_dst, by_rule, by_both or by_flow)");
    expect_parse_error("type limit, track by_src, count 0, seconds 5", false,
                       "threshold: count '0' is not a number from 1 to 4294967295");
    expect_parse_error("type limit, track by_src, count -1, seconds 5", false,
                       "threshold: count '-1' is not a number from 1 to 4294967295");
    expect_parse_error("type limit, track by_src, count 99999999999, seconds 5", false,
                       "threshold: count '99999999999' is not a number from 1 to 4294967295");
    expect_parse_error("type limit, track by_src, count 1, seconds 1x", false,
                       "threshold: seconds '1x' is not a number from 1 to 316224000");
    expect_parse_error("type limit, type both, track by_src, count 1, seconds 5", false,
                       "threshold: 'type' given twice");
    expect_parse_error("type limit, track by_src, count 1, seconds 5, unique_on dst_port", false,
                       "threshold: 'unique_on' is only valid in detection_filter");
    expect_parse_error("type limit, track by_src, count 1, seconds 5", true,
                       "detection_filter: 'type' is not valid here (use threshold: for types)");
    expect_parse_error("track by_src, count 1, seconds 5, unique_on proto", true,
                       "detection_filter: unique_on 'proto' is not supported (expected src_port or dst_port)");
    expect_parse_error("type limit, track by_src, count 1, seconds 5, flavour mild", false,
                       "threshold: unknown option 'flavour' (expected type, track, count, seconds)");
    expect_parse_error("type limit,, track by_src, count 1, seconds 5", false,
                       "threshold: empty option (stray comma?)");
    expect_parse_error("type limit, track by_src by_dst, count 1, seconds 5", false,
                       "threshold: 'track' takes one value, got 'by_src by_dst'");
    expect_parse_error("type, track by_src, count 1, seconds 5", false,
                       "threshold: 'type' needs a value");
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    expect_parse_error(big, false, "threshold: value missing or too long");
}

static void test_type_threshold(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(64);
    struct threshold_spec s = parse_ok("type threshold, track by_src, count 3, seconds 10", false);
    struct packet p = make_pkt(1, 1, 1000, 80);
    char out[32];
    /* every 3rd match in the window alerts */
    run_pattern(t, &s, &p, 100 * SEC, SEC, 7, out);
    assert_string_equal(out, "0010010");
    /* the window (started at 100 s) has passed at 111 s: counting starts over */
    run_pattern(t, &s, &p, 111 * SEC, SEC / 10, 4, out);
    assert_string_equal(out, "0010");
    /* count 1 alerts on every match */
    struct threshold_spec one = parse_ok("type threshold, track by_src, count 1, seconds 10", false);
    for (int i = 0; i < 5; i++)
        assert_true(threshold_check(t, &one, 1, 2000, NULL, &p, 200 * SEC + (uint64_t)i));
    threshold_table_free(t);
}

static void test_type_limit(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(64);
    struct threshold_spec s = parse_ok("type limit, track by_src, count 2, seconds 60", false);
    struct packet p = make_pkt(1, 1, 1000, 80);
    char out[32];
    run_pattern(t, &s, &p, 0, 5 * SEC, 8, out);      /* 0..35 s */
    assert_string_equal(out, "11000000");
    /* window boundary (Suricata: inside while now - start < seconds): just
     * before 60 s is inside, 60 s starts a new window */
    assert_false(threshold_check(t, &s, 1, 1000, NULL, &p, 60 * SEC - 1));
    assert_true(threshold_check(t, &s, 1, 1000, NULL, &p, 60 * SEC));
    assert_true(threshold_check(t, &s, 1, 1000, NULL, &p, 61 * SEC));
    assert_false(threshold_check(t, &s, 1, 1000, NULL, &p, 119 * SEC));
    assert_true(threshold_check(t, &s, 1, 1000, NULL, &p, 120 * SEC));
    threshold_table_free(t);
}

static void test_type_both(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(64);
    struct threshold_spec s = parse_ok("type both, track by_src, count 3, seconds 10", false);
    struct packet p = make_pkt(1, 1, 1000, 80);
    char out[32];
    run_pattern(t, &s, &p, 0, SEC, 9, out);          /* 0..8 s: one alert at the 3rd */
    assert_string_equal(out, "001000000");
    run_pattern(t, &s, &p, 11 * SEC, SEC, 4, out);   /* new window */
    assert_string_equal(out, "0010");
    threshold_table_free(t);
}

static void test_detection_filter(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(64);
    struct threshold_spec s = parse_ok("track by_src, count 3, seconds 10", true);
    struct packet p = make_pkt(1, 1, 1000, 80);
    char out[32];
    run_pattern(t, &s, &p, 0, SEC, 7, out);          /* every match after the 3rd */
    assert_string_equal(out, "0001111");
    run_pattern(t, &s, &p, 20 * SEC, SEC, 5, out);   /* window passed: start over */
    assert_string_equal(out, "00011");
    threshold_table_free(t);
}

static void test_tracks(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(64);
    struct packet a_to_x = make_pkt(1, 1, 1000, 80), b_to_x = make_pkt(2, 1, 1000, 80);
    struct packet a_to_y = make_pkt(1, 2, 1000, 80);
    struct packet x_to_a = a_to_x;
    x_to_a.src = a_to_x.dst;
    x_to_a.dst = a_to_x.src;

    /* by_src: a and b count apart; a's packets to x and y count together */
    struct threshold_spec src = parse_ok("type limit, track by_src, count 1, seconds 60", false);
    assert_true(threshold_check(t, &src, 1, 1, NULL, &a_to_x, SEC));
    assert_false(threshold_check(t, &src, 1, 1, NULL, &a_to_y, SEC));
    assert_true(threshold_check(t, &src, 1, 1, NULL, &b_to_x, SEC));

    /* by_dst: x and y apart; a and b to x together */
    struct threshold_spec dst = parse_ok("type limit, track by_dst, count 1, seconds 60", false);
    assert_true(threshold_check(t, &dst, 1, 2, NULL, &a_to_x, SEC));
    assert_false(threshold_check(t, &dst, 1, 2, NULL, &b_to_x, SEC));
    assert_true(threshold_check(t, &dst, 1, 2, NULL, &a_to_y, SEC));

    /* by_rule: everything together, but rules (sid, and gid) apart */
    struct threshold_spec rule = parse_ok("type limit, track by_rule, count 1, seconds 60", false);
    assert_true(threshold_check(t, &rule, 1, 3, NULL, &a_to_x, SEC));
    assert_false(threshold_check(t, &rule, 1, 3, NULL, &b_to_x, SEC));
    assert_true(threshold_check(t, &rule, 1, 4, NULL, &b_to_x, SEC));
    assert_true(threshold_check(t, &rule, 2, 3, NULL, &b_to_x, SEC));

    /* by_both: the address pair, either direction */
    struct threshold_spec both = parse_ok("type limit, track by_both, count 1, seconds 60", false);
    assert_true(threshold_check(t, &both, 1, 5, NULL, &a_to_x, SEC));
    assert_false(threshold_check(t, &both, 1, 5, NULL, &x_to_a, SEC));
    assert_true(threshold_check(t, &both, 1, 5, NULL, &a_to_y, SEC));
    assert_true(threshold_check(t, &both, 1, 5, NULL, &b_to_x, SEC));

    /* by_flow: same addresses, different flows count apart */
    struct threshold_spec fl = parse_ok("type limit, track by_flow, count 1, seconds 60", false);
    struct flow f1, f2;
    memset(&f1, 0, sizeof f1);
    f1.flow_id = 111;
    f1.client = a_to_x.src;
    f1.server = a_to_x.dst;
    f2 = f1;
    f2.flow_id = 222;
    assert_true(threshold_check(t, &fl, 1, 6, &f1, &a_to_x, SEC));
    assert_false(threshold_check(t, &fl, 1, 6, &f1, &x_to_a, SEC));
    assert_true(threshold_check(t, &fl, 1, 6, &f2, &a_to_x, SEC));
    assert_false(threshold_check(t, &fl, 1, 6, &f2, &a_to_x, 2 * SEC));

    /* IPv6 sources count apart from each other and from IPv4 */
    struct packet v6 = a_to_x;
    memset(&v6.src, 0, sizeof v6.src);
    v6.src.family = 6;
    v6.src.bytes[0] = 0x20;
    v6.src.bytes[15] = 1;
    assert_true(threshold_check(t, &src, 1, 7, NULL, &v6, SEC));
    assert_false(threshold_check(t, &src, 1, 7, NULL, &v6, SEC));
    v6.src.bytes[15] = 2;
    assert_true(threshold_check(t, &src, 1, 7, NULL, &v6, SEC));
    assert_int_equal(threshold_table_evictions(t), 0);
    threshold_table_free(t);
}

/* The suricata-verify case detection_filter-distinct-dstport-no-dups: SYNs to
 * ports 80, 80 (retransmission), 81 with count 3 must not alert. */
static void test_unique_on_dst_port(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(64);
    struct threshold_spec s =
        parse_ok("track by_dst, count 3, seconds 60, unique_on dst_port", true);
    uint16_t ports_sv[] = {80, 80, 81};
    for (int i = 0; i < 3; i++) {
        struct packet p = make_pkt(3, 1, 12345, ports_sv[i]);
        assert_false(threshold_check(t, &s, 1, 100011, NULL, &p, (uint64_t)i * SEC));
    }
    /* two more distinct ports: the 4th distinct exceeds count 3 and alerts;
     * after that every match alerts, repeated port or not */
    struct packet p82 = make_pkt(3, 1, 12345, 82), p83 = make_pkt(3, 1, 12345, 83);
    assert_false(threshold_check(t, &s, 1, 100011, NULL, &p82, 3 * SEC));
    assert_true(threshold_check(t, &s, 1, 100011, NULL, &p83, 4 * SEC));
    assert_true(threshold_check(t, &s, 1, 100011, NULL, &p83, 5 * SEC));
    /* window over: the set starts empty again */
    assert_false(threshold_check(t, &s, 1, 100011, NULL, &p83, 70 * SEC));
    assert_false(threshold_check(t, &s, 1, 100011, NULL, &p82, 71 * SEC));

    /* many repeats of one port never alert (unlike plain counting) */
    struct threshold_spec plain = parse_ok("track by_dst, count 3, seconds 60", true);
    struct packet same = make_pkt(4, 9, 1000, 22);
    int plain_alerts = 0;
    for (int i = 0; i < 100; i++) {
        assert_false(threshold_check(t, &s, 1, 7, NULL, &same, 1000 * SEC + (uint64_t)i));
        plain_alerts += threshold_check(t, &plain, 1, 8, NULL, &same, 1000 * SEC + (uint64_t)i);
    }
    assert_int_equal(plain_alerts, 97);
    threshold_table_free(t);
}

static void test_unique_on_src_port_large(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(16);
    /* count 2000: the distinct set is the 65536-bit bitmap */
    struct threshold_spec big =
        parse_ok("track by_dst, count 2000, seconds 60, unique_on src_port", true);
    struct threshold_spec small =
        parse_ok("track by_dst, count 20, seconds 60, unique_on src_port", true);
    int first_big = -1, first_small = -1;
    for (int i = 0; i < 5000; i++) {
        /* each port is seen twice in a row: duplicates must not count */
        struct packet p = make_pkt(1, 1, (uint16_t)(1024 + i / 2), 22);
        if (threshold_check(t, &big, 1, 1, NULL, &p, SEC + (uint64_t)i) && first_big < 0)
            first_big = i;
        if (threshold_check(t, &small, 1, 2, NULL, &p, SEC + (uint64_t)i) && first_small < 0)
            first_small = i;
    }
    assert_int_equal(first_big, 4000);      /* the 2001st distinct port */
    assert_int_equal(first_small, 40);      /* the 21st distinct port */
    threshold_table_free(t);
}

static void test_eviction_bound(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(100);
    struct threshold_spec s = parse_ok("type limit, track by_src, count 1, seconds 60", false);
    /* 300 sources inside one window: 100 fit, 200 evictions of live entries */
    for (int i = 0; i < 300; i++) {
        struct packet p = make_pkt((uint8_t)i, 1, 1, 1);
        p.src.bytes[2] = (uint8_t)(i >> 8);
        assert_true(threshold_check(t, &s, 1, 1, NULL, &p, SEC));
    }
    assert_int_equal(threshold_table_evictions(t), 200);
    /* the 100 most recent sources are still limited, the evicted ones not */
    struct packet recent = make_pkt((uint8_t)299, 1, 1, 1);
    recent.src.bytes[2] = 1;
    assert_false(threshold_check(t, &s, 1, 1, NULL, &recent, 2 * SEC));
    struct packet evicted = make_pkt(0, 1, 1, 1);
    assert_true(threshold_check(t, &s, 1, 1, NULL, &evicted, 2 * SEC));
    assert_int_equal(threshold_table_evictions(t), 201);

    /* replacing entries whose window has passed is not an eviction */
    for (int i = 0; i < 300; i++) {
        struct packet p = make_pkt((uint8_t)i, 2, 1, 1);
        p.src.bytes[1] = 7;
        p.src.bytes[2] = (uint8_t)(i >> 8);
        assert_true(threshold_check(t, &s, 1, 1, NULL, &p, 1000 * SEC + (uint64_t)i * 100 * SEC));
    }
    assert_int_equal(threshold_table_evictions(t), 201);
    threshold_table_free(t);
}

/* The distinct-port sets share a memory cap (1 MiB for a small table):
 * past it, matches count plainly and a counter says how often. */
static void test_port_memory_cap(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(300);
    struct threshold_spec big =
        parse_ok("track by_dst, count 5000, seconds 60, unique_on dst_port", true);
    for (int i = 0; i < 300; i++) {
        struct packet p = make_pkt(1, (uint8_t)i, 1000, 80);
        p.dst.bytes[2] = (uint8_t)(i >> 8);
        assert_false(threshold_check(t, &big, 1, 1, NULL, &p, SEC));
    }
    assert_int_equal(threshold_table_entries(t), 300);
    assert_int_equal(threshold_table_evictions(t), 0);
    /* 8 KiB bitmaps: about 127 fit in 1 MiB */
    uint64_t failures = threshold_table_port_alloc_failures(t);
    assert_true(failures >= 150 && failures <= 180);
    /* a capped entry counts every match: the 5001st alerts, same port or not */
    struct packet last = make_pkt(1, (uint8_t)299, 1000, 80);     /* the last one, i = 299 */
    last.dst.bytes[2] = 1;
    int first = -1;
    for (int k = 2; k <= 5001 && first < 0; k++)
        if (threshold_check(t, &big, 1, 1, NULL, &last, SEC + (uint64_t)k))
            first = k;
    assert_int_equal(first, 5001);
    threshold_table_free(t);
}

struct hammer {
    struct threshold_table *t;
    const struct threshold_spec *spec;
    int alerts;
};

static void *hammer_thread(void *arg)
{
    struct hammer *h = arg;
    for (int i = 0; i < 50000; i++) {
        struct packet p = make_pkt((uint8_t)(i % 200), 1, (uint16_t)i, 80);
        h->alerts += threshold_check(h->t, h->spec, 1, 9, NULL, &p, SEC + (uint64_t)i);
    }
    return NULL;
}

/* One table shared by two workers: by_rule limit 1000 gives exactly 1000
 * alerts in total however the matches interleave. */
static void test_shared_between_threads(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(64);
    struct threshold_spec s = parse_ok("type limit, track by_rule, count 1000, seconds 60", false);
    struct hammer a = {t, &s, 0}, b = {t, &s, 0};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, hammer_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, hammer_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.alerts + b.alerts, 1000);
    threshold_table_free(t);
}

static void test_expire(void **state)
{
    (void)state;
    struct threshold_table *t = threshold_table_new(8);
    struct threshold_spec s = parse_ok("type limit, track by_src, count 1, seconds 10", false);
    struct threshold_spec df =
        parse_ok("track by_src, count 1, seconds 100, unique_on dst_port", true);
    for (int i = 0; i < 8; i++) {
        struct packet p = make_pkt((uint8_t)i, 1, 1, (uint16_t)i);
        threshold_check(t, i < 4 ? &s : &df, 1, 1, NULL, &p, SEC);
    }
    /* at 20 s the four 10-second entries are gone, the four 100-second ones stay */
    threshold_table_expire(t, 20 * SEC);
    for (int i = 0; i < 4; i++) {
        struct packet p = make_pkt((uint8_t)(100 + i), 1, 1, 1);
        threshold_check(t, &s, 1, 1, NULL, &p, 20 * SEC);
    }
    assert_int_equal(threshold_table_evictions(t), 0);
    struct packet p4 = make_pkt(4, 1, 1, 99);
    assert_true(threshold_check(t, &df, 1, 1, NULL, &p4, 21 * SEC)); /* 2nd distinct > 1 */
    threshold_table_expire(t, 1000 * SEC);
    threshold_table_expire(t, 1000 * SEC);
    threshold_table_free(t);
    threshold_table_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_values),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_type_threshold),
        cmocka_unit_test(test_type_limit),
        cmocka_unit_test(test_type_both),
        cmocka_unit_test(test_detection_filter),
        cmocka_unit_test(test_tracks),
        cmocka_unit_test(test_unique_on_dst_port),
        cmocka_unit_test(test_unique_on_src_port_large),
        cmocka_unit_test(test_eviction_bound),
        cmocka_unit_test(test_port_memory_cap),
        cmocka_unit_test(test_shared_between_threads),
        cmocka_unit_test(test_expire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
