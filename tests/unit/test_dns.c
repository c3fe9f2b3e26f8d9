/* DNS parser: every record type of pcaps/proto_dns_udp.pcap with its
 * values, the same events from the TCP capture (several messages per
 * segment, messages split across segments) and from byte-at-a-time feeding,
 * query/response pairing, the EVE v3 object, and hostile messages
 * (compression loops, forward pointers, long names, short records, bad TCP
 * framing) ending in counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "applayer/dns/dns.h"
#include "applayer/dns/dns_eve.h"
#include "proto_pcap.h"

#define MAX_EVENTS 64

/* What the sink saw: one EVE "dns" object per message, and copies of the
 * response records for value checks. */
struct seen {
    size_t n;
    char *json[MAX_EVENTS];
    bool response[MAX_EVENTS];
    uint16_t id[MAX_EVENTS];
    bool paired[MAX_EVENTS];
};

static void on_message(void *ctx, const struct dns_tx *tx, enum flow_direction dir)
{
    (void)dir;
    struct seen *s = ctx;
    assert_true(s->n < MAX_EVENTS);
    struct json_writer w;
    json_init(&w);
    json_object_begin(&w, NULL);
    bool response = tx->response != NULL;
    struct dns_eve_options opt = DNS_EVE_DEFAULTS;
    assert_true(dns_eve_write(&w, tx, response, &opt));
    json_object_end(&w);
    assert_true(json_ok(&w));
    s->json[s->n] = strdup(w.buf);
    s->response[s->n] = response;
    s->id[s->n] = tx->id;
    s->paired[s->n] = tx->query && tx->response;
    s->n++;
    json_free(&w);
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->json[i]);
    memset(s, 0, sizeof *s);
}

static void run_capture(const char *path, struct seen *seen, struct dns_counters *counters,
                        bool byte_at_a_time)
{
    struct capture cap;
    assert_int_equal(capture_load(path, &cap), 0);
    assert_true(cap.n > 0);
    struct dns_state st;
    struct dns_sink sink = { on_message, seen };
    dns_state_init(&st, &sink);
    for (size_t i = 0; i < cap.n; i++) {
        struct segment *sg = &cap.seg[i];
        enum flow_direction dir = sg->toserver ? FLOW_TOSERVER : FLOW_TOCLIENT;
        if (sg->udp)
            assert_int_equal(dns_parse_udp(&st, dir, sg->data, sg->len), 0);
        else if (!byte_at_a_time)
            assert_int_equal(dns_parse_tcp(&st, dir, sg->data, sg->len, 0), 0);
        else
            for (uint32_t k = 0; k < sg->len; k++)
                assert_int_equal(dns_parse_tcp(&st, dir, sg->data + k, 1, 0), 0);
    }
    dns_state_free(&st);
    *counters = st.counters;
    capture_free(&cap);
}

static const char *find_json(const struct seen *s, uint16_t id, bool response)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->id[i] == id && s->response[i] == response)
            return s->json[i];
    fail_msg("no %s for id %#x", response ? "response" : "request", id);
    return "";
}

static void assert_has(const char *json, const char *part)
{
    if (!strstr(json, part))
        fail_msg("%s\n  does not contain\n%s", json, part);
}

static void udp_every_type(void **state)
{
    (void)state;
    struct seen s = { 0 };
    struct dns_counters c;
    run_capture("pcaps/proto_dns_udp.pcap", &s, &c, false);
    assert_int_equal(s.n, 26);
    assert_int_equal(c.messages, 26);
    assert_int_equal(c.queries, 13);
    assert_int_equal(c.responses, 13);
    assert_int_equal(c.txs, 13);
    assert_int_equal(c.unsolicited, 0);
    assert_int_equal(c.unanswered, 0);
    for (int k = 0; k < DNS_MALFORMED_KINDS; k++)
        assert_int_equal(c.malformed[k], 0);
    for (size_t i = 0; i < s.n; i++)
        if (s.response[i])
            assert_true(s.paired[i]);

    /* A request, whole. */
    assert_string_equal(find_json(&s, 0x1001, false),
                        "{\"dns\":{\"version\":3,\"type\":\"request\",\"tx_id\":0,\"id\":4097,"
                        "\"flags\":\"100\",\"rd\":true,\"opcode\":0,\"queries\":[{\"rrname\":"
                        "\"www.gov.example.cn\",\"rrtype\":\"A\"}]}}");
    /* A response with a CNAME chain, whole. */
    assert_string_equal(find_json(&s, 0x1003, true),
                        "{\"dns\":{\"version\":3,\"type\":\"response\",\"tx_id\":2,\"id\":4099,"
                        "\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,"
                        "\"rcode\":\"NOERROR\",\"rrname\":\"portal.gov.example.cn\",\"rrtype\":\"A\","
                        "\"queries\":[{\"rrname\":\"portal.gov.example.cn\",\"rrtype\":\"A\"}],"
                        "\"answers\":[{\"rrname\":\"portal.gov.example.cn\",\"rrtype\":\"CNAME\","
                        "\"ttl\":60,\"rdata\":\"www.gov.example.cn\"},{\"rrname\":"
                        "\"www.gov.example.cn\",\"rrtype\":\"A\",\"ttl\":300,\"rdata\":"
                        "\"192.0.2.10\"}],\"grouped\":{\"CNAME\":[\"www.gov.example.cn\"],"
                        "\"A\":[\"192.0.2.10\"]}}}");
    /* Every other type's rdata. */
    assert_has(find_json(&s, 0x1002, true), "\"rrtype\":\"AAAA\",\"ttl\":300,\"rdata\":\"2001:db8::10\"");
    assert_has(find_json(&s, 0x1004, true), "\"grouped\":{\"MX\":[\"mail.gov.example.cn\",\"mx2.gov.example.cn\"]}");
    assert_has(find_json(&s, 0x1005, true), "\"NS\":[\"ns1.gov.example.cn\",\"ns2.gov.example.cn\"]");
    assert_has(find_json(&s, 0x1006, true),
               "{\"rrname\":\"10.2.0.192.in-addr.arpa\",\"rrtype\":\"PTR\",\"ttl\":600,\"rdata\":\"www.gov.example.cn\"}");
    assert_has(find_json(&s, 0x1007, true),
               "\"soa\":{\"mname\":\"ns1.gov.example.cn\",\"rname\":\"hostmaster.gov.example.cn\","
               "\"serial\":2027122801,\"refresh\":7200,\"retry\":900,\"expire\":1209600,\"minimum\":300}");
    assert_has(find_json(&s, 0x1008, true),
               "\"srv\":{\"priority\":0,\"weight\":100,\"port\":389,\"name\":\"dc1.gov.example.cn\"}");
    assert_has(find_json(&s, 0x1009, true), "\"rdata\":\"v=spf1 ip4:192.0.2.0/24 -all\"");
    assert_has(find_json(&s, 0x100A, true),
               "\"rrtype\":\"HTTPS\",\"ttl\":300,\"rdata\":\"1 . alpn=h2,h3 port=443 ipv4hint=192.0.2.10\"");
    /* Suricata's schema has no "grouped" array for HTTPS/SVCB */
    assert_null(strstr(find_json(&s, 0x100A, true), "\"grouped\""));
    assert_has(find_json(&s, 0x100B, true),
               "\"rrtype\":\"SVCB\",\"ttl\":300,\"rdata\":\"1 dns.gov.example.cn alpn=dot port=853\"");
    /* NULL rdata is bytes: the NUL and 0xff escaped, never cut. */
    assert_has(find_json(&s, 0x100C, true), "\"rdata\":\"\\u0000\\u0001binary\\u00ff\"");
    /* NXDOMAIN with the zone's SOA in the authority section. */
    const char *nx = find_json(&s, 0x100D, true);
    assert_has(nx, "\"flags\":\"8183\"");
    assert_has(nx, "\"rcode\":\"NXDOMAIN\"");
    assert_has(nx, "\"authorities\":[{\"rrname\":\"gov.example.cn\",\"rrtype\":\"SOA\"");
    assert_null(strstr(nx, "\"answers\""));
    seen_free(&s);
}

/* TCP: the same messages as UDP give the same events, however the stream is cut. */
static void tcp_same_as_udp(void **state)
{
    (void)state;
    struct seen u = { 0 }, t = { 0 }, b = { 0 };
    struct dns_counters cu, ct, cb;
    run_capture("pcaps/proto_dns_udp.pcap", &u, &cu, false);
    run_capture("pcaps/proto_dns_tcp.pcap", &t, &ct, false);
    run_capture("pcaps/proto_dns_tcp.pcap", &b, &cb, true);
    assert_int_equal(t.n, u.n);
    assert_int_equal(b.n, u.n);
    for (size_t i = 0; i < u.n; i++) {
        assert_string_equal(find_json(&t, u.id[i], u.response[i]), u.json[i]);
        assert_string_equal(find_json(&b, u.id[i], u.response[i]), u.json[i]);
    }
    assert_memory_equal(&ct, &cu, sizeof cu);
    assert_memory_equal(&cb, &cu, sizeof cu);
    seen_free(&u);
    seen_free(&t);
    seen_free(&b);
}

/* ---- crafted messages ---- */

static size_t header(uint8_t *m, uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
    const uint8_t h[12] = { (uint8_t)(id >> 8), (uint8_t)id, (uint8_t)(flags >> 8), (uint8_t)flags,
                            0, (uint8_t)qd, 0, (uint8_t)an, 0, 0, 0, 0 };
    memcpy(m, h, 12);
    return 12;
}

static int parse_one(const uint8_t *m, size_t len)
{
    struct dns_message msg;
    memset(&msg, 0, sizeof msg);
    int rc = dns_message_parse(&msg, m, len);
    dns_message_clear(&msg);
    return rc;
}

static void hostile_names(void **state)
{
    (void)state;
    uint8_t m[1024];
    /* A pointer to itself. */
    size_t n = header(m, 1, 0x0100, 1, 0);
    m[n++] = 0xC0;
    m[n++] = 12;
    memcpy(m + n, "\0\1\0\1", 4);
    assert_int_equal(parse_one(m, n + 4), DNS_BAD_POINTER + 1);
    /* Two names pointing at each other: the second's pointer goes forward. */
    n = header(m, 1, 0x0100, 2, 0);
    const uint8_t loop[] = { 1, 'a', 0xC0, 20, 0, 1, 0, 1, 1, 'b', 0xC0, 12, 0, 1, 0, 1 };
    memcpy(m + n, loop, sizeof loop);
    assert_int_equal(parse_one(m, n + sizeof loop), DNS_BAD_POINTER + 1);
    /* A name of 300 characters. */
    n = header(m, 1, 0x0100, 1, 0);
    for (int i = 0; i < 5; i++) {
        m[n++] = 60;
        memset(m + n, 'x', 60);
        n += 60;
    }
    m[n++] = 0;
    memcpy(m + n, "\0\1\0\1", 4);
    assert_int_equal(parse_one(m, n + 4), DNS_BAD_NAME + 1);
    /* A label running past the end; an extended label type. */
    n = header(m, 1, 0x0100, 1, 0);
    m[n++] = 40;
    memcpy(m + n, "short", 5);
    assert_int_equal(parse_one(m, n + 5), DNS_BAD_NAME + 1);
    n = header(m, 1, 0x0100, 1, 0);
    m[n++] = 0x41;
    assert_int_equal(parse_one(m, n + 4), DNS_BAD_NAME + 1);
    /* The longest name that fits: 253 characters is fine. */
    n = header(m, 1, 0x0100, 1, 0);
    for (int i = 0; i < 4; i++) {
        m[n++] = 62;
        memset(m + n, 'y', 62);
        n += 62;
    }
    m[n++] = 1;
    m[n++] = 'z';
    m[n++] = 0;
    memcpy(m + n, "\0\1\0\1", 4);
    struct dns_message msg;
    memset(&msg, 0, sizeof msg);
    assert_int_equal(dns_message_parse(&msg, m, n + 4), 0);
    assert_int_equal(strlen(msg.queries[0].rrname), 4 * 62 + 4 + 1);
    dns_message_clear(&msg);
}

static void hostile_records(void **state)
{
    (void)state;
    uint8_t m[256] = { 0 };
    assert_int_equal(parse_one(m, 11), DNS_BAD_HEADER + 1);
    /* An A record with 5 bytes of rdata; rdata length past the end. */
    size_t n = header(m, 2, 0x8180, 0, 1);
    const uint8_t a5[] = { 0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5 };
    memcpy(m + n, a5, sizeof a5);
    assert_int_equal(parse_one(m, n + sizeof a5), DNS_BAD_RECORD + 1);
    assert_int_equal(parse_one(m, n + sizeof a5 - 2), DNS_BAD_RECORD + 1);
    /* A CNAME whose name runs past its rdata. */
    n = header(m, 2, 0x8180, 0, 1);
    const uint8_t cname[] = { 0, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 3, 'a', 'b', 'c', 0 };
    memcpy(m + n, cname, sizeof cname);
    assert_int_equal(parse_one(m, n + sizeof cname), DNS_BAD_RECORD + 1);
    /* A TXT string longer than its rdata. */
    n = header(m, 2, 0x8180, 0, 1);
    const uint8_t txt[] = { 0, 0, 16, 0, 1, 0, 0, 0, 60, 0, 3, 9, 'a', 'b' };
    memcpy(m + n, txt, sizeof txt);
    assert_int_equal(parse_one(m, n + sizeof txt), DNS_BAD_RECORD + 1);
    /* qdcount 65535 with one question's bytes: a clean failure. */
    n = header(m, 3, 0x0100, 0, 0);
    m[4] = m[5] = 0xFF;
    memcpy(m + n, "\0\0\1\0\1", 5);
    assert_int_equal(parse_one(m, n + 5), DNS_BAD_NAME + 1);
}

static void pairing_and_limits(void **state)
{
    (void)state;
    struct seen s = { 0 };
    struct dns_sink sink = { on_message, &s };
    struct dns_state st;
    dns_state_init(&st, &sink);
    uint8_t m[64];
    /* A response first: unsolicited, logged on its own. */
    size_t n = header(m, 7, 0x8180, 0, 0);
    assert_int_equal(dns_parse_udp(&st, FLOW_TOCLIENT, m, n), 0);
    assert_int_equal(st.counters.unsolicited, 1);
    assert_false(s.paired[0]);
    /* 40 queries, none answered: the oldest 8 pushed out, 32 left at the end. */
    for (int i = 0; i < 40; i++) {
        n = header(m, (uint16_t)(100 + i), 0x0100, 0, 0);
        assert_int_equal(dns_parse_udp(&st, FLOW_TOSERVER, m, n), 0);
    }
    assert_int_equal(st.counters.unanswered, 8);
    /* The answer to the newest pairs with it. */
    n = header(m, 139, 0x8180, 0, 0);
    assert_int_equal(dns_parse_udp(&st, FLOW_TOCLIENT, m, n), 0);
    assert_true(s.paired[s.n - 1]);
    assert_int_equal(st.counters.unsolicited, 1);
    /* An answer to a query pushed out is unsolicited. */
    n = header(m, 100, 0x8180, 0, 0);
    assert_int_equal(dns_parse_udp(&st, FLOW_TOCLIENT, m, n), 0);
    assert_int_equal(st.counters.unsolicited, 2);
    dns_state_free(&st);
    assert_int_equal(st.counters.unanswered, 8 + 31);
    assert_int_equal(st.counters.txs, 1 + 40 + 1);
    seen_free(&s);
}

static void tcp_framing(void **state)
{
    (void)state;
    struct dns_state st;
    dns_state_init(&st, NULL);
    /* A zero length prefix stops the direction; the other goes on. */
    const uint8_t zero[] = { 0, 0, 1, 2, 3 };
    assert_int_equal(dns_parse_tcp(&st, FLOW_TOSERVER, zero, sizeof zero, 0), -1);
    assert_int_equal(st.counters.malformed[DNS_BAD_TCP_LENGTH], 1);
    assert_int_equal(dns_parse_tcp(&st, FLOW_TOSERVER, zero, sizeof zero, 0), -1);
    /* A malformed message inside good framing is counted and skipped. */
    uint8_t two[2 + 5 + 2 + 12];
    two[0] = 0;
    two[1] = 5;
    memset(two + 2, 0xEE, 5);
    two[7] = 0;
    two[8] = 12;
    header(two + 9, 9, 0x0100, 0, 0);
    assert_int_equal(dns_parse_tcp(&st, FLOW_TOCLIENT, two, sizeof two, 0), 0);
    assert_int_equal(st.counters.malformed[DNS_BAD_HEADER], 1);
    assert_int_equal(st.counters.queries, 1);
    /* A gap loses the framing for good. */
    assert_int_equal(dns_parse_tcp(&st, FLOW_TOCLIENT, two, sizeof two, PDU_CHUNK_GAP), -1);
    assert_int_equal(st.counters.malformed[DNS_BAD_TCP_LENGTH], 2);
    dns_state_free(&st);
}

static void type_names(void **state)
{
    (void)state;
    char buf[8];
    assert_string_equal(dns_rrtype_name(65, buf), "HTTPS");
    assert_string_equal(dns_rrtype_name(64, buf), "SVCB");
    assert_string_equal(dns_rrtype_name(10, buf), "NULL");
    assert_string_equal(dns_rrtype_name(4242, buf), "4242");
    assert_string_equal(dns_rcode_name(3, buf), "NXDOMAIN");
    assert_string_equal(dns_rcode_name(15, buf), "15");
    assert_int_equal(dns_rrtype_parse("aaaa"), 28);
    assert_int_equal(dns_rrtype_parse("257"), 257);
    assert_int_equal(dns_rrtype_parse("bogus"), -1);
    assert_int_equal(dns_rrtype_parse("70000"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_every_type),
        cmocka_unit_test(tcp_same_as_udp),
        cmocka_unit_test(hostile_names),
        cmocka_unit_test(hostile_records),
        cmocka_unit_test(pairing_and_limits),
        cmocka_unit_test(tcp_framing),
        cmocka_unit_test(type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
