/* The DNS, TLS and SSH rows of the app-layer registry, driven through the
 * framework (applayer.h) as the worker drives it: the probes choose the
 * parser from the first bytes (no nDPI here), chunks and datagrams go in,
 * transactions come out complete (or at flow end), are logged once with
 * the protocol's EVE members, give detection their buffers, and are freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ndpi_api.h>

#include "applayer/applayer.h"
#include "classify/result.h"
#include "config/config.h"
#include "stream/stream.h"
#include "proto_pcap.h"

#define MAX_LOGS 64
#define MAX_FLOWS 4

struct logs {
    size_t n;
    char *json[MAX_LOGS];
    bool at_end[MAX_LOGS];
    char buf[MAX_LOGS][8][160];         /* the buffers below, by slot */
    bool flow_end;
    struct applayer *al;
};

static void keep_buffer(struct logs *l, const struct applayer_parser *p, void *state,
                        const struct applayer_tx *tx, enum detect_buffer b, int slot)
{
    const uint8_t *data;
    uint32_t len;
    if (p->get_buffer && p->get_buffer(state, tx, b, FLOW_TOSERVER, &data, &len)) {
        assert_true(len < 160);
        memcpy(l->buf[l->n][slot], data, len);
        l->buf[l->n][slot][len] = '\0';
    }
}

static void on_log(void *ctx, const struct flow *flow, const struct applayer_parser *p,
                   void *state, const struct applayer_tx *tx)
{
    (void)flow;
    struct logs *l = ctx;
    assert_true(l->n < MAX_LOGS);
    struct json_writer w;
    json_init(&w);
    json_object_begin(&w, NULL);
    json_object_begin(&w, p->name);
    p->eve_write(applayer_settings(l->al, p->proto), state, tx, &w);
    json_object_end(&w);
    if (p->eve_write_beside)
        p->eve_write_beside(applayer_settings(l->al, p->proto), state, tx, &w);
    json_object_end(&w);
    assert_true(json_ok(&w));
    l->json[l->n] = strdup(w.buf);
    l->at_end[l->n] = l->flow_end;
    keep_buffer(l, p, state, tx, BUF_DNS_QUERY, 0);
    keep_buffer(l, p, state, tx, BUF_TLS_SNI, 1);
    keep_buffer(l, p, state, tx, BUF_JA3_HASH, 2);
    keep_buffer(l, p, state, tx, BUF_TLS_CERT_SUBJECT, 3);
    keep_buffer(l, p, state, tx, BUF_TLS_CIPHER_SUITE, 4);
    keep_buffer(l, p, state, tx, BUF_JA4_HASH, 5);
    keep_buffer(l, p, state, tx, BUF_DNS_ANSWER_NAME, 6);
    keep_buffer(l, p, state, tx, BUF_SSH_SOFTWARE, 7);
    l->n++;
    json_free(&w);
}

/* Runs a capture through a fresh framework; returns the protocol chosen for
 * each flow in protos (by order of first packet). */
static void run(const char *path, struct logs *l, enum applayer_proto *protos, size_t *nflows)
{
    struct config *cfg = config_new();
    struct diag diag = { .quiet = 1 };
    struct applayer *al = applayer_new(cfg, NULL, &diag);
    assert_non_null(al);
    memset(l, 0, sizeof *l);
    l->al = al;
    struct capture cap;
    assert_int_equal(capture_load(path, &cap), 0);
    struct flow flows[MAX_FLOWS];
    uint16_t ports[MAX_FLOWS];
    uint64_t offsets[MAX_FLOWS][2];     /* next stream offset per direction */
    size_t n = 0;
    memset(offsets, 0, sizeof offsets);
    memset(flows, 0, sizeof flows);
    for (size_t i = 0; i < cap.n; i++) {
        struct segment *sg = &cap.seg[i];
        size_t k = 0;
        while (k < n && ports[k] != sg->client_port)
            k++;
        if (k == n) {
            assert_true(n < MAX_FLOWS);
            ports[n] = sg->client_port;
            flows[n].proto = sg->udp ? 17 : 6;
            n++;
        }
        enum flow_direction dir = sg->toserver ? FLOW_TOSERVER : FLOW_TOCLIENT;
        if (sg->udp)
            applayer_on_datagram(al, &flows[k], dir, sg->data, sg->len, sg->ts_usec);
        else {
            /* the generated captures have no loss or reordering: each
             * segment is the next chunk of its direction */
            struct applayer_chunk c = { dir, sg->data, sg->len, offsets[k][dir], 0 };
            offsets[k][dir] += sg->len;
            applayer_on_chunk(al, &flows[k], &c, sg->ts_usec);
        }
        applayer_after_detect(al, &flows[k], false, on_log, l);
    }
    l->flow_end = true;
    for (size_t k = 0; k < n; k++) {
        protos[k] = flows[k].applayer ? flows[k].applayer->proto : APPLAYER_NONE;
        applayer_after_detect(al, &flows[k], true, on_log, l);
        if (flows[k].applayer && flows[k].applayer->parser)
            assert_int_equal(flows[k].applayer->parser->tx_count(flows[k].applayer->state), 0);
        applayer_flow_free(al, &flows[k]);
    }
    *nflows = n;
    capture_free(&cap);
    applayer_free(al);
    config_free(cfg);
}

static void logs_free(struct logs *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->json[i]);
}

static void assert_has(const char *json, const char *part)
{
    if (!strstr(json, part))
        fail_msg("%s\n  does not contain\n%s", json, part);
}

/* Index of the dns event of tx_id of that type ("request"/"response"); fails
 * unless exactly one. */
static size_t dns_event(const struct logs *l, unsigned tx_id, const char *type)
{
    char want_type[32], want_id[32];
    snprintf(want_type, sizeof want_type, "\"type\":\"%s\"", type);
    snprintf(want_id, sizeof want_id, "\"tx_id\":%u,", tx_id);
    size_t found = l->n, count = 0;
    for (size_t i = 0; i < l->n; i++)
        if (strstr(l->json[i], want_type) && strstr(l->json[i], want_id)) {
            found = i;
            count++;
        }
    assert_int_equal(count, 1);
    return found;
}

static void dns_udp_and_tcp(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/proto_dns_udp.pcap", "pcaps/proto_dns_tcp.pcap" };
    for (int p = 0; p < 2; p++) {
        struct logs l;
        enum applayer_proto protos[MAX_FLOWS];
        size_t n;
        run(paths[p], &l, protos, &n);
        assert_int_equal(n, 1);
        assert_int_equal(protos[0], APPLAYER_DNS);
        /* a request event when the query arrives, a response event when it
         * is answered: 13 pairs, each request before its response, the same
         * tx_id (over TCP two queries may come before their answers) */
        assert_int_equal(l.n, 26);
        size_t ev[13][2];
        for (unsigned t = 0; t < 13; t++) {
            ev[t][0] = dns_event(&l, t, "request");
            ev[t][1] = dns_event(&l, t, "response");
            assert_true(ev[t][0] < ev[t][1]);
            assert_true(p == 1 || ev[t][1] == ev[t][0] + 1);    /* UDP: one after the other */
        }
        for (size_t i = 0; i < l.n; i++)
            assert_false(l.at_end[i]);     /* complete when asked/answered, not at flow end */
        assert_string_equal(l.json[ev[2][0]],
                            "{\"dns\":{\"version\":3,\"type\":\"request\",\"tx_id\":2,\"id\":4099,"
                            "\"flags\":\"100\",\"rd\":true,\"opcode\":0,"
                            "\"queries\":[{\"rrname\":\"portal.gov.example.cn\",\"rrtype\":\"A\"}]}}");
        assert_string_equal(l.json[ev[2][1]],
                            "{\"dns\":{\"version\":3,\"type\":\"response\",\"tx_id\":2,\"id\":4099,"
                            "\"flags\":\"8180\",\"qr\":true,\"rd\":true,\"ra\":true,\"opcode\":0,"
                            "\"rcode\":\"NOERROR\",\"rrname\":\"portal.gov.example.cn\",\"rrtype\":\"A\","
                            "\"queries\":[{\"rrname\":\"portal.gov.example.cn\",\"rrtype\":\"A\"}],"
                            "\"answers\":[{\"rrname\":\"portal.gov.example.cn\",\"rrtype\":\"CNAME\","
                            "\"ttl\":60,\"rdata\":\"www.gov.example.cn\"},{\"rrname\":"
                            "\"www.gov.example.cn\",\"rrtype\":\"A\",\"ttl\":300,\"rdata\":"
                            "\"192.0.2.10\"}],\"grouped\":{\"CNAME\":[\"www.gov.example.cn\"],"
                            "\"A\":[\"192.0.2.10\"]}}}");
        assert_string_equal(l.buf[ev[0][0]][0], "www.gov.example.cn");
        assert_string_equal(l.buf[ev[0][1]][0], "www.gov.example.cn");
        assert_string_equal(l.buf[ev[5][1]][0], "10.2.0.192.in-addr.arpa");
        assert_string_equal(l.buf[ev[12][1]][0], "nosuch.gov.example.cn");
        assert_string_equal(l.buf[ev[2][0]][6], "");   /* not answered yet when the request is logged */
        assert_string_equal(l.buf[ev[2][1]][6], "portal.gov.example.cn\nwww.gov.example.cn");
        assert_string_equal(l.buf[ev[12][1]][6], "");  /* NXDOMAIN: no answers */
        logs_free(&l);
    }
}

static void tls_and_tlcp(void **state)
{
    (void)state;
    struct logs l;
    enum applayer_proto protos[MAX_FLOWS];
    size_t n;
    run("pcaps/proto_tls.pcap", &l, protos, &n);
    assert_int_equal(n, 2);
    assert_int_equal(protos[0], APPLAYER_TLS);
    assert_int_equal(protos[1], APPLAYER_TLS);
    assert_int_equal(l.n, 2);
    assert_false(l.at_end[0]);             /* both directions went ciphertext */
    assert_has(l.json[0], "{\"tls\":{\"subject\":\"C=CN, O=Example Gov, CN=www.gov.example.cn\"");
    assert_has(l.json[0], "\"version\":\"TLS 1.2\"");
    assert_string_equal(l.buf[0][1], "www.gov.example.cn");
    assert_string_equal(l.buf[0][2], "5216422c19beb8e44f7b6692d4b1be31");
    assert_has(l.json[1], "\"version\":\"TLS 1.3\"");
    assert_has(l.json[1], "\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\"");
    assert_string_equal(l.buf[1][5], "t13d1516h2_8daaf6152771_e5627efa2ab1");
    assert_string_equal(l.buf[1][4], "TLS_AES_128_GCM_SHA256");
    assert_has(l.json[0], "},\"tls_info\":{\"cipher_suite\":\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\"");
    logs_free(&l);

    run("pcaps/proto_tlcp.pcap", &l, protos, &n);
    assert_int_equal(n, 3);
    assert_int_equal(l.n, 3);
    assert_has(l.json[0], "\"version\":\"TLCP 1.1\"");
    assert_string_equal(l.buf[0][4], "ECC_SM4_CBC_SM3");
    assert_has(l.json[0], "\"encryption_cert\":{\"subject\":\"C=CN, ST=北京, O=示例政务服务中心, OU=加密, CN=tlcp.gov.example.cn\"");
    assert_string_equal(l.buf[0][3], "C=CN, ST=北京, O=示例政务服务中心, OU=签名, CN=tlcp.gov.example.cn");
    assert_has(l.json[1], "\"version\":\"TLS 1.2\"");
    assert_has(l.json[2], "\"subject\":\"C=CN, O=过期自签, CN=old.gov.example.cn\"");
    logs_free(&l);
}

static void ssh_session(void **state)
{
    (void)state;
    struct logs l;
    enum applayer_proto protos[MAX_FLOWS];
    size_t n;
    run("pcaps/proto_ssh.pcap", &l, protos, &n);
    assert_int_equal(n, 1);
    assert_int_equal(protos[0], APPLAYER_SSH);
    assert_int_equal(l.n, 1);
    assert_false(l.at_end[0]);
    assert_has(l.json[0], "{\"ssh\":{\"client\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_9.2p1\","
                          "\"hassh\":{\"hash\":\"3dd00477ea72b82ec7166c901a2ee2f1\"");
    assert_has(l.json[0], "\"server\":{\"proto_version\":\"2.0\",\"software_version\":\"OpenSSH_8.9p1\"");
    assert_string_equal(l.buf[0][7], "OpenSSH_9.2p1");      /* to the server: the client's */
    logs_free(&l);
}

/* One TCP segment through the real stream stage into the framework, as the
 * worker runs them; returns the chunks' byte count given to the parser. */
static uint32_t stream_feed(struct stream_engine *se, struct applayer *al, struct flow *f,
                            enum flow_direction dir, uint8_t flags, uint32_t seq, uint32_t ack,
                            const uint8_t *data, uint32_t len, uint64_t ts)
{
    struct packet p = { 0 };
    p.proto = 6;
    p.ts_usec = ts;
    p.tcp_flags = flags;
    p.tcp_seq = seq;
    p.tcp_ack = ack;
    p.payload = data;
    p.payload_len = len;
    f->tcp_flags_seen[dir] |= flags;
    f->last_usec = ts;
    const struct stream_chunk *c;
    size_t n = stream_packet(se, f, &p, dir, &c);
    uint32_t given = 0;
    for (size_t i = 0; i < n; i++) {
        struct applayer_chunk ch = { c[i].dir, c[i].data, c[i].len, c[i].offset,
                                     ((c[i].flags & STREAM_CHUNK_GAP) ? APPLAYER_CHUNK_GAP : 0u) |
                                     ((c[i].flags & STREAM_CHUNK_EOF) ? APPLAYER_CHUNK_EOF : 0u) };
        if (c[i].dir == dir)
            given += c[i].len;
        applayer_on_chunk(al, f, &ch, ts);
    }
    return given;
}

/* proto_malformed's flow 41002 through stream and framework: nDPI calls a
 * TLS flow done at the server's certificate (its verdict is set here after
 * that segment, as classify would), yet the server's next record, a
 * ServerKeyExchange claiming 16 MB, is the parser's: the stream must not
 * release the direction before the parser has finished its handshake, or
 * tls.invalid_handshake never reaches the transaction. */
static void tls_handshake_after_ndpi_verdict(void **state)
{
    (void)state;
    struct capture cap;
    assert_int_equal(capture_load("pcaps/proto_malformed.pcap", &cap), 0);
    const struct segment *seg[3];
    size_t k = 0;
    for (size_t i = 0; i < cap.n && k < 3; i++)
        if (cap.seg[i].client_port == 41002)
            seg[k++] = &cap.seg[i];
    assert_int_equal(k, 3);     /* ClientHello; ServerHello+Certificate; ServerKeyExchange */
    assert_true(seg[0]->toserver && !seg[1]->toserver && !seg[2]->toserver);

    struct config *cfg = config_new();
    struct diag diag = { .quiet = 1 };
    struct applayer *al = applayer_new(cfg, NULL, &diag);
    assert_non_null(al);
    struct stream_config scfg;
    stream_config_defaults(&scfg);
    struct stream_engine *se = stream_engine_new(&scfg);
    assert_non_null(se);
    struct flow f;
    memset(&f, 0, sizeof f);
    f.proto = 6;
    uint64_t ts = 1000000;
    uint32_t c = 1000, s = 5000;
    stream_feed(se, al, &f, FLOW_TOSERVER, TCP_SYN, c, 0, NULL, 0, ts += 10);
    stream_feed(se, al, &f, FLOW_TOCLIENT, TCP_SYN | TCP_ACK, s, c + 1, NULL, 0, ts += 10);
    stream_feed(se, al, &f, FLOW_TOSERVER, TCP_ACK, c + 1, s + 1, NULL, 0, ts += 10);
    c++, s++;
    assert_int_equal(stream_feed(se, al, &f, FLOW_TOSERVER, TCP_ACK | TCP_PSH, c, s, seg[0]->data,
                                 seg[0]->len, ts += 10), seg[0]->len);
    c += seg[0]->len;
    assert_int_equal(stream_feed(se, al, &f, FLOW_TOCLIENT, TCP_ACK | TCP_PSH, s, c, seg[1]->data,
                                 seg[1]->len, ts += 10), seg[1]->len);
    s += seg[1]->len;
    assert_int_equal(f.applayer->proto, APPLAYER_TLS);
    const struct applayer_parser *p = f.applayer->parser;
    assert_int_equal(p->tx_count(f.applayer->state), 1);
    struct applayer_tx *tx = p->tx_at(f.applayer->state, 0);
    int cert = applayer_event_index(p, "invalid_certificate"),
        handshake = applayer_event_index(p, "invalid_handshake");
    assert_true(cert >= 0 && handshake >= 0);
    assert_true(tx->events & (1ull << cert));
    assert_false(tx->events & (1ull << handshake));
    assert_true(applayer_wants_bytes(&f, FLOW_TOCLIENT));   /* its hello only, no ciphertext */
    tx->changed = 0;                                        /* detection looked */

    /* nDPI's verdict after the certificate: TLS, by inspection, done */
    f.app.master_protocol = NDPI_PROTOCOL_TLS;
    f.app.confidence = NDPI_CONFIDENCE_DPI;
    f.app.state = CLASSIFY_DONE;
    assert_int_equal(stream_feed(se, al, &f, FLOW_TOCLIENT, TCP_ACK | TCP_PSH, s, c, seg[2]->data,
                                 seg[2]->len, ts += 10), seg[2]->len);
    assert_int_equal(p->tx_count(f.applayer->state), 1);
    assert_true(tx->events & (1ull << handshake));
    assert_int_equal(tx->changed, 3);                       /* detection looks again, once */
    applayer_after_detect(al, &f, false, NULL, NULL);
    assert_int_equal(tx->changed, 0);

    struct stream_view views[2];
    const struct stream_chunk *chunks;
    stream_flow_end(se, &f, &chunks, views);
    applayer_after_detect(al, &f, true, NULL, NULL);
    applayer_flow_free(al, &f);
    stream_flow_release(se, &f);
    stream_engine_free(se);
    capture_free(&cap);
    applayer_free(al);
    config_free(cfg);
}

/* Probes: each says yes to its own protocol's first bytes only. */
static void probes(void **state)
{
    (void)state;
    const struct applayer_parser *dns = applayer_parser_of(APPLAYER_DNS),
                                 *tls = applayer_parser_of(APPLAYER_TLS),
                                 *ssh = applayer_parser_of(APPLAYER_SSH);
    assert_string_equal(dns->name, "dns");
    assert_ptr_equal(applayer_parser_by_name("tls"), tls);
    const uint8_t hello[] = { 22, 3, 1, 0, 200, 1, 0, 0, 196 };
    const uint8_t tlcp[] = { 22, 1, 1, 0, 80, 1, 0, 0, 76 };
    assert_int_equal(tls->probe(hello, sizeof hello, FLOW_TOSERVER), APPLAYER_PROBE_YES);
    assert_int_equal(tls->probe(tlcp, sizeof tlcp, FLOW_TOSERVER), APPLAYER_PROBE_YES);
    assert_int_equal(tls->probe(hello, 1, FLOW_TOSERVER), APPLAYER_PROBE_MORE);
    assert_int_equal(tls->probe(hello, 2, FLOW_TOSERVER), APPLAYER_PROBE_YES);
    assert_int_equal(tls->probe((const uint8_t *)"\x16\x02", 2, FLOW_TOSERVER), APPLAYER_PROBE_NO);
    assert_int_equal(tls->probe(hello, sizeof hello, FLOW_TOCLIENT), APPLAYER_PROBE_NO);
    assert_int_equal(ssh->probe((const uint8_t *)"SSH-2.0-x\r\n", 11, FLOW_TOCLIENT), APPLAYER_PROBE_YES);
    assert_int_equal(ssh->probe((const uint8_t *)"SS", 2, FLOW_TOCLIENT), APPLAYER_PROBE_MORE);
    assert_int_equal(ssh->probe((const uint8_t *)"GET / ", 6, FLOW_TOSERVER), APPLAYER_PROBE_NO);
    assert_int_equal(dns->probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16, FLOW_TOSERVER), APPLAYER_PROBE_NO);
    assert_int_equal(tls->probe((const uint8_t *)"SSH-2.0-x\r\n", 11, FLOW_TOSERVER), APPLAYER_PROBE_NO);
    /* A DNS query as a datagram and behind a TCP length prefix. */
    const uint8_t q[] = { 0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0, 0, 1, 0, 1 };
    uint8_t tcp[2 + sizeof q] = { 0, sizeof q };
    memcpy(tcp + 2, q, sizeof q);
    assert_int_equal(dns->probe(q, sizeof q, FLOW_TOSERVER), APPLAYER_PROBE_YES);
    assert_int_equal(dns->probe(q, sizeof q, FLOW_TOCLIENT), APPLAYER_PROBE_NO);
    assert_int_equal(dns->probe(tcp, sizeof tcp, FLOW_TOSERVER), APPLAYER_PROBE_YES);
    assert_int_equal(dns->probe(tcp, 5, FLOW_TOSERVER), APPLAYER_PROBE_MORE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dns_udp_and_tcp),
        cmocka_unit_test(tls_and_tlcp),
        cmocka_unit_test(ssh_session),
        cmocka_unit_test(probes),
        cmocka_unit_test(tls_handshake_after_ndpi_verdict),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
