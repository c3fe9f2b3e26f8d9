/* Unit tests of the anomaly detectors: the keyword grammar, each detector
 * fed crafted flows and packets through the public interface, suppression,
 * the memory bounds and expiry.  A capturing alert_sink records alerts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "anomaly/anomaly.h"
#include "anomaly/anomaly_int.h"
#include "anomaly/dns_label.h"

#define SEC 1000000ull
#define T0 (1700000000ull * SEC)

struct captured {
    size_t n;
    char kind[32];
    uint64_t count, window;
    double score;
    char evidence[32][260];
    size_t nevidence;
    int had_pkt;
};

static void capture_emit(void *ctx, const struct flow *flow, const struct packet *pkt,
                         const struct rule_info *rule, const struct anomaly_info *a)
{
    struct captured *c = ctx;
    (void)flow;
    (void)rule;
    assert_non_null(a);
    c->n++;
    snprintf(c->kind, sizeof c->kind, "%s", a->kind);
    c->count = a->count;
    c->window = a->window_usec;
    c->score = a->score;
    c->had_pkt = pkt != NULL;
    c->nevidence = a->nevidence;
    for (size_t i = 0; i < a->nevidence && i < 32; i++)
        snprintf(c->evidence[i], sizeof c->evidence[i], "%s", a->evidence[i]);
}

static struct rule_info rule = { .gid = 1, .sid = 9000001, .rev = 1, .msg = "test",
                                 .severity = 2 };

struct fixture {
    struct captured cap;
    struct alert_sink sink;
    struct anomaly_state *st;
    struct anomaly_params *p;
    struct diag diag;
};

static void fx_init(struct fixture *fx, const char *value, const struct config *cfg)
{
    memset(fx, 0, sizeof *fx);
    fx->diag.quiet = 1;
    fx->sink.ctx = &fx->cap;
    fx->sink.emit = capture_emit;
    struct anomaly_settings settings;
    anomaly_settings_load(&settings, cfg, &fx->diag);
    fx->st = anomaly_state_new(&settings);
    assert_non_null(fx->st);
    char err[320];
    fx->p = anomaly_params_parse(value, cfg, err, sizeof err);
    if (!fx->p)
        fail_msg("parse failed: %s", err);
}

static void fx_done(struct fixture *fx)
{
    anomaly_state_free(fx->st);
    anomaly_params_free(fx->p);
}

static struct ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct ip_addr x;
    memset(&x, 0, sizeof x);
    x.family = 4;
    x.bytes[0] = a, x.bytes[1] = b, x.bytes[2] = c, x.bytes[3] = d;
    return x;
}

static struct flow mkflow(struct ip_addr cl, uint16_t cport, struct ip_addr sv, uint16_t sport,
                          uint8_t proto, uint64_t start)
{
    struct flow f;
    memset(&f, 0, sizeof f);
    f.client = cl, f.server = sv, f.client_port = cport, f.server_port = sport;
    f.proto = proto;
    f.start_usec = f.last_usec = start;
    return f;
}

/* A SYN refused with RST. */
static void syn_refused(struct flow *f)
{
    f->tcp_flags_seen[0] = TCP_SYN;
    f->tcp_flags_seen[1] = TCP_RST | TCP_ACK;
    f->pkts[0] = f->pkts[1] = 1;
    f->bytes[0] = f->bytes[1] = 60;
}

static void end(struct fixture *fx, const struct flow *f)
{
    anomaly_on_flow_end(fx->st, fx->p, &rule, f, &fx->sink);
}

/* --- grammar --- */

static void test_parse_ok(void **state)
{
    (void)state;
    char err[320];
    const char *good[] = {
        "port_scan",
        "port_scan, window 60s, distinct 20, track by_src, suppress 10m",
        " \"host_sweep, distinct 30, probe syn|udp\" ",
        "brute_force, count 8, window 5m, max-duration 20s, max-bytes 30kb, sessions failed",
        "dns_tunnel, method subdomains, distinct 80, window 1m, evidence 3",
        "dns_tunnel, method names, name-length 90, min-length 20, entropy 3.9, count 4",
        "beacon, count 6, jitter 0.15, min-interval 30s, window 4h",
        "volume, threshold 1gb, deviation 4, alpha 0.1, learn 12, window 1h",
        "port_scan, max-tracked 1k, evidence 0, track by_pair",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct anomaly_params *p = anomaly_params_parse(good[i], NULL, err, sizeof err);
        if (!p)
            fail_msg("'%s' rejected: %s", good[i], err);
        assert_string_equal(err, "");
        anomaly_params_free(p);
    }
    struct anomaly_params *p = anomaly_params_parse("dns_tunnel", NULL, err, sizeof err);
    assert_string_equal(anomaly_params_kind(p), "dns_tunnel");
    assert_int_equal(anomaly_params_hooks(p), ANOMALY_HOOK_PACKET);
    anomaly_params_free(p);
    p = anomaly_params_parse("beacon", NULL, err, sizeof err);
    assert_int_equal(anomaly_params_hooks(p), ANOMALY_HOOK_FLOW_END);
    anomaly_params_free(p);
    assert_string_equal(err, "");
}

static void test_parse_errors(void **state)
{
    (void)state;
    struct {
        const char *value, *message;
    } bad[] = {
        { "", "anomaly: unknown kind '' (known: port_scan, host_sweep, brute_force, "
              "dns_tunnel, beacon, volume, zone_policy)" },
        { "portscan", "anomaly: unknown kind 'portscan'" },
        { "port_scan, windw 60s", "anomaly: port_scan has no option 'windw'" },
        { "port_scan, window", "anomaly: option 'window' needs a value" },
        { "port_scan, window 6x", "anomaly: window '6x' is not a duration" },
        { "port_scan, distinct 1", "anomaly: distinct 1 is out of range" },
        { "port_scan, distinct 2.5", "anomaly: distinct '2.5' is not a whole number" },
        { "port_scan, track by_port", "anomaly: track 'by_port' is not one of: by_src" },
        { "port_scan, track by_src|by_dst", "anomaly: track 'by_src|by_dst'" },
        { "port_scan, probe syn|bogus", "anomaly: probe 'syn|bogus'" },
        { "port_scan, window 1s, window 2s", "anomaly: option 'window' given twice" },
        { "port_scan,, window 1s", "anomaly: empty option" },
        { "beacon, jitter -1", "anomaly: jitter '-1' is not a number" },
        { "volume, threshold 10zb", "anomaly: threshold '10zb' is not a size" },
        { "dns_tunnel, method tunnels", "anomaly: method 'tunnels' is not one of" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[320] = "stale";
        struct anomaly_params *p = anomaly_params_parse(bad[i].value, NULL, err, sizeof err);
        if (p)
            fail_msg("'%s' accepted", bad[i].value);
        /* no "file:line: " of its own: the rule loader adds the rule's */
        if (strncmp(err, bad[i].message, strlen(bad[i].message)) != 0)
            fail_msg("'%s': got '%s', want '%s'", bad[i].value, err, bad[i].message);
    }
    char huge[2000];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    char err[320];
    assert_null(anomaly_params_parse(huge, NULL, err, sizeof err));
    assert_string_equal(err, "anomaly: value longer than 1023 bytes");
    assert_null(anomaly_params_parse(NULL, NULL, err, sizeof err));
    assert_string_equal(err, "anomaly: a kind is required");
    /* a short buffer gets a truncated message, never an overflow */
    char tiny[12];
    assert_null(anomaly_params_parse("portscan", NULL, tiny, sizeof tiny));
    assert_string_equal(tiny, "anomaly: un");
}

static void test_parse_hostile(void **state)
{
    (void)state;
    static const char *const pieces[] = {
        "port_scan", "host_sweep", "brute_force", "dns_tunnel", "beacon", "volume",
        "zone_policy", ",", ", ", "window", "suppress", "distinct", "count", "probe", "track",
        "method", "entropy", "jitter", "threshold", " ", "60s", "1e308", "-1", "0", "99999999999",
        "syn|udp", "|", "\"", "by_pair", "names", "1.5", "10zb", "nan", "inf", "\t", "ms",
    };
    unsigned seed = 99;
    char text[400];
    size_t accepted = 0;
    for (unsigned round = 0; round < 20000; round++) {
        size_t len = 0;
        seed = seed * 1103515245u + 12345u;
        unsigned n = (seed >> 16) % 12;
        for (unsigned i = 0; i < n; i++) {
            seed = seed * 1103515245u + 12345u;
            const char *p = pieces[(seed >> 16) % (sizeof pieces / sizeof pieces[0])];
            size_t l = strlen(p);
            if (len + l + 1 >= sizeof text)
                break;
            memcpy(text + len, p, l);
            len += l;
        }
        text[len] = '\0';
        char err[320];
        struct anomaly_params *p = anomaly_params_parse(text, NULL, err, sizeof err);
        if (p) {
            accepted++;
            anomaly_params_free(p);
        } else if (strncmp(err, "anomaly: ", 9) != 0) {
            fail_msg("'%s': no clear message: '%s'", text, err);
        }
    }
    assert_true(accepted > 0);
}

/* --- port scan --- */

static void test_port_scan_syn(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "port_scan, distinct 20, window 60s, evidence 5", NULL);
    struct ip_addr a = v4(10, 9, 9, 9), b = v4(10, 1, 0, 5);
    for (unsigned i = 0; i < 19; i++) {
        struct flow f = mkflow(a, 40000, b, (uint16_t)(1000 + i), 6, T0 + i * 100000);
        syn_refused(&f);
        end(&fx, &f);
        end(&fx, &f);              /* the same port again is not a new port */
    }
    assert_int_equal(fx.cap.n, 0);
    /* An answered, established connection is no probe. */
    struct flow ok = mkflow(a, 40001, b, 80, 6, T0 + 2 * SEC);
    ok.tcp_flags_seen[0] = TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN;
    ok.tcp_flags_seen[1] = TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN;
    ok.pkts[0] = ok.pkts[1] = 6;
    end(&fx, &ok);
    assert_int_equal(fx.cap.n, 0);
    /* Unanswered SYN (half-open, no reply): the 20th port. */
    struct flow f = mkflow(a, 40000, b, 2000, 6, T0 + 3 * SEC);
    f.tcp_flags_seen[0] = TCP_SYN;
    f.pkts[0] = 1;
    end(&fx, &f);
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.kind, "port_scan");
    assert_int_equal(fx.cap.count, 20);
    assert_int_equal(fx.cap.window, 60 * SEC);
    assert_int_equal(fx.cap.nevidence, 5);
    assert_string_equal(fx.cap.evidence[0], "1000");
    assert_string_equal(fx.cap.evidence[4], "1004");
    assert_int_equal(fx.cap.had_pkt, 0);
    /* The scan goes on: one scan is one alert. */
    for (unsigned i = 0; i < 200; i++) {
        struct flow g = mkflow(a, 40000, b, (uint16_t)(3000 + i), 6, T0 + 4 * SEC + i * 1000);
        syn_refused(&g);
        end(&fx, &g);
    }
    assert_int_equal(fx.cap.n, 1);
    struct anomaly_stats s;
    anomaly_get_stats(fx.st, &s);
    assert_int_equal(s.alerts, 1);
    assert_int_equal(s.suppressed, 10);
    fx_done(&fx);
}

static void test_port_scan_window_slides(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "port_scan, distinct 10, window 10s", NULL);
    struct ip_addr a = v4(10, 9, 9, 9), b = v4(10, 1, 0, 5);
    /* One port every 2 s: never 10 within 10 s. */
    for (unsigned i = 0; i < 50; i++) {
        struct flow f = mkflow(a, 40000, b, (uint16_t)(100 + i), 6, T0 + i * 2 * SEC);
        syn_refused(&f);
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 0);
    fx_done(&fx);
}

static void test_probe_kinds(void **state)
{
    (void)state;
    struct ip_addr a = v4(10, 9, 9, 9), b = v4(10, 1, 0, 5);
    struct {
        const char *rule;
        uint8_t proto, cflags, sflags;
        uint64_t reply_pkts;
        int alerts;
    } cases[] = {
        { "port_scan, distinct 5, probe stealth", 6, TCP_FIN, TCP_RST | TCP_ACK, 1, 1 },
        { "port_scan, distinct 5, probe stealth", 6, 0, 0, 0, 1 },
        { "port_scan, distinct 5, probe stealth", 6, TCP_FIN | TCP_PSH | TCP_URG, 0, 0, 1 },
        { "port_scan, distinct 5, probe stealth", 6, TCP_SYN, TCP_RST, 1, 0 },
        { "port_scan, distinct 5, probe syn", 6, TCP_FIN, 0, 0, 0 },
        { "port_scan, distinct 5, probe udp", 17, 0, 0, 0, 1 },
        { "port_scan, distinct 5, probe udp", 17, 0, 0, 1, 0 },
        { "port_scan, distinct 5", 6, TCP_SYN | TCP_RST, TCP_SYN | TCP_ACK, 1, 1 },
        { "port_scan, distinct 5", 6, TCP_ACK | TCP_PSH, TCP_ACK, 3, 0 },  /* mid-stream */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fixture fx;
        fx_init(&fx, cases[i].rule, NULL);
        for (unsigned port = 1; port <= 5; port++) {
            struct flow f = mkflow(a, 5555, b, (uint16_t)port, cases[i].proto, T0 + port);
            f.tcp_flags_seen[0] = cases[i].cflags;
            f.tcp_flags_seen[1] = cases[i].sflags;
            f.pkts[0] = 1;
            f.pkts[1] = cases[i].reply_pkts;
            end(&fx, &f);
        }
        if ((int)fx.cap.n != cases[i].alerts)
            fail_msg("case %zu (%s): %zu alerts", i, cases[i].rule, fx.cap.n);
        fx_done(&fx);
    }
}

static void test_host_sweep(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "host_sweep, distinct 20, evidence 3", NULL);
    struct ip_addr a = v4(10, 9, 9, 9);
    for (unsigned i = 1; i <= 25; i++) {
        struct flow f = mkflow(a, (uint16_t)(50000 + i), v4(10, 1, 0, (uint8_t)i), 445, 6,
                               T0 + i * 10000);
        f.tcp_flags_seen[0] = TCP_SYN;
        f.pkts[0] = 1;
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.kind, "host_sweep");
    assert_int_equal(fx.cap.count, 20);
    assert_int_equal(fx.cap.nevidence, 3);
    assert_string_equal(fx.cap.evidence[0], "10.1.0.1");
    assert_string_equal(fx.cap.evidence[2], "10.1.0.3");
    fx_done(&fx);

    /* IPv6 hosts, and ICMP echo sweeps (no port). */
    fx_init(&fx, "host_sweep, distinct 4, probe icmp", NULL);
    for (unsigned i = 1; i <= 4; i++) {
        struct ip_addr h6 = { .family = 6 };
        h6.bytes[0] = 0x20, h6.bytes[1] = 0x01, h6.bytes[2] = 0x0d, h6.bytes[3] = 0xb8;
        h6.bytes[15] = (uint8_t)i;
        struct ip_addr me = h6;
        me.bytes[15] = 0xff;
        struct flow f = mkflow(me, 0, h6, 0, 58, T0 + i);
        f.pkts[0] = 1;
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.evidence[0], "2001:db8::1");
    assert_string_equal(fx.cap.evidence[3], "2001:db8::4");
    fx_done(&fx);
}

/* --- brute force --- */

static struct flow session(struct ip_addr cl, uint16_t cport, struct ip_addr sv, uint64_t start,
                           uint64_t dur, uint64_t bytes)
{
    struct flow f = mkflow(cl, cport, sv, 22, 6, start);
    f.last_usec = start + dur;
    f.tcp_flags_seen[0] = TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN;
    f.tcp_flags_seen[1] = TCP_SYN | TCP_ACK | TCP_PSH | TCP_FIN;
    f.pkts[0] = f.pkts[1] = 12;
    f.bytes[0] = bytes / 2;
    f.bytes[1] = bytes - bytes / 2;
    return f;
}

static void test_brute_force(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "brute_force, count 10, window 5m, max-duration 30s, max-bytes 20kb", NULL);
    struct ip_addr a = v4(203, 0, 113, 7), b = v4(10, 1, 0, 22);
    /* Long interactive sessions do not count. */
    for (unsigned i = 0; i < 20; i++) {
        struct flow f = session(a, (uint16_t)(40000 + i), b, T0 + i * SEC, 600 * SEC, 900000);
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 0);
    for (unsigned i = 0; i < 10; i++) {
        struct flow f = session(a, (uint16_t)(41000 + i), b, T0 + 700 * SEC + i * 5 * SEC,
                                2 * SEC, 4000);
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.kind, "brute_force");
    assert_int_equal(fx.cap.count, 10);
    assert_string_equal(fx.cap.evidence[0], "sport=41000 dur=2.000s bytes=4000 short");
    fx_done(&fx);

    /* Slow guessing: 10 short sessions, one every minute, spread over 9 min. */
    fx_init(&fx, "brute_force, count 10, window 5m", NULL);
    for (unsigned i = 0; i < 10; i++) {
        struct flow f = session(a, (uint16_t)(42000 + i), b, T0 + i * 60 * SEC, SEC, 3000);
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 0);
    fx_done(&fx);

    /* HTTP basic auth: only failures count with `sessions failed`. */
    fx_init(&fx, "brute_force, count 5, sessions failed", NULL);
    for (unsigned i = 0; i < 10; i++) {
        struct flow f = session(a, (uint16_t)(43000 + i), b, T0 + i * SEC, SEC, 2000);
        f.app.http_response_code = i < 5 ? 200 : 401;
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.evidence[0], "sport=43005 dur=1.000s bytes=2000 http-401");
    fx_done(&fx);
}

/* --- DNS --- */

static size_t dns_query(uint8_t *out, size_t cap, const char *name, uint16_t qtype)
{
    size_t n = 0;
    const uint8_t hdr[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
    memcpy(out, hdr, 12);
    n = 12;
    const char *p = name;
    while (*p) {
        const char *dot = strchr(p, '.');
        size_t l = dot ? (size_t)(dot - p) : strlen(p);
        assert_true(n + l + 1 < cap);
        out[n++] = (uint8_t)l;
        memcpy(out + n, p, l);
        n += l;
        p += l + (dot ? 1 : 0);
    }
    out[n++] = 0;
    out[n++] = (uint8_t)(qtype >> 8);
    out[n++] = (uint8_t)qtype;
    out[n++] = 0;
    out[n++] = 1;
    return n;
}

static void dns_send(struct fixture *fx, struct ip_addr src, const char *name, uint16_t qtype,
                     uint64_t ts)
{
    static uint8_t buf[600];
    struct packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.ts_usec = ts;
    pkt.proto = 17;
    pkt.src = src;
    pkt.dst = v4(10, 0, 0, 53);
    pkt.src_port = 40000;
    pkt.dst_port = 53;
    pkt.payload = buf;
    pkt.payload_len = (uint32_t)dns_query(buf, sizeof buf, name, qtype);
    struct flow f = mkflow(src, 40000, pkt.dst, 53, 17, ts);
    f.pkts[0] = 1;
    anomaly_on_packet(fx->st, fx->p, &rule, &f, &pkt, FLOW_TOSERVER, &fx->sink);
}

static void random_label(char *out, size_t n, unsigned *seed)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        out[i] = alphabet[(*seed >> 16) % 32];
    }
    out[n] = '\0';
}

static void test_dns_names(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "dns_tunnel, method names, count 5, evidence 2", NULL);
    struct ip_addr c = v4(10, 1, 3, 7);
    const char *benign[] = { "www.example.com", "r3---sn-a5mekn7s.googlevideo.com",
                             "e12345.dscb.akamaiedge.net", "_dmarc.gov.cn", "www.gov.cn" };
    for (unsigned i = 0; i < 50; i++)
        dns_send(&fx, c, benign[i % 5], 1, T0 + i * SEC / 10);
    assert_int_equal(fx.cap.n, 0);
    unsigned seed = 7;
    char name[300], label[64];
    for (unsigned i = 0; i < 5; i++) {
        random_label(label, 40, &seed);
        snprintf(name, sizeof name, "%s.t.evil-tunnel.com.cn", label);
        dns_send(&fx, c, name, 16, T0 + 10 * SEC + i * SEC);
    }
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.kind, "dns_tunnel");
    assert_int_equal(fx.cap.count, 5);
    assert_true(fx.cap.score >= 4.0);
    assert_int_equal(fx.cap.nevidence, 2);
    assert_non_null(strstr(fx.cap.evidence[0], ".t.evil-tunnel.com.cn"));
    assert_int_equal(fx.cap.had_pkt, 1);
    fx_done(&fx);
}

static void test_dns_subdomains_and_txt(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "dns_tunnel, method subdomains, distinct 50, window 60s", NULL);
    struct ip_addr c = v4(10, 1, 3, 7);
    char name[300];
    /* Reverse lookups are many unique names under one domain, and fine. */
    for (unsigned i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "%u.%u.1.10.in-addr.arpa", i % 250, i / 250);
        dns_send(&fx, c, name, 12, T0 + i * 10000);
    }
    for (unsigned i = 0; i < 49; i++) {
        snprintf(name, sizeof name, "host%u.example.gov.cn", i);
        dns_send(&fx, c, name, 1, T0 + 5 * SEC + i * 10000);
        dns_send(&fx, c, name, 28, T0 + 5 * SEC + i * 10000);
    }
    assert_int_equal(fx.cap.n, 0);
    dns_send(&fx, c, "host99.example.gov.cn", 1, T0 + 6 * SEC);
    assert_int_equal(fx.cap.n, 1);
    assert_int_equal(fx.cap.count, 50);
    assert_string_equal(fx.cap.evidence[0], "host0.example.gov.cn");
    fx_done(&fx);

    fx_init(&fx, "dns_tunnel, method txt_volume, count 30, window 60s", NULL);
    for (unsigned i = 0; i < 29; i++)
        dns_send(&fx, c, "x.example.com", i % 2 ? 16 : 10, T0 + i * SEC);
    dns_send(&fx, c, "x.example.com", 1, T0 + 30 * SEC);
    assert_int_equal(fx.cap.n, 0);
    dns_send(&fx, c, "y.example.com", 16, T0 + 31 * SEC);
    assert_int_equal(fx.cap.n, 1);
    assert_int_equal(fx.cap.count, 30);
    fx_done(&fx);
}

static void test_dns_hostile(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "dns_tunnel, method names, count 1, name-length 5", NULL);
    uint8_t buf[300];
    unsigned seed = 1;
    struct packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.proto = 17;
    pkt.src = v4(1, 2, 3, 4);
    pkt.payload = buf;
    for (unsigned round = 0; round < 20000; round++) {
        size_t len = round % sizeof buf;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)(seed >> 16);
        }
        if (len > 4)
            buf[2] = 0x01, buf[3] = 0, buf[4] = 0, buf[5] = 1;   /* a query, qdcount 1 */
        pkt.payload_len = (uint32_t)len;
        pkt.ts_usec = T0 + round;
        anomaly_on_packet(fx.st, fx.p, &rule, NULL, &pkt, FLOW_TOSERVER, &fx.sink);
    }
    /* A compression pointer, a label past the end, an over-long name. */
    const uint8_t ptr[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1 };
    const uint8_t past[] = { 0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 60, 'a', 'b' };
    size_t before = fx.cap.n;
    pkt.payload = ptr;
    pkt.payload_len = sizeof ptr;
    anomaly_on_packet(fx.st, fx.p, &rule, NULL, &pkt, FLOW_TOSERVER, &fx.sink);
    pkt.payload = past;
    pkt.payload_len = sizeof past;
    anomaly_on_packet(fx.st, fx.p, &rule, NULL, &pkt, FLOW_TOSERVER, &fx.sink);
    assert_int_equal(fx.cap.n, before);
    fx_done(&fx);

    /* The encoded method on the same random queries: no crash, and the
     * judge sees only what the parser accepted. */
    fx_init(&fx, "dns_tunnel, method encoded, distinct 2, share 0, min-length 1, ratio 0", NULL);
    pkt.payload = buf;
    for (unsigned round = 0; round < 20000; round++) {
        size_t len = round % sizeof buf;
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            buf[i] = (uint8_t)(seed >> 16);
        }
        if (len > 4)
            buf[2] = 0x01, buf[3] = 0, buf[4] = 0, buf[5] = 1;
        pkt.payload_len = (uint32_t)len;
        pkt.ts_usec = T0 + round;
        anomaly_on_packet(fx.st, fx.p, &rule, NULL, &pkt, FLOW_TOSERVER, &fx.sink);
    }
    fx_done(&fx);
}

/* --- dns_label: a subdomain judged against its own alphabet --- */

static void fill_random(char *out, size_t n, const char *alphabet, unsigned *seed)
{
    size_t k = strlen(alphabet);
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        out[i] = alphabet[(*seed >> 16) % k];
    }
    out[n] = '\0';
}

static void test_dns_label(void **state)
{
    (void)state;
    /* Random data's expected entropy: below log2(k) for short strings,
     * approaching it for long ones, never above log2(n). */
    assert_true(fabs(dns_random_entropy(16, 1000) - 4.0) < 0.02);
    assert_true(dns_random_entropy(16, 20) > 3.25 && dns_random_entropy(16, 20) < 3.5);
    assert_true(dns_random_entropy(64, 16) < 4.0);
    assert_true(dns_random_entropy(2, 1) == 0);

    struct dns_label_verdict v;
    unsigned seed = 99;
    char data[200];
    static const struct { const char *alphabet; enum dns_alphabet id; } enc[] = {
        { "0123456789abcdef", DNS_ALPHA_HEX },
        { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", DNS_ALPHA_BASE32 },
        { "abcdefghijklmnopqrstuvwxyz012345", DNS_ALPHA_BASE32 },
        { "abcdefghijklmnopqrstuvwxyz0123456789", DNS_ALPHA_BASE36 },
        { "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", DNS_ALPHA_BASE64 },
    };
    /* Each encoding, 100 random 40-character chunks: judged encoded at the
     * pack's settings (20 characters, ratio 0.9) nearly always. */
    for (size_t e = 0; e < sizeof enc / sizeof enc[0]; e++) {
        unsigned hits = 0;
        for (unsigned i = 0; i < 100; i++) {
            fill_random(data, 40, enc[e].alphabet, &seed);
            if (data[0] == '_')
                data[0] = 'a';     /* an underscored label is a service name */
            dns_label_judge(data, 40, &v);
            /* a draw that misses some symbols may fit a smaller alphabet */
            assert_true(v.alphabet != DNS_ALPHA_NONE && v.alphabet <= enc[e].id);
            assert_int_equal(v.data_len, 40);
            hits += dns_label_encoded(&v, 20, 0.9);
        }
        if (hits < 95)
            fail_msg("alphabet %zu: %u of 100 random chunks judged encoded", e, hits);
    }
    /* Hex never reaches the old 4.0 bits, yet is judged against its own 4. */
    fill_random(data, 60, "0123456789abcdef", &seed);
    dns_label_judge(data, 60, &v);
    assert_true(v.entropy < 4.0);
    assert_true(v.ratio > 0.9);
    /* Dots do not count; case does not matter (0x20 randomisation). */
    dns_label_judge("Ab3De0F1c2.9f", 13, &v);
    assert_int_equal(v.data_len, 10);
    assert_int_equal(v.alphabet, DNS_ALPHA_HEX);
    dns_label_judge("a1.b2", 5, &v);     /* no label long enough to carry data */
    assert_int_equal(v.alphabet, DNS_ALPHA_NONE);
    /* Short fixed labels beside the data do not decide the alphabet. */
    fill_random(data, 48, "0123456789abcdef", &seed);
    char tagged[120];
    snprintf(tagged, sizeof tagged, "dnscat.%s.t.tunnel", data);
    dns_label_judge(tagged, strlen(tagged), &v);
    assert_int_equal(v.alphabet, DNS_ALPHA_HEX);
    assert_int_equal(v.data_len, 48);
    /* Ordinary names: too short, no digits, or far from random. */
    static const char *const benign[] = {
        "connectivitycheck", "login.microsoftonline", "r3---sn-ni57rn7k",
        "vcacrashplan01.hq.corp", "s1024-2013q3._domainkey", "www", "mail2024",
        "aaaaaaaaaaaaaaaaaaaaaaaa1", "SeCuReDnS2",
    };
    for (size_t i = 0; i < sizeof benign / sizeof benign[0]; i++) {
        dns_label_judge(benign[i], strlen(benign[i]), &v);
        if (dns_label_encoded(&v, 20, 0.9))
            fail_msg("'%s' judged encoded (ratio %.3f)", benign[i], v.ratio);
    }
    /* Hostile input: NULL, empty, high bytes. */
    dns_label_judge(NULL, 10, &v);
    assert_int_equal(v.alphabet, DNS_ALPHA_NONE);
    dns_label_judge("...", 3, &v);
    assert_int_equal(v.alphabet, DNS_ALPHA_NONE);
    assert_false(dns_label_encoded(&v, 1, 0));
    unsigned char bin[64];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (unsigned char)(0x80 + i);
    dns_label_judge((const char *)bin, sizeof bin, &v);
    assert_int_equal(v.alphabet, DNS_ALPHA_BINARY);
    assert_string_equal(dns_alphabet_name(DNS_ALPHA_HEX), "hex");
    assert_string_equal(dns_alphabet_name(DNS_ALPHA_BINARY), "binary");
}

static void test_dns_encoded(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "dns_tunnel, method encoded, distinct 10, window 60s, share 0.8, evidence 3", NULL);
    struct ip_addr c = v4(10, 1, 3, 7);
    unsigned seed = 5;
    char data[100], name[300];
    /* 9 hex chunks: one short of the threshold. */
    for (unsigned i = 0; i < 9; i++) {
        fill_random(data, 48, "0123456789abcdef", &seed);
        snprintf(name, sizeof name, "%s.t.tunnel.example.com.cn", data);
        dns_send(&fx, c, name, 5, T0 + i * SEC);
    }
    /* The same chunk again is not new data. */
    dns_send(&fx, c, name, 5, T0 + 9 * SEC);
    assert_int_equal(fx.cap.n, 0);
    fill_random(data, 48, "0123456789abcdef", &seed);
    snprintf(name, sizeof name, "%s.t.tunnel.example.com.cn", data);
    dns_send(&fx, c, name, 5, T0 + 10 * SEC);
    assert_int_equal(fx.cap.n, 1);
    assert_int_equal(fx.cap.count, 10);
    assert_true(fx.cap.score > 0.9 && fx.cap.score < 1.1);
    assert_int_equal(fx.cap.nevidence, 3);
    assert_string_equal(fx.cap.evidence[0], "alphabet=hex share=11/11 chars=480");
    assert_non_null(strstr(fx.cap.evidence[1], ".t.tunnel.example.com.cn"));
    fx_done(&fx);

    /* A domain whose encoded-looking names are a minority: no alert. */
    fx_init(&fx, "dns_tunnel, method encoded, distinct 10, window 60s, share 0.8", NULL);
    for (unsigned i = 0; i < 40; i++) {
        if (i % 3 == 0) {
            fill_random(data, 32, "abcdefghijklmnopqrstuvwxyz234567", &seed);
            snprintf(name, sizeof name, "%s.cdn.example.net", data);
        } else {
            snprintf(name, sizeof name, "www%u.cdn.example.net", i);
        }
        dns_send(&fx, c, name, 1, T0 + i * SEC);
    }
    assert_int_equal(fx.cap.n, 0);
    fx_done(&fx);

    /* Slow: 10 chunks spread over more than the window. */
    fx_init(&fx, "dns_tunnel, method encoded, distinct 10, window 60s", NULL);
    for (unsigned i = 0; i < 30; i++) {
        fill_random(data, 40, "abcdefghijklmnopqrstuvwxyz012345", &seed);
        snprintf(name, sizeof name, "%s.slow.example.org", data);
        dns_send(&fx, c, name, 1, T0 + i * 7 * SEC);
    }
    assert_int_equal(fx.cap.n, 0);
    fx_done(&fx);
}

/* --- beacon --- */

static void test_beacon(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "beacon, count 8, jitter 0.1, min-interval 10s, window 2h", NULL);
    struct ip_addr a = v4(10, 1, 3, 7), c2 = v4(198, 51, 100, 23);
    const int jitter_ms[] = { 0, 800, -1200, 300, 1500, -700, 200, -400 };
    for (unsigned i = 0; i < 8; i++) {
        uint64_t start = T0 + i * 60 * SEC + (uint64_t)(int64_t)(jitter_ms[i] * 1000 + 5000000);
        struct flow f = mkflow(a, (uint16_t)(50000 + i), c2, 443, 6, start);
        f.last_usec = start + SEC;
        /* End out of order: the detector sorts the starts. */
        (void)f;
        if (i == 6)
            continue;
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 0);
    struct flow late = mkflow(a, 50006, c2, 443, 6, T0 + 6 * 60 * SEC + 5200000);
    end(&fx, &late);
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.kind, "beacon");
    assert_int_equal(fx.cap.count, 8);
    assert_true(fx.cap.score > 0 && fx.cap.score < 0.1);
    assert_int_equal(fx.cap.nevidence, 7);
    assert_string_equal(fx.cap.evidence[0], "60.8s");
    fx_done(&fx);

    /* Irregular: a person browsing. */
    fx_init(&fx, "beacon", NULL);
    const unsigned gaps[] = { 5, 120, 33, 600, 61, 14, 300, 45, 90, 12 };
    uint64_t t = T0;
    for (unsigned i = 0; i < 10; i++) {
        t += gaps[i] * SEC;
        struct flow f = mkflow(a, (uint16_t)(51000 + i), c2, 443, 6, t);
        end(&fx, &f);
    }
    assert_int_equal(fx.cap.n, 0);
    fx_done(&fx);
}

/* --- volume --- */

static void upload(struct fixture *fx, struct ip_addr host, struct ip_addr dst, uint64_t at,
                   uint64_t bytes)
{
    struct flow f = mkflow(host, 40000, dst, 443, 6, at - SEC);
    f.last_usec = at;
    f.bytes[0] = bytes;
    f.bytes[1] = 1000;
    end(fx, &f);
}

static void test_volume(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "volume, window 1h, threshold 100mb, deviation 3, learn 6, evidence 4", NULL);
    struct ip_addr h = v4(10, 1, 3, 7), ext = v4(198, 51, 100, 9);
    uint64_t hour = 3600 * SEC, base = (T0 / hour) * hour;
    /* Warm-up: a first window over the threshold stays silent. */
    upload(&fx, h, ext, base + 10 * SEC, 200ull << 20);
    for (unsigned i = 1; i < 20; i++)
        upload(&fx, h, ext, base + i * hour + 10 * SEC, (2ull << 20) + i * 1000);
    assert_int_equal(fx.cap.n, 0);
    upload(&fx, h, v4(203, 0, 113, 5), base + 20 * hour + 10 * SEC, 60ull << 20);
    upload(&fx, h, ext, base + 20 * hour + 20 * SEC, 60ull << 20);
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.kind, "volume");
    assert_int_equal(fx.cap.count, 120ull << 20);
    assert_true(fx.cap.score > 3);
    assert_int_equal(fx.cap.nevidence, 2);
    assert_string_equal(fx.cap.evidence[0], "203.0.113.5");
    assert_string_equal(fx.cap.evidence[1], "198.51.100.9");
    upload(&fx, h, ext, base + 20 * hour + 30 * SEC, 60ull << 20);
    assert_int_equal(fx.cap.n, 1);   /* one alert per window */
    fx_done(&fx);

    /* A nightly backup: every 24 h about 1 GB, learnt, then silent. */
    fx_init(&fx, "volume, window 1h, threshold 100mb, deviation 3, learn 6", NULL);
    for (unsigned night = 0; night < 12; night++)
        upload(&fx, h, ext, base + night * 24 * hour + 2 * hour,
               (1000ull << 20) + night * (7ull << 20));
    assert_int_equal(fx.cap.n, 0);
    fx_done(&fx);

    /* learn 0: the fixed threshold alone. */
    fx_init(&fx, "volume, window 1h, threshold 1gb, learn 0", NULL);
    upload(&fx, h, ext, base + 10 * SEC, 2ull << 30);
    assert_int_equal(fx.cap.n, 1);
    assert_true(fx.cap.score == 0);
    fx_done(&fx);
}

/* --- zone policy --- */

static const char zone_yaml[] =
    "anomaly:\n"
    "  zones:\n"
    "    office: \"[10.1.0.0/16, 10.2.0.0/16]\"\n"
    "    video: [10.20.0.0/16, \"fd00:20::/32\"]\n"
    "    servers: \"[10.1.100.0/24]\"\n"
    "    internet: \"[0.0.0.0/0]\"\n"
    "  zone-policy:\n"
    "    allow: [\"office->internet\", \"office<->servers\", \"video->servers\"]\n";

static void zone_flow(struct fixture *fx, struct ip_addr a, struct ip_addr b, uint64_t pkts)
{
    struct packet pkt;
    memset(&pkt, 0, sizeof pkt);
    pkt.ts_usec = T0;
    pkt.src = a;
    pkt.dst = b;
    struct flow f = mkflow(a, 1234, b, 80, 6, T0);
    f.pkts[0] = pkts;
    anomaly_on_packet(fx->st, fx->p, &rule, &f, &pkt, FLOW_TOSERVER, &fx->sink);
}

static void test_zone_policy(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct config *cfg = config_new();
    assert_int_equal(config_load_buffer(cfg, "z.yaml", zone_yaml, strlen(zone_yaml), &d), 0);
    struct fixture fx;
    fx_init(&fx, "zone_policy, track by_pair", cfg);
    zone_flow(&fx, v4(10, 1, 2, 3), v4(8, 8, 8, 8), 1);        /* office -> internet */
    zone_flow(&fx, v4(10, 1, 2, 3), v4(10, 1, 100, 5), 1);     /* office -> servers */
    zone_flow(&fx, v4(10, 1, 100, 5), v4(10, 2, 0, 9), 1);     /* servers -> office */
    zone_flow(&fx, v4(10, 20, 0, 4), v4(10, 1, 100, 5), 1);    /* video -> servers */
    zone_flow(&fx, v4(10, 20, 0, 4), v4(10, 20, 9, 9), 1);     /* inside video */
    zone_flow(&fx, v4(10, 20, 0, 4), v4(8, 8, 4, 4), 2);       /* not a first packet */
    assert_int_equal(fx.cap.n, 0);
    zone_flow(&fx, v4(10, 20, 0, 4), v4(8, 8, 4, 4), 1);       /* video -> internet */
    assert_int_equal(fx.cap.n, 1);
    assert_string_equal(fx.cap.kind, "zone_policy");
    assert_int_equal(fx.cap.window, 0);
    assert_int_equal(fx.cap.nevidence, 2);
    assert_string_equal(fx.cap.evidence[0], "video");
    assert_string_equal(fx.cap.evidence[1], "internet");
    zone_flow(&fx, v4(10, 1, 100, 5), v4(10, 20, 1, 1), 1);    /* servers -> video */
    assert_int_equal(fx.cap.n, 2);
    assert_string_equal(fx.cap.evidence[0], "servers");
    /* IPv6: fd00:20::/32 is video; 2001:db8::1 is in no zone (internet is
     * IPv4 only here), so it is not judged. */
    struct ip_addr cam6 = { .family = 6 }, ext6 = { .family = 6 }, rec6 = { .family = 6 };
    cam6.bytes[0] = 0xfd, cam6.bytes[3] = 0x20, cam6.bytes[15] = 5;
    ext6.bytes[0] = 0x20, ext6.bytes[1] = 0x01, ext6.bytes[2] = 0x0d, ext6.bytes[3] = 0xb8;
    ext6.bytes[15] = 1;
    zone_flow(&fx, cam6, ext6, 1);
    assert_int_equal(fx.cap.n, 2);
    rec6 = v4(10, 2, 0, 1);                                    /* video -> office */
    zone_flow(&fx, cam6, rec6, 1);
    assert_int_equal(fx.cap.n, 3);
    assert_string_equal(fx.cap.evidence[0], "video");
    assert_string_equal(fx.cap.evidence[1], "office");
    fx_done(&fx);
    config_free(cfg);

    /* No zones at all: the rule loads and does nothing. */
    fx_init(&fx, "zone_policy", NULL);
    zone_flow(&fx, v4(10, 20, 0, 4), v4(8, 8, 4, 4), 1);
    assert_int_equal(fx.cap.n, 0);
    fx_done(&fx);

    /* Config mistakes are reported at their place. */
    const char *bad[] = {
        "anomaly:\n  zones:\n    a: \"[10.0.0.0/33]\"\n    b: \"[10.1.0.0/16]\"\n",
        "anomaly:\n  zones:\n    a: \"[10.0.0.0/8]\"\n    b: \"[10.1.0.0/16]\"\n"
        "  zone-policy:\n    allow: [\"a->c\"]\n",
        "anomaly:\n  zones:\n    a: \"[10.0.0.0/8]\"\n    b: \"[10.1.0.0/16]\"\n"
        "  zone-policy:\n    allow: [\"a-b\"]\n",
        "anomaly:\n  zones:\n    a: \"[10.0.0.0/8]\"\n",
    };
    const char *want[] = {
        "anomaly: zone_policy: z.yaml:3: anomaly.zones.a: '10.0.0.0/33' is not an address or CIDR",
        "anomaly: zone_policy: z.yaml:6: anomaly.zone-policy.allow: 'a->c': unknown zone 'c'",
        "anomaly: zone_policy: z.yaml:6: anomaly.zone-policy.allow: 'a-b' is not 'from->to' or 'a<->b'",
        "anomaly: zone_policy needs at least two zones",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct diag e = { .quiet = 1 };
        cfg = config_new();
        assert_int_equal(config_load_buffer(cfg, "z.yaml", bad[i], strlen(bad[i]), &e), 0);
        char err[320];
        assert_null(anomaly_params_parse("zone_policy", cfg, err, sizeof err));
        if (strncmp(err, want[i], strlen(want[i])) != 0)
            fail_msg("case %zu: got '%s'", i, err);
        config_free(cfg);
    }
}

/* --- suppression, bounds, expiry --- */

static void test_suppression_expires(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "port_scan, distinct 5, suppress 10m", NULL);
    struct ip_addr a = v4(10, 9, 9, 9), b = v4(10, 1, 0, 5);
    for (unsigned round = 0; round < 3; round++) {
        uint64_t at = T0 + round * 6 * 60 * SEC;   /* 0, 6, 12 minutes */
        for (unsigned i = 0; i < 5; i++) {
            struct flow f = mkflow(a, 40000, b, (uint16_t)(100 + i), 6, at + i);
            syn_refused(&f);
            end(&fx, &f);
        }
    }
    assert_int_equal(fx.cap.n, 2);        /* at 0 and at 12 min; 6 min was suppressed */
    struct anomaly_stats s;
    anomaly_get_stats(fx.st, &s);
    assert_int_equal(s.suppressed, 1);
    fx_done(&fx);
}

/* anomaly.max-tracked is the cap of a rule that sets none of its own (it
 * was once read and then ignored), and a bad value is reported with its
 * file and line instead of being dropped silently. */
static void test_configured_max_tracked(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct config *cfg = config_new();
    const char yaml[] = "anomaly:\n  max-tracked: 50\n";
    assert_int_equal(config_load_buffer(cfg, "m.yaml", yaml, strlen(yaml), &d), 0);
    struct fixture fx;
    fx_init(&fx, "port_scan, distinct 20, window 60s, suppress 60s", cfg);
    assert_int_equal(fx.diag.errors, 0);
    struct ip_addr b = v4(10, 1, 0, 5);
    for (unsigned i = 0; i < 500; i++) {
        struct flow f = mkflow(v4(172, 16, (uint8_t)(i >> 8), (uint8_t)i), 40000, b, 80, 6,
                               T0 + i * 1000);
        syn_refused(&f);
        end(&fx, &f);
    }
    struct anomaly_stats st;
    anomaly_get_stats(fx.st, &st);
    assert_int_equal(st.tracked_entries, 50);
    assert_int_equal(st.evictions, 450);
    fx_done(&fx);
    config_free(cfg);

    cfg = config_new();
    const char bad[] = "anomaly:\n  memcap: 1kb\n  max-tracked: 0\n";
    assert_int_equal(config_load_buffer(cfg, "bad.yaml", bad, strlen(bad), &d), 0);
    struct anomaly_settings set;
    struct diag e = { .quiet = 1 };
    anomaly_settings_load(&set, cfg, &e);
    assert_int_equal(e.errors, 2);
    assert_non_null(strstr(e.last, "bad.yaml:3: anomaly.max-tracked: '0'"));
    assert_int_equal(set.memcap, 64u << 20);      /* the defaults stay */
    assert_int_equal(set.max_tracked, 65536);
    config_free(cfg);
}

static void test_bounds_and_expiry(void **state)
{
    (void)state;
    struct fixture fx;
    fx_init(&fx, "port_scan, distinct 20, max-tracked 100, window 60s, suppress 60s", NULL);
    struct ip_addr b = v4(10, 1, 0, 5);
    for (unsigned i = 0; i < 10000; i++) {
        struct flow f = mkflow(v4(172, 16, (uint8_t)(i >> 8), (uint8_t)i), 40000, b, 80, 6,
                               T0 + i * 1000);
        syn_refused(&f);
        end(&fx, &f);
    }
    struct anomaly_stats s;
    anomaly_get_stats(fx.st, &s);
    assert_int_equal(s.tracked_entries, 100);
    assert_int_equal(s.evictions, 9900);
    assert_true(s.memory_bytes > 0 && s.memory_bytes < 100 * 2048);
    anomaly_expire(fx.st, T0 + 10 * SEC + 59 * SEC);
    anomaly_get_stats(fx.st, &s);
    assert_true(s.tracked_entries > 0);
    anomaly_expire(fx.st, T0 + 10 * SEC + 61 * SEC);
    anomaly_get_stats(fx.st, &s);
    assert_int_equal(s.tracked_entries, 0);
    assert_int_equal(s.memory_bytes, 0);
    fx_done(&fx);

    /* The memcap bounds the whole state, across rules. */
    struct diag d = { .quiet = 1 };
    struct config *cfg = config_new();
    const char yaml[] = "anomaly:\n  memcap: 256kb\n";
    assert_int_equal(config_load_buffer(cfg, "m.yaml", yaml, strlen(yaml), &d), 0);
    fx_init(&fx, "host_sweep, distinct 1000", cfg);
    char err[320];
    struct anomaly_params *p2 = anomaly_params_parse("port_scan, distinct 1000", cfg, err, sizeof err);
    assert_non_null(p2);
    for (unsigned i = 0; i < 5000; i++) {
        struct flow f = mkflow(v4(172, 16, (uint8_t)(i >> 8), (uint8_t)i), 40000,
                               v4(10, 1, (uint8_t)(i >> 8), (uint8_t)i), (uint16_t)i, 6,
                               T0 + i * 1000);
        syn_refused(&f);
        anomaly_on_flow_end(fx.st, fx.p, &rule, &f, &fx.sink);
        anomaly_on_flow_end(fx.st, p2, &rule, &f, &fx.sink);
        anomaly_get_stats(fx.st, &s);
        assert_true(s.memory_bytes <= 256 * 1024);
    }
    assert_true(s.evictions > 4000);
    anomaly_state_free(fx.st);
    fx.st = NULL;
    anomaly_params_free(p2);
    fx_done(&fx);
    config_free(cfg);
}

/* Hash flooding (issue 14): tracker keys that collide in the low 10 bits
 * of the FNV hash the tables used before (seed 0, anyone can compute it)
 * spread over the buckets under the keyed hash. */
static uint32_t old_tracker_hash(const struct anomaly_key *k)
{
    const unsigned char *p = (const unsigned char *)k;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof *k; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

static void test_tracker_hash_flooding(void **state)
{
    (void)state;
    enum { WANT = 500, MASK = 1023 };
    struct fixture fx;
    fx_init(&fx, "host_sweep", NULL);
    struct rule_table *t = tracker_table(fx.st, fx.p);
    assert_non_null(t);
    struct anomaly_ctx c = { .st = fx.st, .table = t, .params = fx.p, .rule = &rule, .sink = &fx.sink,
                             .now = 1000000 };
    struct anomaly_key k;
    uint32_t target = UINT32_MAX;
    size_t found = 0;
    for (uint32_t i = 0; found < WANT && i < (1u << 24); i++) {
        memset(&k, 0, sizeof k);
        k.a = v4(10, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i);
        k.b = v4(10, 255, 0, 1);
        uint32_t h = old_tracker_hash(&k) & MASK;
        if (target == UINT32_MAX)
            target = h;
        if (h != target)
            continue;
        bool created;
        assert_non_null(tracker_get(&c, &k, &created));
        assert_true(created);
        found++;
    }
    assert_int_equal(found, WANT);
    size_t longest = tracker_longest_chain(t);
    if (longest > 10)
        fail_msg("longest tracker chain %zu with colliding keys, want <= 10", longest);
    fx_done(&fx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracker_hash_flooding),
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_hostile),
        cmocka_unit_test(test_port_scan_syn),
        cmocka_unit_test(test_port_scan_window_slides),
        cmocka_unit_test(test_probe_kinds),
        cmocka_unit_test(test_host_sweep),
        cmocka_unit_test(test_brute_force),
        cmocka_unit_test(test_dns_names),
        cmocka_unit_test(test_dns_subdomains_and_txt),
        cmocka_unit_test(test_dns_hostile),
        cmocka_unit_test(test_dns_label),
        cmocka_unit_test(test_dns_encoded),
        cmocka_unit_test(test_beacon),
        cmocka_unit_test(test_volume),
        cmocka_unit_test(test_zone_policy),
        cmocka_unit_test(test_suppression_expires),
        cmocka_unit_test(test_bounds_and_expiry),
        cmocka_unit_test(test_configured_max_tracked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
