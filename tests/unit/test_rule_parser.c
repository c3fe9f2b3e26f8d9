/* Rule parser tests: every keyword parses and its parsed values are what the
 * rule said; every kind of bad rule is refused with its exact message; the
 * loader reports file:line, skips only the bad rule and counts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/dataset.h"
#include "detect/keywords.h"
#include "detect/rule.h"

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

static struct rule *parse(const char *text)
{
    bool unsupported, passive;
    err[0] = '\0';
    return rule_parse(de, text, "t.rules", 7, err, sizeof err, &unsupported, &passive);
}

static void expect_error(const char *text, const char *message)
{
    struct rule *r = parse(text);
    if (r) {
        rule_free(r);
        fail_msg("rule accepted, expected \"%s\": %s", message, text);
    }
    if (strcmp(err, message) != 0)
        fail_msg("got \"%s\", expected \"%s\"", err, message);
}

#define RULE(opts) "alert tcp any any -> any any (" opts ")"

/* --- header ---------------------------------------------------------------------------- */

static struct ip_addr v4(const char *s)
{
    struct ip_addr a = { .family = 4 };
    unsigned x[4];
    sscanf(s, "%u.%u.%u.%u", &x[0], &x[1], &x[2], &x[3]);
    for (int i = 0; i < 4; i++)
        a.bytes[i] = (uint8_t)x[i];
    return a;
}

static void test_header_basic(void **state)
{
    (void)state;
    struct rule *r = parse("alert udp 10.0.0.0/8 53 -> any [1024:65535] (sid:5;)");
    assert_non_null(r);
    assert_int_equal(r->ipproto, 17);
    assert_false(r->bidir);
    struct ip_addr in = v4("10.9.8.7"), out = v4("11.0.0.1");
    assert_true(addr_set_match(&r->src, &in));
    assert_false(addr_set_match(&r->src, &out));
    assert_true(r->dst.any);
    assert_true(port_set_match(&r->sp, 53));
    assert_false(port_set_match(&r->sp, 54));
    assert_true(port_set_match(&r->dp, 1024));
    assert_true(port_set_match(&r->dp, 65535));
    assert_false(port_set_match(&r->dp, 1023));
    assert_int_equal(r->info.sid, 5);
    assert_int_equal(r->info.gid, 1);
    assert_int_equal(r->info.severity, 3);
    assert_string_equal(r->info.action_name, "allowed");
    rule_free(r);
}

static void test_header_variables_negation(void **state)
{
    (void)state;
    struct rule *r = parse("pass ip $HOME_NET any <> $EXTERNAL_NET !$HTTP_PORTS (sid:6;)");
    assert_non_null(r);
    assert_int_equal(r->info.action, RULE_ACTION_PASS);
    assert_true(r->bidir);
    struct ip_addr a = v4("192.168.1.1"), b = v4("172.16.5.5"), c = v4("8.8.8.8");
    assert_true(addr_set_match(&r->src, &a));
    assert_true(addr_set_match(&r->src, &b));
    assert_false(addr_set_match(&r->src, &c));
    assert_true(addr_set_match(&r->dst, &c));
    assert_false(addr_set_match(&r->dst, &a));
    assert_false(port_set_match(&r->dp, 80));
    assert_true(port_set_match(&r->dp, 81));
    rule_free(r);

    r = parse("alert tcp [10.0.0.0/8,![10.1.0.0/16,10.2.0.1]] any -> any [80,443,8000:8080,!8008] (sid:7;)");
    assert_non_null(r);
    struct ip_addr x = v4("10.3.0.1"), y = v4("10.1.2.3"), z = v4("10.2.0.1"), w = v4("10.2.0.2");
    assert_true(addr_set_match(&r->src, &x));
    assert_false(addr_set_match(&r->src, &y));
    assert_false(addr_set_match(&r->src, &z));
    assert_true(addr_set_match(&r->src, &w));
    assert_true(port_set_match(&r->dp, 443));
    assert_true(port_set_match(&r->dp, 8001));
    assert_false(port_set_match(&r->dp, 8008));
    assert_false(port_set_match(&r->dp, 22));
    rule_free(r);

    r = parse("alert tcp 2001:db8::/32 any -> 192.168.1.10-192.168.1.20 any (sid:8;)");
    assert_non_null(r);
    struct ip_addr v6 = { .family = 6, .bytes = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
    struct ip_addr mid = v4("192.168.1.15"), hi = v4("192.168.1.21");
    assert_true(addr_set_match(&r->src, &v6));
    assert_false(addr_set_match(&r->src, &a));
    assert_true(addr_set_match(&r->dst, &mid));
    assert_false(addr_set_match(&r->dst, &hi));
    rule_free(r);
}

static void test_header_protocols(void **state)
{
    (void)state;
    static const struct { const char *name; int proto; } cases[] = {
        { "ip", 0 }, { "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
        { "sctp", 132 }, { "tcp-pkt", 6 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[128];
        snprintf(text, sizeof text, "alert %s any any -> any any (sid:1;)", cases[i].name);
        struct rule *r = parse(text);
        assert_non_null(r);
        assert_int_equal(r->ipproto, cases[i].proto);
        rule_free(r);
    }
    struct rule *r = parse("alert http any any -> any any (sid:1;)");
    assert_non_null(r);
    assert_true(r->napp_ids >= 1);
    rule_free(r);
    r = parse("alert dns any any -> any any (sid:1;)");
    assert_non_null(r);
    assert_true(r->napp_ids >= 1);
    rule_free(r);
}

static void test_drop_is_alert(void **state)
{
    (void)state;
    bool unsupported, passive;
    struct rule *r = rule_parse(de, "drop tcp any any -> any any (sid:9;)", "t.rules", 1, err,
                                sizeof err, &unsupported, &passive);
    assert_non_null(r);
    assert_true(passive);
    assert_int_equal(r->info.action, RULE_ACTION_ALERT);
    rule_free(r);
}

/* --- meta -------------------------------------------------------------------------------- */

static void test_meta(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("msg:\"检测到Tor (Tor \\\"quoted\\\"\\; x)\"; sid:2000001; rev:3; gid:7; "
                                "classtype:trojan-activity; metadata:created_at 2024_01_01, former sid 12, created_at 2025; "
                                "reference:url,example.org/x; target:dest_ip;"));
    assert_non_null(r);
    assert_string_equal(r->info.msg, "检测到Tor (Tor \"quoted\"; x)");
    assert_int_equal(r->info.sid, 2000001);
    assert_int_equal(r->info.rev, 3);
    assert_int_equal(r->info.gid, 7);
    assert_string_equal(r->info.classtype, "trojan-activity");
    assert_string_equal(r->info.category, "A Network Trojan was detected");
    assert_int_equal(r->info.severity, 1);
    assert_string_equal(r->info.metadata_json,
                        "{\"created_at\":[\"2024_01_01\",\"2025\"],\"former\":[\"sid 12\"]}");
    assert_false(r->noalert);
    rule_free(r);

    r = parse(RULE("sid:3; classtype:trojan-activity; priority:4; noalert;"));
    assert_non_null(r);
    assert_int_equal(r->info.severity, 4);
    assert_true(r->noalert);
    rule_free(r);
}

/* --- flow, flowbits, packet ----------------------------------------------------------------- */

static void test_flow(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("flow:established,to_server; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->flow_opts, FLOWOPT_ESTABLISHED | FLOWOPT_TOSERVER);
    rule_free(r);
    r = parse(RULE("flow:from_server, not_established; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->flow_opts, FLOWOPT_TOCLIENT | FLOWOPT_NOT_ESTABLISHED);
    rule_free(r);
    r = parse(RULE("flow:stateless; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->flow_opts, FLOWOPT_STATELESS);
    rule_free(r);
}

static void test_flowbits(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("flowbits:set,login; flowbits:noalert; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->nactions, 1);
    assert_true(r->sets_flowbits);
    assert_true(r->noalert);
    rule_free(r);
    r = parse(RULE("flowbits:isset,login|auth; flowbits:isnotset,done; flowbits:unset,login; flowbits:toggle,t; sid:2;"));
    assert_non_null(r);
    assert_int_equal(r->nchecks, 2);
    assert_int_equal(r->nactions, 2);
    assert_true(r->checks_flowbits);
    rule_free(r);
    int id = detect_flowbit_id(de, "login");
    assert_true(id >= 0);
    assert_int_equal(detect_flowbit_id(de, "login"), id);
}

static void test_packet_keywords(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("ttl:<10; dsize:100<>200; itype:8; icode:!0; ip_proto:udp; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->nchecks, 5);
    const struct num_cmp *ttl = r->checks[0].ctx, *ds = r->checks[1].ctx, *it = r->checks[2].ctx,
                         *ic = r->checks[3].ctx, *ip = r->checks[4].ctx;
    assert_int_equal(ttl->op, '<');
    assert_int_equal(ttl->a, 10);
    assert_int_equal(ds->op, 'r');
    assert_int_equal(ds->a, 100);
    assert_int_equal(ds->b, 200);
    assert_int_equal(it->op, '=');
    assert_int_equal(it->a, 8);
    assert_int_equal(ic->op, '!');
    assert_int_equal(ip->a, 17);
    rule_free(r);
    r = parse(RULE("flags:SA,CE; flags:+S; flags:*FR; flags:!R; flags:0; sid:2;"));
    assert_non_null(r);
    assert_int_equal(r->nchecks, 5);
    rule_free(r);

    struct num_cmp c;
    assert_int_equal(num_cmp_parse(">=5", 255, &c), 0);
    assert_true(num_cmp_match(&c, 5));
    assert_false(num_cmp_match(&c, 4));
    assert_int_equal(num_cmp_parse("3-7", 255, &c), 0);
    assert_true(num_cmp_match(&c, 4));
    assert_false(num_cmp_match(&c, 3));
    assert_int_equal(num_cmp_parse("300", 255, &c), -1);
}

/* --- payload ---------------------------------------------------------------------------------- */

static void test_content(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("content:\"GET |20 2f|a\\;b\\\"c\\\\\"; nocase; offset:2; depth:20; "
                                "content:!\"x|3A|\"; distance:1; within:5; "
                                "content:\"end\"; endswith; content:\"st\"; startswith; fast_pattern; sid:1;"));
    assert_non_null(r);
    const struct inspect_list *l = &r->buf[BUF_PAYLOAD];
    assert_int_equal(l->n, 4);
    const struct content *c0 = &l->v[0].u.content;
    assert_int_equal(c0->len, 12);
    assert_memory_equal(c0->pat, "GET  /a;b\"c\\", 12);
    assert_int_equal(c0->flags, CF_NOCASE | CF_OFFSET | CF_DEPTH);
    assert_int_equal(c0->offset, 2);
    assert_int_equal(c0->depth, 20);
    const struct content *c1 = &l->v[1].u.content;
    assert_memory_equal(c1->pat, "x:", 2);
    assert_int_equal(c1->flags, CF_NEGATED | CF_DISTANCE | CF_WITHIN);
    assert_int_equal(c1->distance, 1);
    assert_int_equal(c1->within, 5);
    assert_true(l->v[2].u.content.flags & CF_ENDSWITH);
    const struct content *c3 = &l->v[3].u.content;
    assert_int_equal(c3->flags, CF_STARTSWITH | CF_DEPTH | CF_FAST_PATTERN);
    assert_int_equal(c3->depth, 2);
    assert_false(r->app_layer);
    rule_free(r);

    uint8_t *bytes;
    uint32_t len;
    char e[100];
    assert_int_equal(content_decode("a|00 ff|b|0D0a|", &bytes, &len, e, sizeof e), 0);
    assert_int_equal(len, 6);
    assert_memory_equal(bytes, "a\x00\xff" "b\r\n", 6);
    free(bytes);
}

static void test_pcre(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("content:\"abc\"; pcre:\"/^x\\d+[;]/Rsmi\"; pcre:!\"/evil/U\"; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->buf[BUF_PAYLOAD].n, 2);
    assert_int_equal(r->buf[BUF_PAYLOAD].v[1].kind, INSPECT_PCRE);
    assert_true(pcre_is_relative(r->buf[BUF_PAYLOAD].v[1].u.pcre));
    assert_int_equal(r->buf[BUF_HTTP_URI].n, 1);
    assert_true(pcre_is_negated(r->buf[BUF_HTTP_URI].v[0].u.pcre));
    assert_true(r->app_layer);
    rule_free(r);
}

static void test_sticky_buffers(void **state)
{
    (void)state;
    static const struct { const char *kw; int buf; } cases[] = {
        { "dns.query", BUF_DNS_QUERY }, { "tls.sni", BUF_TLS_SNI },
        { "tls.cert_subject", BUF_TLS_CERT_SUBJECT }, { "tls.cert_issuer", BUF_TLS_CERT_ISSUER },
        { "http.host", BUF_HTTP_HOST }, { "http.uri", BUF_HTTP_URI },
        { "http.method", BUF_HTTP_METHOD }, { "http.user_agent", BUF_HTTP_USER_AGENT },
        { "ja3.hash", BUF_JA3_HASH }, { "ja3s.hash", BUF_JA3S_HASH }, { "dns_query", BUF_DNS_QUERY },
        { "tls_sni", BUF_TLS_SNI },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char text[200];
        snprintf(text, sizeof text, RULE("%s; content:\"x\"; bsize:<100; sid:1;"), cases[i].kw);
        struct rule *r = parse(text);
        if (!r)
            fail_msg("%s: %s", cases[i].kw, err);
        assert_int_equal(r->buf[cases[i].buf].n, 2);
        assert_int_equal(r->buf[cases[i].buf].v[1].kind, INSPECT_BSIZE);
        assert_int_equal(r->buf[BUF_PAYLOAD].n, 0);
        assert_true(r->app_layer);
        rule_free(r);
    }
    static const struct { const char *kw; int buf; } legacy[] = {
        { "http_uri", BUF_HTTP_URI }, { "http_host", BUF_HTTP_HOST },
        { "http_method", BUF_HTTP_METHOD }, { "http_user_agent", BUF_HTTP_USER_AGENT },
    };
    for (size_t i = 0; i < sizeof legacy / sizeof *legacy; i++) {
        char text[200];
        snprintf(text, sizeof text, RULE("content:\"a\"; content:\"b\"; %s; content:\"c\"; sid:1;"),
                 legacy[i].kw);
        struct rule *r = parse(text);
        assert_non_null(r);
        assert_int_equal(r->buf[legacy[i].buf].n, 1);
        assert_memory_equal(r->buf[legacy[i].buf].v[0].u.content.pat, "b", 1);
        assert_int_equal(r->buf[BUF_PAYLOAD].n, 2);
        rule_free(r);
    }
    struct rule *r = parse(RULE("http.uri; content:\"x\"; pkt_data; content:\"y\"; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->buf[BUF_PAYLOAD].n, 1);
    rule_free(r);
}

static void test_applayer_ndpi(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("app-layer-protocol:!http; app-layer-protocol:tls; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->nchecks, 2);
    assert_true(r->app_layer);
    rule_free(r);
    r = parse(RULE("ndpi-protocol:Tor; ndpi-protocol:!TLS.Google; ndpi-risk:NDPI_CLEAR_TEXT_CREDENTIALS; ndpi-risk:!TLS_SELFSIGNED_CERTIFICATE; sid:1;"));
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(r->nchecks, 4);
    rule_free(r);
    expect_error(RULE("ndpi-protocol:NoSuchThing; sid:1;"), "unknown nDPI protocol 'NoSuchThing'");
    expect_error(RULE("ndpi-risk:NDPI_NOPE; sid:1;"), "unknown nDPI risk 'NDPI_NOPE'");
    expect_error(RULE("app-layer-protocol:nosuch; sid:1;"), "unknown app-layer protocol 'nosuch'");
}

static void test_geoip_without_db(void **state)
{
    (void)state;
    expect_error(RULE("geoip:src,CN,RU; sid:1;"),
                 "geoip needs a country database: set geoip.country-db in the config");
}

static void test_dataset(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("dns.query; dataset:isset,bad-domains,type string; sid:1;"));
    assert_non_null(r);
    assert_int_equal(r->buf[BUF_DNS_QUERY].n, 1);
    const struct inspect *in = &r->buf[BUF_DNS_QUERY].v[0];
    assert_int_equal(in->kind, INSPECT_DATASET);
    assert_int_equal(in->u.dataset.cmd, DATASET_CMD_ISSET);
    assert_int_equal(dataset_get_type(in->u.dataset.ds), DATASET_STRING);
    rule_free(r);
    r = parse(RULE("ip.dst; dataset:set,seen-ips,type ipv4,save x.lst,memcap 10mb; sid:2;"));
    assert_non_null(r);
    assert_int_equal(r->buf[BUF_IP_DST].v[0].u.dataset.cmd, DATASET_CMD_SET);
    assert_false(r->app_layer);
    rule_free(r);
    r = parse(RULE("ja3.hash; dataset:isnotset,ja3-bad, type md5; sid:3;"));
    assert_non_null(r);
    rule_free(r);
    expect_error(RULE("dataset:isset,x,type string; sid:1;"),
                 "dataset needs a sticky buffer (e.g. dns.query, tls.sni, ip.src) before it");
    expect_error(RULE("dns.query; dataset:check,x,type string; sid:1;"),
                 "unknown dataset command 'check' (isset, isnotset, set, unset)");
    expect_error(RULE("dns.query; dataset:isset,x,type blob; sid:1;"),
                 "unknown dataset type 'blob' (string, ipv4, ipv6, md5, sha256)");
    expect_error(RULE("dns.query; dataset:isset,x; sid:1;"), "dataset 'x' needs a type");
}

static void test_threshold(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("threshold:type limit, track by_src, count 1, seconds 60; "
                                "detection_filter:track by_dst, count 3, seconds 10, unique_on dst_port; sid:1;"));
    if (!r)
        fail_msg("%s", err);
    assert_true(r->has_threshold);
    assert_int_equal(r->threshold.kind, THRESHOLD_LIMIT);
    assert_int_equal(r->threshold.track, THRESHOLD_TRACK_BY_SRC);
    assert_int_equal(r->threshold.count, 1);
    assert_int_equal(r->threshold.seconds_usec, 60000000);
    assert_true(r->has_detection_filter);
    assert_int_equal(r->detection_filter.kind, THRESHOLD_DETECTION_FILTER);
    assert_int_equal(r->detection_filter.track, THRESHOLD_TRACK_BY_DST);
    assert_int_equal(r->detection_filter.unique_on, UNIQUE_DST_PORT);
    assert_int_equal(r->detection_filter.count, 3);
    rule_free(r);
}

/* The stream keywords take Suricata's spellings and refuse anything else. */
static void test_stream_keywords(void **state)
{
    (void)state;
    static const char *const good[] = {
        "stream-event:reassembly_seq_gap;", "stream_size:server,<,6;",
        "stream_size:both,!=,0;", "stream_size: either , <= , 4096;",
    };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char text[200];
        snprintf(text, sizeof text, "alert tcp any any -> any any (%s sid:1;)", good[i]);
        struct rule *r = parse(text);
        if (!r)
            fail_msg("%s: %s", good[i], err);
        assert_int_equal(r->nchecks, 1);
        rule_free(r);
    }
    static const char *const bad[] = {
        "stream-event:no_such_event;", "stream_size:server,<;", "stream_size:upstream,<,6;",
        "stream_size:client,=>,6;", "stream_size:client,<,x;", "stream_size:client,<,1,2;",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[200];
        snprintf(text, sizeof text, "alert tcp any any -> any any (%s sid:1;)", bad[i]);
        assert_null(parse(text));
        assert_true(strlen(err) > 0);
    }
    /* tcp-pkt and tcp-stream choose where the payload is looked for */
    struct rule *r = parse("alert tcp-pkt any any -> any any (content:\"a\"; sid:1;)");
    assert_non_null(r);
    assert_int_equal(r->payload_source, RULE_PAYLOAD_PACKET);
    rule_free(r);
    r = parse("alert tcp-stream any any -> any any (content:\"a\"; sid:1;)");
    assert_non_null(r);
    assert_int_equal(r->payload_source, RULE_PAYLOAD_STREAM);
    rule_free(r);
}

static void test_anomaly(void **state)
{
    (void)state;
    struct rule *r = parse("alert tcp $EXTERNAL_NET any -> $HOME_NET any (msg:\"scan\"; anomaly:port_scan, distinct 20, window 60s; sid:9000001;)");
    if (!r)
        fail_msg("%s", err);
    assert_non_null(r->anomaly);
    rule_free(r);
    r = parse(RULE("anomaly:no_such_detector; sid:1;"));
    assert_null(r);
    assert_true(strlen(err) > 0);
    /* The detector's own message, whole: the loader adds the rule's place. */
    expect_error(RULE("anomaly:port_scan, windw 60s; sid:1;"),
                 "anomaly: port_scan has no option 'windw'");
    expect_error(RULE("anomaly:port_scan, window 1s: 2s; sid:1;"),
                 "anomaly: window '1s: 2s' is not a duration (e.g. 500ms, 60s, 10m, 1h, 1d)");
    expect_error(RULE("anomaly:port_scan; anomaly:host_sweep; sid:1;"), "only one anomaly per rule");
}

/* decode-event takes a decoder counter name (Suricata's dot accepted). */
static void test_decode_event(void **state)
{
    (void)state;
    struct rule *r = parse(RULE("decode-event:gre_unsupported; sid:1;"));
    if (!r)
        fail_msg("%s", err);
    rule_free(r);
    r = parse(RULE("decode-event:ipv6.exthdr_too_many; sid:1;"));
    if (!r)
        fail_msg("%s", err);
    rule_free(r);
    r = parse(RULE("decode-event:no_such_event; sid:1;"));
    assert_null(r);
    assert_non_null(strstr(err, "unknown decode-event 'no_such_event'"));
}

/* Every keyword of the table is either set up by one of the tests above
 * or deliberately unsupported; this lists the supported ones once more,
 * each in a minimal valid rule. */
static void test_every_keyword_parses(void **state)
{
    (void)state;
    static const char *const minimal[] = {
        "msg:\"m\";", "sid:1;", "rev:1;", "gid:1;", "classtype:misc-activity;", "priority:1;",
        "metadata:a b;", "reference:cve,2024-1;", "target:src_ip;", "noalert;",
        "flow:to_server;", "flowbits:set,x;", "ip_proto:6;", "ttl:64;", "flags:S;", "dsize:>0;",
        "itype:0;", "icode:0;", "decode-event:ipv6.exthdr_too_many;", "content:\"a\";", "content:\"a\"; nocase;", "content:\"a\"; depth:4;",
        "content:\"a\"; offset:1;", "content:\"a\"; content:\"b\"; distance:0;",
        "content:\"a\"; content:\"b\"; within:4;", "content:\"a\"; startswith;",
        "content:\"a\"; endswith;", "content:\"a\"; fast_pattern;", "http.uri; bsize:>1;",
        "pcre:\"/a/\";", "pkt_data;", "dns.query;", "dns_query;", "tls.sni;", "tls_sni;",
        "tls.cert_subject;", "tls_cert_subject;", "tls.cert_issuer;", "tls_cert_issuer;",
        "http.host;", "http.uri;", "http.method;", "http.user_agent;", "ja3.hash;", "ja3_hash;",
        "ja3s.hash;", "ja3s_hash;", "ip.src;", "ip.dst;", "content:\"a\"; http_host;",
        "content:\"a\"; http_uri;", "content:\"a\"; http_raw_uri;", "content:\"a\"; http_method;",
        "content:\"a\"; http_user_agent;", "app-layer-protocol:dns;", "ndpi-protocol:DNS;",
        "ndpi-risk:NDPI_SUSPICIOUS_DGA_DOMAIN;", "dns.query; dataset:isset,k,type string;",
        "threshold:type both, track by_rule, count 2, seconds 5;",
        "detection_filter:track by_flow, count 2, seconds 5;", "anomaly:host_sweep;",
        "stream-event:reassembly_overlap_different_data;", "stream_size:client,>=,100;",
        /* HTTP transactions */
        "http.uri.raw;", "http.request_line;", "http_request_line;", "http.protocol;",
        "http_protocol;", "http.header;", "http.header.raw;", "http.header_names;",
        "http_header_names;", "http.host.raw;", "http.cookie;", "http.referer;", "http_referer;",
        "http.content_type;", "http_content_type;", "http.content_len;", "http_content_len;",
        "http.accept;", "http_accept;", "http.accept_enc;", "http_accept_enc;",
        "http.accept_lang;", "http_accept_lang;", "http.connection;", "http_connection;",
        "http.start;", "http_start;", "http.request_body;", "http.stat_code;", "http.stat_msg;",
        "http.response_line;", "http_response_line;", "http.location;", "http.server;",
        "http.response_body;", "file_data;", "file.data;", "content:\"a\"; http_header;",
        "content:\"a\"; http_raw_header;", "content:\"a\"; http_raw_host;",
        "content:\"a\"; http_cookie;", "content:\"a\"; http_client_body;",
        "content:\"a\"; http_server_body;", "content:\"a\"; http_stat_code;",
        "content:\"a\"; http_stat_msg;", "urilen:>10;", "urilen:5<>20,raw;", "uricontent:\"a\";",
        "app-layer-event:http.missing_host_header;",
        /* payload numbers and base64 (values in test_payload_keywords.c) */
        "isdataat:1;", "byte_test:1,>,1,0;", "byte_jump:1,0;", "byte_extract:1,0,v;",
        "byte_math:bytes 1, offset 0, oper +, rvalue 1, result r;", "base64_decode;",
        "base64_decode; base64_data;", "content:\"a\"; rawbytes;",
        /* DNS, TLS/TLCP, SSH (kw_proto.c, kw_buffers.c) */
        "dns.answer.name;", "dns.queries.rrname;", "dns.opcode:4;", "dns.rcode:NXDOMAIN;",
        "dns.rrtype:HTTPS;", "tls.cert_serial;", "tls_cert_serial;", "tls.cert_fingerprint;",
        "tls_cert_fingerprint;", "tls.cipher_suite;", "ja3.string;", "ja3s.string;", "ja4.hash;",
        "tls.version:1.2;", "ssl_version:tls1.2,!tlcp;", "ssl_state:client_hello|server_hello;",
        "tls_cert_expired;", "tls_cert_valid;", "tls.cert_self_signed;",
        "tls_cert_notbefore:<2020-01-01;", "tls.cert_notbefore:2019-01-01<>2020-01-01;",
        "tls_cert_notafter:>2030;", "tls.cert_notafter:2030-06-01T12:00:00;",
        "tls.cert_chain_len:>2;", "ssh.proto;", "ssh_proto;", "ssh.software;", "ssh_software;",
        "ssh.protoversion:2_compat;", "ssh.softwareversion:OpenSSH_9.2p1;", "ssh.hassh;",
        "ssh.hassh.string;", "ssh.hassh.server;", "ssh.hassh.server.string;",
    };
    for (size_t k = 0; k < keyword_count(); k++) {
        const struct keyword *kw = keyword_at(k);
        if (!kw->setup || strcmp(kw->name, "geoip") == 0)
            continue;       /* unsupported; geoip needs a database (own test) */
        bool covered = false;
        for (size_t i = 0; i < sizeof minimal / sizeof *minimal && !covered; i++) {
            char needle[64];
            snprintf(needle, sizeof needle, "%s%s", kw->name, kw->value == KW_VALUE_NONE ? ";" : "");
            const char *hit = strstr(minimal[i], needle);
            covered = hit && (hit == minimal[i] || hit[-1] == ' ') &&
                      (kw->value == KW_VALUE_NONE || hit[strlen(kw->name)] == ':' ||
                       hit[strlen(kw->name)] == ';');
        }
        if (!covered)
            fail_msg("keyword '%s' has no parse test", kw->name);
    }
    for (size_t i = 0; i < sizeof minimal / sizeof *minimal; i++) {
        char text[300];
        snprintf(text, sizeof text, "alert tcp any any -> any any (%s%s)", minimal[i],
                 strstr(minimal[i], "sid:") ? "" : " sid:1;");
        struct rule *r = parse(text);
        if (!r)
            fail_msg("%s: %s", text, err);
        rule_free(r);
    }
}

/* --- errors -------------------------------------------------------------------------------------- */

static void test_errors(void **state)
{
    (void)state;
    expect_error(RULE("msg:\"unterminated; sid:1;"), "unbalanced quotes in option 'msg'");
    expect_error(RULE("content:\"abc; sid:1;"), "unbalanced quotes in option 'content'");
    expect_error(RULE("content:\"|4G|\"; sid:1;"), "invalid hex character 'G' in content");
    expect_error(RULE("content:\"|414|\"; sid:1;"), "incomplete hex byte in content");
    expect_error(RULE("content:\"|41\"; sid:1;"), "unterminated hex block in content (missing '|')");
    expect_error(RULE("content:\"\"; sid:1;"), "keyword 'content' needs a value");
    expect_error(RULE("content:\"|  |\"; sid:1;"), "empty content");
    expect_error(RULE("frobnicate:1; sid:1;"), "keyword 'frobnicate' is not supported");
    expect_error(RULE("xbits:set,x,track ip_src; sid:1;"), "keyword 'xbits' is not supported");
    expect_error(RULE("msg:\"no sid\";"), "missing sid");
    expect_error(RULE("sid:0;"), "invalid sid '0'");
    expect_error(RULE("sid:abc;"), "invalid sid 'abc'");
    expect_error(RULE("sid:1"), "option 'sid' must end with ';'");
    expect_error("alert tcp any any -> any any (sid:1;", "rule options must end with ')'");
    expect_error("alert tcp any any -> any any", "rule has no options: expected '(' after the header");
    expect_error("alert tcp any any any any (sid:1;)",
                 "rule header needs 7 fields (action protocol source port direction destination port), found 6");
    expect_error("block tcp any any -> any any (sid:1;)", "unknown action 'block'");
    expect_error("alert foo any any -> any any (sid:1;)", "unknown protocol 'foo'");
    expect_error("alert tcp any any <- any any (sid:1;)", "invalid direction '<-' (use -> or <>)");
    expect_error("alert tcp 10.0.0.300 any -> any any (sid:1;)", "invalid address '10.0.0.300'");
    expect_error("alert tcp any 70000 -> any any (sid:1;)", "invalid port '70000'");
    expect_error("alert tcp $NOPE any -> any any (sid:1;)", "undefined variable '$NOPE'");
    expect_error("alert tcp [10.0.0.1,10.0.0.2 any -> any any (sid:1;)",
                 "unbalanced brackets in the rule header");
    expect_error("alert tcp [10.0.0.1,[10.0.0.2]]] any -> any any (sid:1;)",
                 "unbalanced brackets in the rule header");
    expect_error(RULE("depth:4; sid:1;"), "'depth' needs a preceding content");
    expect_error(RULE("nocase; sid:1;"), "'nocase' needs a preceding content");
    expect_error(RULE("content:\"abcdef\"; depth:3; sid:1;"),
                 "depth 3 is smaller than the content length 6");
    expect_error(RULE("content:\"a\"; content:\"b\"; offset:1; distance:2; sid:1;"),
                 "'distance' cannot be mixed with absolute (offset, depth, startswith) modifiers on one content");
    expect_error(RULE("nocase:1; content:\"a\"; sid:1;"), "keyword 'nocase' takes no value");
    expect_error(RULE("sid:; "), "keyword 'sid' needs a value");
    expect_error(RULE("pcre:\"/a(/\"; sid:1;"),
                 "pcre does not compile at offset 2: missing closing parenthesis");
    expect_error(RULE("pcre:\"/a/z\"; sid:1;"), "unknown pcre modifier 'z'");
    expect_error(RULE("pcre:\"abc\"; sid:1;"), "pcre must look like \"/regex/flags\"");
    expect_error(RULE("classtype:no-such-class; sid:1;"), "unknown classtype 'no-such-class'");
    expect_error(RULE("flow:sideways; sid:1;"), "unknown flow option 'sideways'");
    expect_error(RULE("flow:to_server,to_client; sid:1;"), "flow cannot be both to_server and to_client");
    expect_error(RULE("flowbits:frob,x; sid:1;"), "unknown flowbits command 'frob'");
    expect_error(RULE("flowbits:set; sid:1;"), "flowbits:set needs a name");
    expect_error(RULE("ttl:abc; sid:1;"), "invalid ttl 'abc'");
    expect_error(RULE("flags:XYZ; sid:1;"), "invalid flags 'XYZ'");
    expect_error(RULE("metadata:lonely; sid:1;"), "metadata entry 'lonely' is not 'key value'");
    expect_error(RULE("bsize:10; sid:1;"), "bsize needs a sticky buffer before it");
    assert_null(parse(RULE("threshold:type limit; sid:1;")));
    assert_memory_equal(err, "threshold: ", 11);
}

/* --- the loader ------------------------------------------------------------------------------------ */

static void test_loader(void **state)
{
    (void)state;
    char path[] = "/tmp/xiezhi-rules-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# comment\n"
          "\n"
          "alert tcp any any -> any any (msg:\"one\"; sid:1;)\n"
          "alert tcp any any -> any any (msg:\"dup\"; sid:1;)\n"
          "alert tcp any any -> any any (msg:\"bad\"; lua:x.lua; sid:2;)\n"
          "alert tcp any any -> any any (msg:\"multi\"; \\\n"
          "    content:\"x\"; sid:3;)\n"
          "drop tcp any any -> any any (sid:4;)\n"
          "reject tcp any any -> any any (sid:5;)\n"
          "alert tcp any any -> any any (msg:\"last\"; sid:6;)\n", f);
    fclose(f);
    const char *files[] = { path };
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .rule_files = files, .nrule_files = 1,
                                        .classification_file = "rules/classification.config" };
    struct detect_engine *e = detect_engine_load(&cfg, &diag);
    assert_non_null(e);
    const struct detect_engine_stats *st = detect_engine_stats(e);
    assert_int_equal(st->rules_loaded, 5);
    assert_int_equal(st->rules_failed, 2);
    assert_int_equal(diag.errors, 2);
    assert_int_equal(diag.warnings, 1);     /* one passive warning for drop and reject */
    char expect[300];
    snprintf(expect, sizeof expect, "%s:8: drop/reject act as alert: xiezhi is a passive sensor", path);
    assert_string_equal(diag.last, expect);
    detect_engine_free(e);

    /* the messages, one by one */
    f = fopen(path, "w");
    fputs("alert tcp any any -> any any (sid:1;)\nalert tcp any any -> any any (sid:1;)\n", f);
    fclose(f);
    memset(&diag, 0, sizeof diag);
    diag.quiet = 1;
    e = detect_engine_load(&cfg, &diag);
    snprintf(expect, sizeof expect, "%s:2: duplicate sid 1 (first defined at %s:1)", path, path);
    assert_string_equal(diag.last, expect);
    detect_engine_free(e);

    f = fopen(path, "w");
    fputs("alert tcp any any -> any any (sid:1; foo;)\n", f);
    fclose(f);
    memset(&diag, 0, sizeof diag);
    diag.quiet = 1;
    e = detect_engine_load(&cfg, &diag);
    snprintf(expect, sizeof expect, "%s:1: keyword 'foo' is not supported", path);
    assert_string_equal(diag.last, expect);
    detect_engine_free(e);
    unlink(path);

    const char *missing[] = { "/nonexistent/x.rules" };
    cfg.rule_files = missing;
    memset(&diag, 0, sizeof diag);
    diag.quiet = 1;
    e = detect_engine_load(&cfg, &diag);
    assert_non_null(e);
    assert_string_equal(diag.last, "/nonexistent/x.rules: cannot open rule file");
    detect_engine_free(e);
}

/* Without its file the standard classtypes are still there: a warning,
 * not an error, and a rule with classtype:trojan-activity keeps loading. */
static void test_classification_builtin(void **state)
{
    (void)state;
    struct diag diag = { .quiet = 1 };
    struct classification *c = classification_load("/nonexistent/classification.config", &diag);
    assert_non_null(c);
    assert_int_equal(diag.errors, 0);
    assert_int_equal(diag.warnings, 1);
    const char *desc;
    int prio;
    assert_true(classification_find(c, "trojan-activity", &desc, &prio));
    assert_string_equal(desc, "A Network Trojan was detected");
    assert_int_equal(prio, 1);
    assert_true(classification_find(c, "tcp-connection", &desc, &prio));
    assert_int_equal(prio, 4);
    assert_false(classification_find(c, "nope", &desc, &prio));
    classification_free(c);
}

static void test_classification_file(void **state)
{
    (void)state;
    struct diag diag = { .quiet = 1 };
    struct classification *c = classification_load("rules/classification.config", &diag);
    assert_int_equal(diag.errors, 0);
    const char *desc;
    int prio;
    assert_true(classification_find(c, "coin-mining", &desc, &prio));
    assert_string_equal(desc, "Crypto Currency Mining Activity Detected");
    assert_int_equal(prio, 2);
    assert_true(classification_find(c, "policy-violation", &desc, &prio));
    assert_int_equal(prio, 1);
    assert_true(classification_find(c, "tcp-connection", &desc, &prio));
    assert_int_equal(prio, 4);
    assert_false(classification_find(c, "nope", &desc, &prio));
    classification_free(c);
}

/* The default pack loads without a single error. */
static void test_default_pack(void **state)
{
    (void)state;
    const char *files[] = { "rules/extranet.rules", "rules/ioc.rules" };
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .rule_files = files, .nrule_files = 2,
                                        .classification_file = "rules/classification.config" };
    struct detect_engine *e = detect_engine_load(&cfg, &diag);
    assert_non_null(e);
    if (diag.errors)
        fail_msg("%zu errors, last: %s", diag.errors, diag.last);
    assert_true(detect_engine_stats(e)->rules_loaded >= 20);
    detect_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_basic),
        cmocka_unit_test(test_header_variables_negation),
        cmocka_unit_test(test_header_protocols),
        cmocka_unit_test(test_drop_is_alert),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_flow),
        cmocka_unit_test(test_flowbits),
        cmocka_unit_test(test_packet_keywords),
        cmocka_unit_test(test_content),
        cmocka_unit_test(test_pcre),
        cmocka_unit_test(test_sticky_buffers),
        cmocka_unit_test(test_applayer_ndpi),
        cmocka_unit_test(test_geoip_without_db),
        cmocka_unit_test(test_dataset),
        cmocka_unit_test(test_threshold),
        cmocka_unit_test(test_anomaly), cmocka_unit_test(test_decode_event),
        cmocka_unit_test(test_stream_keywords),
        cmocka_unit_test(test_every_keyword_parses),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_loader),
        cmocka_unit_test(test_classification_file),
        cmocka_unit_test(test_classification_builtin),
        cmocka_unit_test(test_default_pack),
    };
    return cmocka_run_group_tests(tests, setup_engine, teardown_engine);
}
