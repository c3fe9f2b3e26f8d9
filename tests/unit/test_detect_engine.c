/* Detection engine tests on crafted packets and flows: content modifiers and
 * backtracking, pcre, flowbits, thresholds, alert semantics (one alert per
 * rule per packet, once per flow for app-layer keywords, IP-only rules,
 * pass), raw stream inspection over a stream view, the prefilter with
 * thousands of rules, and the Aho-Corasick matcher
 * against a naive search on random inputs. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/ac.h"
#include "detect/detect.h"
#include "enrich/geoip.h"
#include "stream/stream.h"

#define MAX_ALERTS 64

struct alerts {
    size_t n;
    uint32_t sid[MAX_ALERTS];
};

static void record(void *ctx, const struct flow *flow, const struct packet *pkt,
                   const struct rule_info *rule, const struct anomaly_info *anomaly)
{
    (void)flow;
    (void)pkt;
    (void)anomaly;
    struct alerts *a = ctx;
    if (a->n < MAX_ALERTS)
        a->sid[a->n++] = rule->sid;
}

struct world {
    struct detect_engine *de;
    struct detect_thread *dt;
    struct alerts alerts;
    struct alert_sink sink;
    struct flow flow;
    struct packet pkt;
    char path[64];
};

static void world_load_geo(struct world *w, const char *rules, const struct geoip *geo);

static void world_load(struct world *w, const char *rules)
{
    world_load_geo(w, rules, NULL);
}

static void world_load_geo(struct world *w, const char *rules, const struct geoip *geo)
{
    memset(w, 0, sizeof *w);
    strcpy(w->path, "/tmp/xiezhi-engine-XXXXXX");
    int fd = mkstemp(w->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, rules, strlen(rules)), (ssize_t)strlen(rules));
    close(fd);
    const char *files[] = { w->path };
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .rule_files = files, .nrule_files = 1,
                                        .classification_file = "rules/classification.config",
                                        .geoip = geo };
    w->de = detect_engine_load(&cfg, &diag);
    assert_non_null(w->de);
    if (diag.errors)
        fail_msg("rule errors: %s", diag.last);
    w->dt = detect_thread_new(w->de);
    assert_non_null(w->dt);
    w->sink.ctx = &w->alerts;
    w->sink.emit = record;
    /* a TCP flow 10.0.0.1:40000 -> 192.0.2.80:80, established */
    w->flow.client.family = w->flow.server.family = 4;
    memcpy(w->flow.client.bytes, "\x0a\x00\x00\x01", 4);
    memcpy(w->flow.server.bytes, "\xc0\x00\x02\x50", 4);
    w->flow.client_port = 40000;
    w->flow.server_port = 80;
    w->flow.proto = 6;
    w->flow.tcp_state = FLOW_TCP_ESTABLISHED;
    w->flow.pkts[0] = 3;
    w->flow.pkts[1] = 2;
    w->pkt.ip_version = 4;
    w->pkt.proto = 6;
    w->pkt.ttl = 64;
    w->pkt.tcp_flags = TCP_ACK | TCP_PSH;
    w->pkt.ts_usec = 1700000000000000ull;
}

static void world_free(struct world *w)
{
    if (w->flow.detect)
        detect_flow_end(w->dt, &w->flow, &w->sink);
    detect_thread_free(w->dt);
    detect_engine_free(w->de);
    unlink(w->path);
}

/* Sends payload in direction dir; returns the number of alerts it raised. */
static size_t send_dir(struct world *w, enum flow_direction dir, const char *payload, size_t len)
{
    struct packet *p = &w->pkt;
    p->src = dir == FLOW_TOSERVER ? w->flow.client : w->flow.server;
    p->dst = dir == FLOW_TOSERVER ? w->flow.server : w->flow.client;
    p->src_port = dir == FLOW_TOSERVER ? w->flow.client_port : w->flow.server_port;
    p->dst_port = dir == FLOW_TOSERVER ? w->flow.server_port : w->flow.client_port;
    p->payload = (const uint8_t *)payload;
    p->payload_len = (uint32_t)len;
    p->ts_usec += 1000;
    size_t before = w->alerts.n;
    detect_packet(w->dt, &w->flow, p, dir, &w->sink);
    return w->alerts.n - before;
}

/* Sends payload with a stream view: the window is ctx (bytes seen before,
 * from stream offset base) followed by the new bytes; kind says how the
 * stream took the packet's own payload. */
static size_t send_stream(struct world *w, const char *payload, const char *ctx,
                          const char *new_bytes, uint64_t base, enum stream_packet_kind kind)
{
    static char window[4096];
    size_t c = strlen(ctx), n = strlen(new_bytes);
    assert_true(c + n < sizeof window);
    memcpy(window, ctx, c);
    memcpy(window + c, new_bytes, n);
    struct stream_view v = { .kind = kind, .data = (const uint8_t *)window,
                             .len = (uint32_t)(c + n), .new_from = (uint32_t)c, .offset = base };
    struct packet *p = &w->pkt;
    p->src = w->flow.client, p->dst = w->flow.server;
    p->src_port = w->flow.client_port, p->dst_port = w->flow.server_port;
    p->payload = (const uint8_t *)payload;
    p->payload_len = (uint32_t)strlen(payload);
    p->ts_usec += 1000;
    size_t before = w->alerts.n;
    detect_packet_stream(w->dt, &w->flow, p, FLOW_TOSERVER, &v, &w->sink);
    return w->alerts.n - before;
}

static size_t send(struct world *w, const char *payload)
{
    return send_dir(w, FLOW_TOSERVER, payload, strlen(payload));
}

/* Raw stream inspection: a match counts in the window only when it ends in
 * new bytes; relative contents chain across the old/new boundary; offset
 * and depth count from the stream's start; tcp-pkt never looks at the
 * stream, tcp-stream never at the packet; a packet the stream did not take
 * whole (held, retransmitted) is left to the stream for tcp rules. */
static void test_stream_inspection(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"/etc/passwd\"; sid:1;)\n"
        "alert tcp-pkt any any -> any any (content:\"/etc/passwd\"; sid:2;)\n"
        "alert tcp-stream any any -> any any (content:\"/etc/passwd\"; sid:3;)\n"
        "alert tcp any any -> any any (content:\"USER \"; content:\"root\"; distance:0; within:6; sid:4;)\n"
        "alert tcp any any -> any any (content:\"GET \"; depth:4; sid:5;)\n");
    /* split: "/etc/pa" seen before, "sswd" new: tcp and tcp-stream, once each */
    assert_int_equal(send_stream(&w, "sswd", "GET /etc/pa", "sswd", 0, STREAM_PKT_NEW), 2);
    assert_int_equal(w.alerts.sid[0], 1);
    assert_int_equal(w.alerts.sid[1], 3);
    /* the same bytes again as context, nothing new containing it: no alert */
    w.alerts.n = 0;
    assert_int_equal(send_stream(&w, " HTTP", "GET /etc/passwd", " HTTP", 0, STREAM_PKT_NEW), 0);
    /* whole in the packet and in the stream: one alert per rule */
    assert_int_equal(send_stream(&w, "x /etc/passwd", "abc", "x /etc/passwd", 100,
                                 STREAM_PKT_NEW), 3);
    /* a retransmission carrying it: only the packet rule */
    w.alerts.n = 0;
    assert_int_equal(send_stream(&w, "/etc/passwd", "/etc/passwd", "", 100, STREAM_PKT_OLD), 1);
    assert_int_equal(w.alerts.sid[0], 2);
    /* relative contents across the boundary */
    w.alerts.n = 0;
    assert_int_equal(send_stream(&w, "root\r\n", "xxUSER ", "root\r\n", 0, STREAM_PKT_NEW), 1);
    assert_int_equal(w.alerts.sid[0], 4);
    /* depth counts from the stream's start: "GET " at offset 0 matches when
     * the window begins there, not when a window deep inside the stream
     * happens to begin with it */
    w.alerts.n = 0;
    assert_int_equal(send_stream(&w, "T ", "GE", "T ", 0, STREAM_PKT_NEW), 1);
    assert_int_equal(w.alerts.sid[0], 5);
    w.alerts.n = 0;
    assert_int_equal(send_stream(&w, "T ", "GE", "T ", 5000, STREAM_PKT_NEW), 0);
    /* an anchored rule still looks at a packet held out of order: deep in
     * the stream its depth could never hold there */
    assert_int_equal(send_stream(&w, "GET /x", "", "", 5000, STREAM_PKT_PARTIAL), 1);
    assert_int_equal(w.alerts.sid[0], 5);
    world_free(&w);
}

static void test_content_modifiers(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"AllWorkAndNoPlayMakesWill\"; content:\"DullBoy\"; distance:1; within:7; sid:1;)\n"
        "alert tcp any any -> any any (content:\"evil\"; nocase; offset:2; depth:8; sid:2;)\n"
        "alert tcp any any -> any any (content:\"GET\"; startswith; content:\"HTTP/1.0\"; endswith; sid:3;)\n"
        "alert tcp any any -> any any (content:\"ab\"; content:\"cd\"; distance:0; within:2; sid:4;)\n"
        "alert tcp any any -> any any (content:\"user\"; content:!\"admin\"; distance:0; within:10; sid:5;)\n"
        "alert tcp any any -> any any (content:\"|de ad be ef|\"; sid:6;)\n");
    assert_int_equal(send(&w, "xxAllWorkAndNoPlayMakesWill DullBoyxx"), 1);
    assert_int_equal(w.alerts.sid[0], 1);
    assert_int_equal(send(&w, "AllWorkAndNoPlayMakesWill  DullBoy"), 0);   /* outside within */
    assert_int_equal(send(&w, "AllWorkAndNoPlayMakesWillDullBoy"), 0);    /* distance 1 */
    assert_int_equal(send(&w, "..EVIL"), 1);
    assert_int_equal(send(&w, ".EVIL"), 0);          /* before offset 2 */
    assert_int_equal(send(&w, "..1234EviL"), 1);     /* ends at 2+8 */
    assert_int_equal(send(&w, "..12345EviL"), 0);    /* past depth */
    assert_int_equal(send(&w, "GET / HTTP/1.0"), 1);
    assert_int_equal(send(&w, " GET / HTTP/1.0"), 0);
    assert_int_equal(send(&w, "GET / HTTP/1.0 "), 0);
    /* backtracking: the first "ab" is not followed by "cd", the second is */
    assert_int_equal(send(&w, "abxxabcd"), 1);
    assert_int_equal(w.alerts.sid[w.alerts.n - 1], 4);
    assert_int_equal(send(&w, "user=bob"), 1);
    assert_int_equal(send(&w, "user=admin"), 0);
    assert_int_equal(send(&w, "user=0123456789admin"), 1);
    assert_int_equal(send_dir(&w, FLOW_TOSERVER, "\x00\xde\xad\xbe\xef", 5), 1);
    world_free(&w);
}

static void test_pcre(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"id=\"; pcre:\"/^\\d{3}\\b/R\"; sid:1;)\n"
        "alert tcp any any -> any any (pcre:\"/select.+from/is\"; sid:2;)\n"
        "alert tcp any any -> any any (content:\"token\"; pcre:!\"/token=[a-f0-9]{8}/\"; sid:3;)\n");
    assert_int_equal(send(&w, "x id=123 y"), 1);
    assert_int_equal(send(&w, "x id=12 y"), 0);
    assert_int_equal(send(&w, "x id=ab id=456"), 1);     /* second id= via backtracking */
    assert_int_equal(send(&w, "SELECT *\nFROM t"), 1);
    assert_int_equal(send(&w, "token=deadbeef"), 0);
    assert_int_equal(send(&w, "token=zz"), 1);
    world_free(&w);
}

/* A pcre that hits its match limit (catastrophic backtracking on crafted
 * input) cannot tell: counted, no match, and a negated one does not pass. */
static void test_pcre_limit_cannot_tell(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"q=\"; pcre:!\"/^q=(\\w+\\s?)*$/\"; sid:1;)\n"
        "alert tcp any any -> any any (content:\"r=\"; pcre:\"/^r=(\\w+\\s?)*$/\"; sid:2;)\n");
    char evil[80];
    memset(evil, 'a', sizeof evil);
    memcpy(evil, "q=", 2);
    evil[sizeof evil - 2] = '!';
    evil[sizeof evil - 1] = '\0';
    assert_int_equal(send(&w, evil), 0);            /* before: the negation passed */
    struct detect_thread_stats st;
    detect_thread_stats(w.dt, &st);
    assert_int_equal(st.pcre_match_limit, 1);
    evil[0] = 'r';
    assert_int_equal(send(&w, evil), 0);
    detect_thread_stats(w.dt, &st);
    assert_int_equal(st.pcre_match_limit, 2);
    assert_int_equal(st.pcre_errors, 0);
    /* A definite answer still works both ways. */
    assert_int_equal(send(&w, "q=a b c!"), 1);      /* no match: the negation passes */
    assert_int_equal(send(&w, "r=a b c"), 1);
    detect_thread_stats(w.dt, &st);
    assert_int_equal(st.pcre_match_limit, 2);
    world_free(&w);
}

static void test_flowbits(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"secret\"; flowbits:isset,logged_in; sid:2;)\n"
        "alert tcp any any -> any any (content:\"LOGIN ok\"; flowbits:set,logged_in; flowbits:noalert; sid:1;)\n"
        "alert tcp any any -> any any (content:\"LOGOUT\"; flowbits:unset,logged_in; flowbits:noalert; sid:3;)\n"
        "alert tcp any any -> any any (content:\"ping\"; flowbits:isnotset,logged_in; sid:4;)\n");
    assert_int_equal(send(&w, "secret"), 0);
    assert_int_equal(send(&w, "ping"), 1);
    assert_int_equal(send(&w, "LOGIN ok"), 0);           /* noalert */
    assert_int_equal(send(&w, "secret"), 1);
    assert_int_equal(w.alerts.sid[w.alerts.n - 1], 2);
    assert_int_equal(send(&w, "ping"), 0);
    assert_int_equal(send(&w, "LOGOUT"), 0);
    assert_int_equal(send(&w, "secret"), 0);
    /* setter and checker in one packet: the setter runs first */
    assert_int_equal(send(&w, "LOGIN ok, secret"), 1);
    world_free(&w);
}

static void test_thresholds(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"A\"; threshold:type limit, track by_src, count 1, seconds 60; sid:1;)\n"
        "alert tcp any any -> any any (content:\"B\"; detection_filter:track by_src, count 2, seconds 60; sid:2;)\n"
        "alert tcp any any -> any any (content:\"C\"; threshold:type threshold, track by_dst, count 3, seconds 60; sid:3;)\n");
    size_t a = 0, b = 0, c = 0;
    for (int i = 0; i < 6; i++) {
        a += send(&w, "A");
        b += send(&w, "B");
        c += send(&w, "C");
    }
    assert_int_equal(a, 1);      /* limit 1 */
    assert_int_equal(b, 4);      /* after the 2nd match */
    assert_int_equal(c, 2);      /* every 3rd */
    world_free(&w);
}

/* Two workers share the engine's threshold table: a source's matches count
 * together whichever worker sees them (with host-pair fanout, flows of one
 * source to different hosts land on different workers). */
static void test_thresholds_across_workers(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"A\"; threshold:type threshold, track by_src, count 2, seconds 60; sid:1;)\n");
    struct detect_thread *first = w.dt, *second = detect_thread_new(w.de);
    assert_non_null(second);
    assert_int_equal(send(&w, "A"), 0);     /* worker 1: first match */
    w.dt = second;
    assert_int_equal(send(&w, "A"), 1);     /* worker 2: the second of the source */
    assert_int_equal(send(&w, "A"), 0);
    w.dt = first;
    assert_int_equal(send(&w, "A"), 1);     /* and the fourth, back on worker 1 */
    detect_thread_free(second);
    world_free(&w);
}

/* A SIGHUP reload as sensor.c does it: the new engine from new rule text,
 * the state of unchanged rules carried over, the worker switched.  The old
 * engine is returned for the caller to free once done. */
static struct detect_engine *reload(struct world *w, const char *rules)
{
    FILE *f = fopen(w->path, "w");
    assert_non_null(f);
    fputs(rules, f);
    fclose(f);
    const char *files[] = { w->path };
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .rule_files = files, .nrule_files = 1,
                                        .classification_file = "rules/classification.config" };
    struct detect_engine *de = detect_engine_load(&cfg, &diag);
    assert_non_null(de);
    assert_int_equal(diag.errors, 0);
    detect_engine_carry_state(de, w->de);
    struct detect_thread *dt = detect_thread_new(de);
    assert_non_null(dt);
    detect_thread_carry_state(dt, w->dt);
    detect_thread_free(w->dt);
    struct detect_engine *old = w->de;
    w->de = de;
    w->dt = dt;
    return old;
}

/* Issue 14: a reload keeps the threshold counts of rules whose sid, rev and
 * text did not change; a changed rule starts from zero. */
static void test_reload_carries_thresholds(void **state)
{
    (void)state;
    static const char *const before =
        "alert tcp any any -> any any (content:\"A\"; threshold:type threshold, track by_src, count 3, seconds 60; sid:1; rev:1;)\n"
        "alert tcp any any -> any any (content:\"B\"; threshold:type threshold, track by_src, count 3, seconds 60; sid:2; rev:1;)\n";
    static const char *const after =            /* sid 1 re-indented only; sid 2 changed */
        "alert tcp any any -> any any (content:\"A\";  threshold:type threshold, track by_src, count 3, seconds 60; sid:1; rev:1;)\n"
        "alert tcp any any -> any any (content:\"B\"; threshold:type threshold, track by_src, count 3, seconds 60; sid:2; rev:2;)\n"
        "alert tcp any any -> any any (content:\"Z\"; sid:3;)\n";
    struct world w;
    world_load(&w, before);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(send(&w, "A"), 0);
        assert_int_equal(send(&w, "B"), 0);
    }
    struct detect_engine *old = reload(&w, after);
    assert_int_equal(send(&w, "A"), 1);     /* the third match of sid 1: counted across the reload */
    assert_int_equal(send(&w, "B"), 0);     /* sid 2 changed: its first match */
    assert_int_equal(send(&w, "B"), 0);
    assert_int_equal(send(&w, "B"), 1);
    detect_engine_free(old);                /* the table moved: the new engine still counts */
    for (int i = 0; i < 2; i++)
        assert_int_equal(send(&w, "A"), 0);
    assert_int_equal(send(&w, "A"), 1);
    world_free(&w);
}

/* And the anomaly trackers: a brute force paced across a reload is still
 * caught, unless the rule changed. */
static void end_short_session(struct world *w, uint16_t cport, uint64_t start)
{
    w->flow.client_port = cport;
    w->flow.server_port = 22;
    w->flow.start_usec = start;
    w->flow.last_usec = start + 1000000;
    w->flow.tcp_flags_seen[0] = w->flow.tcp_flags_seen[1] = TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN;
    w->flow.pkts[0] = w->flow.pkts[1] = 12;
    w->flow.bytes[0] = w->flow.bytes[1] = 1500;
    detect_flow_end(w->dt, &w->flow, &w->sink);
}

static void test_reload_carries_trackers(void **state)
{
    (void)state;
    static const char *const rule =
        "alert tcp any any -> any 22 (msg:\"ssh brute\"; anomaly:brute_force, count 6, window 5m; sid:9; rev:1;)\n";
    static const char *const changed =
        "alert tcp any any -> any 22 (msg:\"ssh brute\"; anomaly:brute_force, count 6, window 5m; sid:9; rev:2;)\n";
    for (int variant = 0; variant < 2; variant++) {
        struct world w;
        world_load(&w, rule);
        uint64_t t = 1700000000000000ull;
        for (uint16_t i = 0; i < 3; i++)
            end_short_session(&w, (uint16_t)(41000 + i), t + i * 10000000ull);
        assert_int_equal(w.alerts.n, 0);
        struct detect_engine *old = reload(&w, variant == 0 ? rule : changed);
        detect_engine_free(old);
        for (uint16_t i = 3; i < 6; i++)
            end_short_session(&w, (uint16_t)(41000 + i), t + i * 10000000ull);
        /* unchanged: 6 sessions, one alert; changed (rev 2): 3 so far */
        assert_int_equal(w.alerts.n, variant == 0 ? 1 : 0);
        world_free(&w);
    }
}

/* Datasets: what `set` added before a reload is still there after it (the
 * file is loaded afresh, run-time changes replayed on it). */
static void test_reload_carries_datasets(void **state)
{
    (void)state;
    static const char *const rules =
        "alert ip any any -> any any (msg:\"new source\"; ip.src; dataset:set,seen,type ipv4; sid:1; rev:1;)\n";
    struct world w;
    world_load(&w, rules);
    w.flow.pkts[0] = 1;
    assert_int_equal(send(&w, "p"), 1);     /* 10.0.0.1 is new: added */
    w.flow.pkts[0] = 1;
    assert_int_equal(send(&w, "p"), 0);     /* then known */
    struct detect_engine *old = reload(&w, rules);
    detect_engine_free(old);
    w.flow.pkts[0] = 1;
    assert_int_equal(send(&w, "p"), 0);     /* still known after the reload */
    world_free(&w);
}

static void test_alert_semantics(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"x\"; sid:10;)\n"
        "alert tcp any any -> any any (content:\"x\"; content:\"y\"; sid:11;)\n"
        "alert tcp any any -> any 81 (content:\"x\"; sid:12;)\n"
        "alert tcp any any -> any any (content:\"x\"; flow:to_client; sid:13;)\n"
        "alert tcp any any -> any any (content:\"x\"; noalert; sid:14;)\n"
        "alert tcp any any -> any any (dsize:>100; sid:15;)\n"
        "alert tcp any 80 <> any any (content:\"bidir\"; sid:16;)\n");
    assert_int_equal(send(&w, "x x x x y"), 2);     /* one alert per rule per packet */
    assert_int_equal(w.alerts.sid[0], 10);
    assert_int_equal(w.alerts.sid[1], 11);
    assert_int_equal(send_dir(&w, FLOW_TOCLIENT, "x", 1), 2);     /* 10 and 13 */
    assert_int_equal(w.alerts.sid[w.alerts.n - 1], 13);
    char big[150];
    memset(big, 'q', sizeof big);
    assert_int_equal(send_dir(&w, FLOW_TOSERVER, big, sizeof big), 1);
    assert_int_equal(send_dir(&w, FLOW_TOCLIENT, "bidir", 5), 1);
    assert_int_equal(send(&w, "bidir"), 1);
    world_free(&w);
}

static void test_ip_only_and_flow_state(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert ip 10.0.0.1 any -> any any (sid:1;)\n"
        "alert tcp any any -> any any (flow:not_established; content:\"hi\"; sid:2;)\n"
        "alert tcp any any -> any any (flow:established,to_server; content:\"hi\"; sid:3;)\n");
    w.flow.pkts[0] = 1;
    assert_int_equal(send(&w, ""), 1);       /* first packet to server */
    w.flow.pkts[0] = 2;
    assert_int_equal(send(&w, ""), 0);       /* evaluated once per direction */
    w.flow.pkts[1] = 1;
    assert_int_equal(send_dir(&w, FLOW_TOCLIENT, "", 0), 0);   /* src is not 10.0.0.1 */
    assert_int_equal(send(&w, "hi"), 1);
    assert_int_equal(w.alerts.sid[w.alerts.n - 1], 3);
    w.flow.tcp_state = FLOW_TCP_NONE;
    assert_int_equal(send(&w, "hi"), 1);
    assert_int_equal(w.alerts.sid[w.alerts.n - 1], 2);
    world_free(&w);
}

static void test_pass(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert tcp any any -> any any (content:\"x\"; sid:1;)\n"
        "pass tcp any any -> any any (content:\"trusted\"; sid:2;)\n");
    assert_int_equal(send(&w, "x"), 1);
    assert_int_equal(send(&w, "x trusted"), 0);  /* pass wins for the packet */
    assert_int_equal(send(&w, "x"), 0);          /* and for the rest of the flow */
    world_free(&w);
}

static void test_app_layer_once_per_flow(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        "alert ip any any -> any any (ndpi-risk:NDPI_CLEAR_TEXT_CREDENTIALS; sid:1;)\n"
        "alert tcp any any -> any any (app-layer-protocol:!tls; sid:2;)\n"
        "alert tcp any any -> any any (ndpi-risk:!NDPI_TLS_WEAK_CIPHER; content:\"z\"; sid:3;)\n");
    assert_int_equal(send(&w, "a"), 0);          /* nothing known yet */
    w.flow.app.risk = 1ull << 2;                  /* not the bit we want */
    assert_int_equal(send(&w, "a"), 0);
    w.flow.app.master_protocol = 7;               /* HTTP in nDPI */
    w.flow.app.state = CLASSIFY_DONE;
    w.flow.app.risk = 0;
    struct alerts *al = &w.alerts;
    assert_int_equal(send(&w, "a"), 1);           /* !tls on an HTTP flow */
    assert_int_equal(al->sid[al->n - 1], 2);
    assert_int_equal(send(&w, "a"), 0);           /* once per flow */
    assert_int_equal(send(&w, "z"), 1);
    assert_int_equal(send(&w, "z"), 0);
    world_free(&w);
}

static void test_header_protocol_http(void **state)
{
    (void)state;
    struct world w;
    world_load(&w, "alert http any any -> any any (flow:to_server; sid:1;)\n");
    assert_int_equal(send(&w, "a"), 0);           /* not classified yet */
    w.flow.app.master_protocol = 7;
    assert_int_equal(send(&w, "a"), 1);           /* every packet: no app keyword */
    assert_int_equal(send(&w, "b"), 1);
    world_free(&w);
}

static void test_dataset_ip(void **state)
{
    (void)state;
    char lst[] = "/tmp/xiezhi-ds-XXXXXX";
    int fd = mkstemp(lst);
    assert_true(fd >= 0);
    const char *content = "# iocs\n192.0.2.80\n";
    assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
    close(fd);
    char rules[512];
    snprintf(rules, sizeof rules,
             "alert ip any any -> any any (ip.dst; dataset:isset,ioc,type ipv4,load %s; sid:1;)\n"
             "alert ip any any -> any any (content:\"q\"; ip.src; dataset:isnotset,ioc,type ipv4; sid:2;)\n",
             lst);
    struct world w;
    world_load(&w, rules);
    /* rule 1 sees only addresses: once per flow direction, like IP-only */
    w.flow.pkts[0] = 1;
    assert_int_equal(send(&w, "p"), 1);                       /* to 192.0.2.80 */
    assert_int_equal(w.alerts.sid[w.alerts.n - 1], 1);
    w.flow.pkts[1] = 1;
    assert_int_equal(send_dir(&w, FLOW_TOCLIENT, "p", 1), 0);  /* from it */
    w.flow.pkts[0] = 2;
    assert_int_equal(send(&w, "p"), 0);                       /* not evaluated again */
    assert_int_equal(send(&w, "q"), 1);                       /* rule 2: payload, every packet */
    assert_int_equal(w.alerts.sid[w.alerts.n - 1], 2);
    world_free(&w);
    unlink(lst);
}

/* geoip on databases built by tests/tools/make-test-mmdb.pl:
 * 192.0.2.0/24 is CN, 81.2.69.0/24 GB, private ranges unknown. */
static void test_geoip(void **state)
{
    (void)state;
    char dir[] = "/tmp/xiezhi-geo-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char cmd[300];
    snprintf(cmd, sizeof cmd, "perl tests/tools/make-test-mmdb.pl '%s' >/dev/null 2>&1", dir);
    if (system(cmd) != 0)
        fail_msg("cannot build test databases (libmaxmind-db-writer-perl missing? make deps)");
    char db[300];
    snprintf(db, sizeof db, "%s/iplocdb-country.mmdb", dir);
    struct diag diag = { .quiet = 1 };
    struct geoip *geo = geoip_open(db, NULL, &diag);
    assert_non_null(geo);
    struct world w;
    world_load_geo(&w,
        "alert ip any any -> any any (geoip:dst,CN; sid:1;)\n"
        "alert ip any any -> any any (content:\"x\"; geoip:src,!CN,!HK; sid:2;)\n"
        "alert ip any any -> any any (content:\"both\"; geoip:both,GB,CN; sid:3;)\n"
        "alert ip any any -> any any (content:\"any\"; geoip:GB; sid:4;)\n", geo);
    assert_int_equal(send(&w, "a"), 1);                       /* to 192.0.2.80: CN */
    assert_int_equal(w.alerts.sid[0], 1);
    assert_int_equal(send_dir(&w, FLOW_TOCLIENT, "x", 1), 0); /* from CN; to unknown */
    assert_int_equal(send(&w, "x"), 1);                       /* src 10.0.0.1 unknown: only sid 1 */
    memcpy(w.flow.client.bytes, "\x51\x02\x45\x05", 4);     /* 81.2.69.5: GB */
    assert_int_equal(send(&w, "x"), 2);                       /* sid 1 and 2 */
    assert_int_equal(send(&w, "both any"), 3);                /* 1, 3, 4 */
    /* the flow's own enrichment wins over a lookup */
    memcpy(w.flow.geo.country[1], "JP", 2);
    assert_int_equal(send(&w, "a"), 0);
    world_free(&w);
    geoip_close(geo);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* 5,000 content rules: the prefilter picks exactly the rule whose pattern
 * occurs; a rule with only a negated content is still evaluated. */
static void test_prefilter_many_rules(void **state)
{
    (void)state;
    size_t cap = 5000 * 120;
    char *rules = malloc(cap);
    size_t n = 0;
    for (int i = 1; i <= 5000; i++)
        n += (size_t)snprintf(rules + n, cap - n,
                              "alert tcp any any -> any any (content:\"pattern-%05d-x\"; sid:%d;)\n", i, i);
    n += (size_t)snprintf(rules + n, cap - n,
                          "alert tcp any any -> any any (content:!\"nothing-here\"; sid:9999;)\n");
    struct world w;
    world_load(&w, rules);
    free(rules);
    assert_int_equal(send(&w, "........pattern-01234-x......"), 2);
    assert_int_equal(w.alerts.sid[0], 1234);
    assert_int_equal(w.alerts.sid[1], 9999);
    assert_int_equal(send(&w, "pattern-0123-x nothing-here"), 0);
    world_free(&w);
}

/* --- Aho-Corasick against a naive search ------------------------------------------------ */

struct hits {
    size_t *count;
};

static void count_hit(void *ctx, uint32_t id)
{
    struct hits *h = ctx;
    h->count[id]++;
}

static size_t naive_count(const uint8_t *text, size_t tlen, const uint8_t *pat, size_t plen,
                          bool nocase)
{
    size_t n = 0;
    for (size_t i = 0; i + plen <= tlen; i++) {
        size_t j = 0;
        while (j < plen && (nocase ? ((text[i + j] | 0x20) == (pat[j] | 0x20) &&
                                      ((text[i + j] >= 'A' && text[i + j] <= 'Z') ||
                                       (text[i + j] >= 'a' && text[i + j] <= 'z'))) ||
                                         text[i + j] == pat[j]
                                   : text[i + j] == pat[j]))
            j++;
        n += j == plen;
    }
    return n;
}

/* Random patterns against random text, every occurrence counted and
 * compared with a naive search.  max_len above six makes the window
 * filter look at every second, third, ... window only. */
static void ac_random_rounds(unsigned seed, size_t max_len, const char *alphabet, size_t nalpha)
{
    srand(seed);
    for (int round = 0; round < 200; round++) {
        size_t np = 1 + (size_t)rand() % 40;
        uint8_t pats[40][24];
        size_t plen[40];
        bool nocase[40];
        struct ac *ac = ac_new();
        size_t min_len = (size_t)rand() % max_len;
        for (size_t i = 0; i < np; i++) {
            plen[i] = 1 + min_len + (size_t)rand() % (max_len - min_len);
            nocase[i] = rand() % 2;
            for (size_t j = 0; j < plen[i]; j++)
                pats[i][j] = (uint8_t)alphabet[(size_t)rand() % nalpha];
            assert_int_equal(ac_add(ac, pats[i], (uint32_t)plen[i], nocase[i], (uint32_t)i), 0);
        }
        assert_int_equal(ac_build(ac), 0);
        uint8_t text[300];
        size_t tlen = (size_t)rand() % sizeof text;
        for (size_t i = 0; i < tlen; i++)
            text[i] = (uint8_t)alphabet[(size_t)rand() % nalpha];
        /* plant some patterns, in random case, so long ones occur at all */
        for (size_t k = 0; k < 4 && tlen > 0; k++) {
            size_t i = (size_t)rand() % np, at = (size_t)rand() % tlen;
            for (size_t j = 0; j < plen[i] && at + j < tlen; j++)
                text[at + j] = (uint8_t)(rand() % 2 && isalpha(pats[i][j]) ? pats[i][j] ^ 0x20
                                                                          : pats[i][j]);
        }
        size_t count[40] = { 0 };
        struct hits h = { count };
        ac_scan(ac, text, tlen, count_hit, &h);
        for (size_t i = 0; i < np; i++) {
            size_t expect = naive_count(text, tlen, pats[i], plen[i], nocase[i]);
            if (count[i] != expect)
                fail_msg("seed %u round %d pattern %zu (len %zu): ac %zu naive %zu", seed, round,
                         i, plen[i], count[i], expect);
        }
        ac_free(ac);
    }
}

static void test_ac_random(void **state)
{
    (void)state;
    static const char small[] = "abcAB\x00\xff";
    ac_random_rounds(12345, 6, small, sizeof small - 1);
    static const char wide[] = "abAB@`_\x7f.- \x00\xff";
    ac_random_rounds(777, 20, wide, sizeof wide - 1);
    static const char two[] = "aA";
    ac_random_rounds(4242, 12, two, sizeof two - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_inspection),
        cmocka_unit_test(test_content_modifiers),
        cmocka_unit_test(test_pcre),
        cmocka_unit_test(test_pcre_limit_cannot_tell),
        cmocka_unit_test(test_reload_carries_thresholds),
        cmocka_unit_test(test_reload_carries_trackers),
        cmocka_unit_test(test_reload_carries_datasets),
        cmocka_unit_test(test_flowbits),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_thresholds_across_workers),
        cmocka_unit_test(test_alert_semantics),
        cmocka_unit_test(test_ip_only_and_flow_state),
        cmocka_unit_test(test_pass),
        cmocka_unit_test(test_app_layer_once_per_flow),
        cmocka_unit_test(test_header_protocol_http),
        cmocka_unit_test(test_dataset_ip),
        cmocka_unit_test(test_geoip),
        cmocka_unit_test(test_prefilter_many_rules),
        cmocka_unit_test(test_ac_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
