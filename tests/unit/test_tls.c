/* TLS/TLCP parser on pcaps/proto_tls.pcap and proto_tlcp.pcap: JA3/JA3S as
 * Wireshark 4.0 computes them for the same captures, JA4 against the JA4
 * specification's published example (whose hashes this test recomputes
 * from the spec's lists), certificates against their DER files, TLCP's
 * version, suite and double certificate, the same results when fed one
 * byte at a time, and hostile records ending in counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "applayer/tls/tls.h"
#include "applayer/tls/tls_eve.h"
#include "proto_pcap.h"

#define MAX_FLOWS 4

struct flows {
    size_t n;
    uint16_t port[MAX_FLOWS];
    struct tls_state st[MAX_FLOWS];
    unsigned done_events[MAX_FLOWS];
    uint64_t last_ts[MAX_FLOWS];
};

static void on_progress(void *ctx, const struct tls_tx *tx, enum tls_progress what,
                        enum flow_direction dir)
{
    (void)tx;
    (void)dir;
    unsigned *done = ctx;
    if (what == TLS_HANDSHAKE_DONE)
        (*done)++;
}

static struct tls_state *flow_for(struct flows *f, uint16_t port)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->port[i] == port)
            return &f->st[i];
    assert_true(f->n < MAX_FLOWS);
    size_t i = f->n++;
    f->port[i] = port;
    struct tls_sink sink = { on_progress, &f->done_events[i] };
    tls_state_init(&f->st[i], &sink);
    return &f->st[i];
}

static void run(const char *path, struct flows *f, bool byte_at_a_time)
{
    struct capture cap;
    memset(f, 0, sizeof *f);
    assert_int_equal(capture_load(path, &cap), 0);
    for (size_t i = 0; i < cap.n; i++) {
        struct segment *sg = &cap.seg[i];
        struct tls_state *st = flow_for(f, sg->client_port);
        f->last_ts[st - f->st] = sg->ts_usec;
        enum flow_direction dir = sg->toserver ? FLOW_TOSERVER : FLOW_TOCLIENT;
        if (!byte_at_a_time) {
            assert_int_equal(tls_parse(st, dir, sg->data, sg->len, 0), 0);
        } else {
            for (uint32_t k = 0; k < sg->len; k++)
                assert_int_equal(tls_parse(st, dir, sg->data + k, 1, 0), 0);
        }
    }
    capture_free(&cap);
}

static void flows_free(struct flows *f)
{
    for (size_t i = 0; i < f->n; i++)
        tls_state_free(&f->st[i]);
}

static const struct tls_tx *tx_of(struct flows *f, uint16_t port)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->port[i] == port) {
            for (int k = 0; k < TLS_MALFORMED_KINDS; k++)
                assert_int_equal(f->st[i].counters.malformed[k], 0);
            return &f->st[i].tx;
        }
    fail_msg("no flow from port %u", port);
    return NULL;
}

static void sha_hex(const EVP_MD *md, const void *data, size_t len, char *out, size_t hexlen,
                    const char *sep)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n;
    assert_true(EVP_Digest(data, len, d, &n, md, NULL));
    size_t k = 0;
    for (unsigned i = 0; i < n && k < hexlen; i++)
        k += (size_t)sprintf(out + k, "%s%02x", i && sep ? sep : "", d[i]);
    out[hexlen] = '\0';
}

static void file_sha1(const char *path, char out[60])
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    unsigned char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    sha_hex(EVP_sha1(), buf, n, out, 59, ":");
}

static char *eve(const struct tls_tx *tx)
{
    struct json_writer w;
    json_init(&w);
    json_object_begin(&w, NULL);
    tls_eve_write(&w, tx);
    tls_eve_write_info(&w, tx);
    json_object_end(&w);
    assert_true(json_ok(&w));
    char *s = strdup(w.buf);
    json_free(&w);
    return s;
}

static void assert_has(const char *json, const char *part)
{
    if (!strstr(json, part))
        fail_msg("%s\n  does not contain\n%s", json, part);
}

/* The JA4 specification (FoxIO, technical_details/JA4.md) publishes the
 * lists and their truncated hashes; recompute them here so the expected
 * fingerprint does not come from the code under test. */
static void ja4_spec_hashes(void **state)
{
    (void)state;
    char h[65];
    const char *ciphers = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9";
    sha_hex(EVP_sha256(), ciphers, strlen(ciphers), h, 12, NULL);
    assert_string_equal(h, "8daaf6152771");
    const char *ext = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
                      "0403,0804,0401,0503,0805,0501,0806,0601";
    sha_hex(EVP_sha256(), ext, strlen(ext), h, 64, NULL);
    assert_string_equal(h, "e5627efa2ab19723084c1033a96c694a45826ab5a460d2d3fd5ffcfe97161c95");
    sha_hex(EVP_sha256(), ext, 69, h, 12, NULL);      /* without signature algorithms */
    assert_string_equal(h, "6d807ffa2a79");
}

static void tls12_and_13(void **state)
{
    (void)state;
    struct flows f;
    run("pcaps/proto_tls.pcap", &f, false);
    assert_int_equal(f.n, 2);

    const struct tls_tx *t12 = tx_of(&f, 50012);
    assert_int_equal(t12->progress, 0x7f);
    assert_int_equal(f.done_events[0], 1);
    assert_string_equal(t12->client.sni, "www.gov.example.cn");
    assert_int_equal(tls_tx_version(t12), 0x0303);
    assert_string_equal(tls_cipher_name(t12->server.cipher), "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    /* JA3/JA3S: Wireshark 4.0's tls.handshake.ja3/ja3s on this capture. */
    assert_string_equal(t12->ja3, "771,49199-49200-156-47-255,0-10-11-13-16-65281-23,29-23,0");
    assert_string_equal(t12->ja3_hash, "5216422c19beb8e44f7b6692d4b1be31");
    assert_string_equal(t12->ja3s, "771,49199,65281-11-23-16");
    assert_string_equal(t12->ja3s_hash, "9e2f82ce1921cb46d92e1f4e66458108");
    assert_int_equal(t12->ncerts, 1);
    assert_int_equal(t12->chain_len, 1);
    const struct tls_cert *c = &t12->certs[0];
    assert_string_equal(c->subject, "C=CN, O=Example Gov, CN=www.gov.example.cn");
    assert_string_equal(c->issuer, c->subject);
    assert_string_equal(c->serial, "70:01");
    char fp[60];
    file_sha1("pcaps/certs/rsa.der", fp);
    assert_string_equal(c->fingerprint, fp);
    assert_string_equal(c->key_alg, "RSA");
    assert_int_equal(c->key_bits, 2048);
    assert_string_equal(c->sig_alg, "sha256WithRSAEncryption");
    assert_true(c->self_issued);
    assert_false(c->sm2);
    assert_int_equal(c->nsans, 2);
    assert_string_equal(c->sans[0], "www.gov.example.cn");
    assert_string_equal(c->sans[1], "10.0.0.44");
    assert_int_equal(c->notafter_t - c->notbefore_t, 3650 * 86400);
    assert_true(tls_encrypted(&f.st[0], FLOW_TOSERVER) && tls_encrypted(&f.st[0], FLOW_TOCLIENT));
    assert_true(f.st[0].dir[0].ciphertext_bytes >= 120 && f.st[0].dir[1].ciphertext_bytes >= 600);

    const struct tls_tx *t13 = tx_of(&f, 50013);
    assert_int_equal(t13->progress, TLS_CLIENT_HELLO | TLS_SERVER_HELLO | TLS_HANDSHAKE_DONE);
    assert_int_equal(tls_tx_version(t13), 0x0304);
    assert_string_equal(tls_version_name(tls_tx_version(t13)), "TLS 1.3");
    /* The spec's example ClientHello gives the spec's fingerprint. */
    assert_string_equal(t13->ja4, "t13d1516h2_8daaf6152771_e5627efa2ab1");
    char ja4o[40];
    tls_ja4(&t13->client, ja4o, true);
    assert_string_equal(ja4o, "t13d1516h2_acb858a92679_18f69afefd3d");
    assert_string_equal(t13->ja3_hash, "c000e2caf3a25423f9de6c8a4b12a975");
    assert_string_equal(t13->ja3s, "771,4865,43-51");
    assert_string_equal(t13->ja3s_hash, "f4febc55ea12b31ae17cfb7e614afda8");
    assert_int_equal(t13->client.nalpns, 2);
    assert_string_equal(t13->client.alpns[1], "http/1.1");
    assert_int_equal(t13->ncerts, 0);

    char *j = eve(t12);
    assert_has(j, "\"tls\":{\"subject\":\"C=CN, O=Example Gov, CN=www.gov.example.cn\",\"issuerdn\":");
    assert_has(j, "\"serial\":\"70:01\"");
    assert_has(j, "\"subjectaltname\":[\"www.gov.example.cn\",\"10.0.0.44\"]");
    assert_has(j, "\"sni\":\"www.gov.example.cn\",\"version\":\"TLS 1.2\"");
    assert_has(j, "\"ja3\":{\"hash\":\"5216422c19beb8e44f7b6692d4b1be31\"");
    assert_has(j, "\"tls_info\":{\"cipher_suite\":\"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\",\"cipher_weak\":false,\"chain_len\":1");
    free(j);
    flows_free(&f);
}

static void tlcp_double_certificate(void **state)
{
    (void)state;
    struct flows f;
    run("pcaps/proto_tlcp.pcap", &f, false);
    assert_int_equal(f.n, 3);
    const struct tls_tx *t = tx_of(&f, 51001);
    assert_int_equal(t->progress, 0x7f);
    assert_int_equal(t->client.version, TLS_VERSION_TLCP);
    assert_int_equal(tls_tx_version(t), TLS_VERSION_TLCP);
    assert_string_equal(tls_version_name(TLS_VERSION_TLCP), "TLCP 1.1");
    assert_string_equal(tls_version_keyword(TLS_VERSION_TLCP), "tlcp");
    assert_int_equal(t->server.cipher, 0xe013);
    assert_string_equal(tls_cipher_name(t->server.cipher), "ECC_SM4_CBC_SM3");
    assert_string_equal(tls_cipher_name(0xe051), "ECDHE_SM4_GCM_SM3");
    assert_string_equal(tls_cipher_name(0xe017), "IBC_SM4_CBC_SM3");
    assert_false(t->client.has_sni);
    /* Wireshark 4.0 on the same capture */
    assert_string_equal(t->ja3, "257,57363-57361-57427-57425-255,,,");
    assert_string_equal(t->ja3_hash, "6a329b72dfef1848b186d397ced2f75c");
    assert_string_equal(t->ja3s_hash, "29679b312f26ae62539fc44a9673b5ca");
    /* JA4: unknown version "00", IP "i", 5 suites, no extensions. */
    char b[13], expect[40];
    sha_hex(EVP_sha256(), "00ff,e011,e013,e051,e053", 24, b, 12, NULL);
    snprintf(expect, sizeof expect, "t00i0500%s_%s_000000000000", "00", b);
    assert_string_equal(t->ja4, expect);

    assert_int_equal(t->chain_len, 3);
    assert_int_equal(t->ncerts, 3);
    const struct tls_cert *sign = &t->certs[0], *enc = &t->certs[1], *ca = &t->certs[2];
    assert_string_equal(sign->subject, "C=CN, ST=北京, O=示例政务服务中心, OU=签名, CN=tlcp.gov.example.cn");
    assert_string_equal(enc->subject, "C=CN, ST=北京, O=示例政务服务中心, OU=加密, CN=tlcp.gov.example.cn");
    assert_string_equal(sign->issuer, "C=CN, O=示例政务CA, CN=Example SM2 Root CA");
    assert_string_equal(ca->subject, sign->issuer);
    assert_string_equal(sign->serial, "51:01");
    assert_string_equal(enc->serial, "51:02");
    char fp[60];
    file_sha1("pcaps/certs/enc.der", fp);
    assert_string_equal(enc->fingerprint, fp);
    for (int i = 0; i < 3; i++) {
        assert_string_equal(t->certs[i].key_alg, "SM2");
        assert_string_equal(t->certs[i].sig_alg, "SM2-with-SM3");
        assert_true(t->certs[i].sm2);
    }
    assert_false(sign->self_issued);
    assert_true(ca->self_issued);
    assert_int_equal(sign->nsans, 2);
    assert_true(tls_encrypted(&f.st[0], FLOW_TOSERVER) && tls_encrypted(&f.st[0], FLOW_TOCLIENT));

    char *j = eve(t);
    assert_has(j, "\"version\":\"TLCP 1.1\"");
    assert_has(j, "\"serial\":\"51:01\"");
    assert_has(j, "\"tls_info\":{\"cipher_suite\":\"ECC_SM4_CBC_SM3\",\"cipher_weak\":false,\"chain_len\":3,"
                  "\"key_alg\":\"SM2\",\"sig_alg\":\"SM2-with-SM3\",\"encryption_cert\":{\"subject\":"
                  "\"C=CN, ST=北京, O=示例政务服务中心, OU=加密, CN=tlcp.gov.example.cn\"");
    assert_has(j, "\"serial\":\"51:02\"");
    free(j);

    /* International TLS to the same server. */
    const struct tls_tx *intl = tx_of(&f, 51002);
    assert_string_equal(tls_version_name(tls_tx_version(intl)), "TLS 1.2");
    assert_string_equal(intl->certs[0].key_alg, "RSA");

    /* The TLCP server with an expired, self-signed SM2 certificate. */
    const struct tls_tx *old = tx_of(&f, 51003);
    assert_int_equal(tls_tx_version(old), TLS_VERSION_TLCP);
    assert_int_equal(old->ncerts, 1);
    assert_true(old->certs[0].self_issued);
    assert_true(old->certs[0].sm2);
    assert_true((uint64_t)old->certs[0].notafter_t * 1000000u < f.last_ts[2]);
    assert_string_equal(old->certs[0].serial, "0B:AD");
    flows_free(&f);
}

/* Every record and message cut at every byte gives the same transaction. */
static void byte_at_a_time(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/proto_tls.pcap", "pcaps/proto_tlcp.pcap" };
    for (int p = 0; p < 2; p++) {
        struct flows a, b;
        run(paths[p], &a, false);
        run(paths[p], &b, true);
        assert_int_equal(a.n, b.n);
        for (size_t i = 0; i < a.n; i++) {
            const struct tls_tx *x = &a.st[i].tx, *y = &b.st[i].tx;
            assert_int_equal(x->progress, y->progress);
            assert_string_equal(x->ja3, y->ja3);
            assert_string_equal(x->ja3s, y->ja3s);
            assert_string_equal(x->ja4, y->ja4);
            assert_int_equal(x->ncerts, y->ncerts);
            for (unsigned k = 0; k < x->ncerts; k++)
                assert_string_equal(x->certs[k].fingerprint, y->certs[k].fingerprint);
            assert_int_equal(a.done_events[i], b.done_events[i]);
            assert_memory_equal(&a.st[i].counters, &b.st[i].counters, sizeof a.st[i].counters);
        }
        flows_free(&a);
        flows_free(&b);
    }
}

static void hostile_records(void **state)
{
    (void)state;
    struct tls_state st;
    /* Not TLS: an HTTP request. */
    tls_state_init(&st, NULL);
    const char *http = "GET / HTTP/1.1\r\n\r\n";
    assert_int_equal(tls_parse(&st, FLOW_TOSERVER, (const uint8_t *)http, 18, 0), -1);
    assert_int_equal(st.counters.malformed[TLS_BAD_RECORD], 1);
    assert_int_equal(tls_parse(&st, FLOW_TOSERVER, (const uint8_t *)http, 18, 0), -1);
    tls_state_free(&st);
    /* A handshake message claiming 16 MB. */
    tls_state_init(&st, NULL);
    const uint8_t huge[] = { 22, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff };
    assert_int_equal(tls_parse(&st, FLOW_TOSERVER, huge, sizeof huge, 0), -1);
    assert_int_equal(st.counters.malformed[TLS_BAD_HANDSHAKE], 1);
    tls_state_free(&st);
    /* A ClientHello whose cipher list runs past the message. */
    tls_state_init(&st, NULL);
    uint8_t ch[5 + 4 + 2 + 32 + 1 + 2] = { 22, 3, 1, 0, 4 + 2 + 32 + 1 + 2, 1, 0, 0, 2 + 32 + 1 + 2, 3, 3 };
    ch[5 + 4 + 2 + 32] = 0;             /* no session id */
    ch[5 + 4 + 2 + 32 + 1] = 0x40;      /* 16384 bytes of suites */
    assert_int_equal(tls_parse(&st, FLOW_TOSERVER, ch, sizeof ch, 0), -1);
    assert_int_equal(st.counters.malformed[TLS_BAD_HELLO], 1);
    assert_false(st.tx.progress & TLS_CLIENT_HELLO);
    tls_state_free(&st);
    /* A certificate that is not DER: counted, the handshake goes on. */
    tls_state_init(&st, NULL);
    uint8_t cert[5 + 4 + 3 + 3 + 4] = { 22, 3, 3, 0, 4 + 3 + 3 + 4, 11, 0, 0, 10, 0, 0, 7, 0, 0, 4,
                                        0x30, 0x82, 0xff, 0xff };
    assert_int_equal(tls_parse(&st, FLOW_TOCLIENT, cert, sizeof cert, 0), 0);
    assert_int_equal(st.counters.malformed[TLS_BAD_CERTIFICATE], 1);
    assert_int_equal(st.tx.ncerts, 0);
    assert_int_equal(st.tx.chain_len, 1);
    /* A gap ends the direction. */
    assert_int_equal(tls_parse(&st, FLOW_TOCLIENT, cert, sizeof cert, PDU_CHUNK_GAP), -1);
    assert_int_equal(st.counters.malformed[TLS_GAP], 1);
    tls_state_free(&st);
}

/* SSLv2-format hellos (pcaps/proto_sslv2.pcap): the TLS 1.0 session that
 * opens with one, and an SSL 2.0 exchange; whole segments and byte by byte
 * alike; JA3 over the 3-byte specs (MD5 recomputed here); no JA4. */
static void sslv2_hellos(void **state)
{
    (void)state;
    struct flows a, b;
    run("pcaps/proto_sslv2.pcap", &a, false);
    run("pcaps/proto_sslv2.pcap", &b, true);
    assert_int_equal(a.n, 2);
    const struct tls_tx *t = tx_of(&a, 53001);
    assert_true(t->client.sslv2);
    assert_int_equal(t->client.version, 0x0301);
    assert_int_equal(t->client.nspecs, 5);
    assert_int_equal(t->client.specs[0], 0x010080);
    assert_int_equal(t->client.nciphers, 4);        /* the TLS suites among them */
    assert_int_equal(t->client.ciphers[0], 0x002f);
    assert_int_equal(t->client.ciphers[3], 0x00ff);
    assert_int_equal(t->client.challenge_len, 32);
    assert_int_equal(tls_tx_version(t), 0x0301);
    assert_string_equal(tls_version_keyword(tls_tx_version(t)), "tls1.0");
    assert_true(t->progress & TLS_CLIENT_HELLO && t->progress & TLS_SERVER_HELLO &&
                t->progress & TLS_CLIENT_KEYX && t->progress & TLS_HANDSHAKE_DONE);
    assert_string_equal(t->ja3, "769,65664-47-53-10-255,,,");
    char md5[33];
    sha_hex(EVP_md5(), t->ja3, strlen(t->ja3), md5, 32, NULL);
    assert_string_equal(t->ja3_hash, md5);
    assert_string_equal(t->ja4, "");
    assert_int_equal(t->server.cipher, 0x002f);
    assert_int_equal(t->ncerts, 1);

    const struct tls_tx *v2 = tx_of(&a, 53002);
    assert_int_equal(v2->client.version, 0x0002);
    assert_int_equal(v2->client.nciphers, 0);       /* SSL 2.0 kinds only */
    assert_int_equal(v2->client.challenge_len, 16);
    assert_int_equal(tls_tx_version(v2), 0x0002);
    assert_string_equal(tls_version_keyword(tls_tx_version(v2)), "sslv2");
    assert_string_equal(v2->ja3, "2,65664-131200-196736-393280-458944,,,");
    assert_string_equal(v2->ja3s, "");
    assert_int_equal(v2->ncerts, 1);                /* the SERVER-HELLO's certificate */
    assert_true(v2->progress & TLS_HANDSHAKE_DONE);  /* SSL 2.0's own records follow */
    for (size_t i = 0; i < a.n; i++) {
        assert_string_equal(a.st[i].tx.ja3, b.st[i].tx.ja3);
        assert_int_equal(a.st[i].tx.progress, b.st[i].tx.progress);
        assert_memory_equal(&a.st[i].counters, &b.st[i].counters, sizeof a.st[i].counters);
    }
    flows_free(&a);
    flows_free(&b);

    /* Hostile: specs not a multiple of 3, a 4-byte challenge, lengths past
     * the record, a SERVER-HELLO sent by the client: counted, never parsed. */
    static const struct {
        uint8_t bytes[40];
        uint32_t len;
        enum tls_malformed kind;
    } bad[] = {
        /* 4 bytes of specs, a 16-byte challenge: every length fits, 4 % 3 != 0 */
        { { 0x80, 29, 1, 3, 1, 0, 4, 0, 0, 0, 16, 0, 0, 0x2f, 0 }, 31, TLS_BAD_HELLO },
        { { 0x80, 16, 1, 3, 1, 0, 3, 0, 0, 0, 4, 0, 0, 0x2f, 1, 2, 3, 4 }, 18, TLS_BAD_HELLO },
        { { 0x80, 12, 1, 3, 1, 0xff, 0xff, 0, 0, 0, 16, 0, 0, 0x2f }, 14, TLS_BAD_HELLO },
        { { 0x80, 12, 4, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0 }, 14, TLS_BAD_RECORD },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct tls_state st;
        tls_state_init(&st, NULL);
        assert_int_equal(tls_parse(&st, FLOW_TOSERVER, bad[i].bytes, bad[i].len, 0), -1);
        assert_int_equal(st.counters.malformed[bad[i].kind], 1);
        assert_false(st.tx.progress & TLS_CLIENT_HELLO);
        tls_state_free(&st);
    }
}

/* The certificate cache: the same fields as reading afresh, a hit only on
 * the same bytes, broken DER remembered as broken. */
static void cert_cache(void **state)
{
    (void)state;
    FILE *fp = fopen("pcaps/certs/sign.der", "rb");
    assert_non_null(fp);
    uint8_t der[4096];
    size_t n = fread(der, 1, sizeof der, fp);
    fclose(fp);
    struct tls_cert_cache *cache = tls_cert_cache_new(4);
    assert_non_null(cache);
    static struct tls_cert fresh, cached;
    assert_int_equal(tls_cert_parse(&fresh, der, (uint32_t)n), 0);
    for (int i = 0; i < 3; i++) {
        memset(&cached, 0xAA, sizeof cached);
        assert_int_equal(tls_cert_parse_cached(cache, &cached, der, (uint32_t)n), 0);
        assert_memory_equal(&cached, &fresh, sizeof fresh);
    }
    uint64_t hits, misses;
    tls_cert_cache_stats(cache, &hits, &misses);
    assert_int_equal(hits, 2);
    assert_int_equal(misses, 1);
    /* One byte changed inside the signature: not the cached certificate. */
    der[n - 3] ^= 0x01;
    assert_int_equal(tls_cert_parse_cached(cache, &cached, der, (uint32_t)n), 0);
    tls_cert_cache_stats(cache, &hits, &misses);
    assert_int_equal(misses, 2);
    assert_string_not_equal(cached.fingerprint, fresh.fingerprint);
    /* Garbage: -1 from the cache as well. */
    const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
    assert_int_equal(tls_cert_parse_cached(cache, &cached, junk, sizeof junk), -1);
    assert_int_equal(tls_cert_parse_cached(cache, &cached, junk, sizeof junk), -1);
    tls_cert_cache_stats(cache, &hits, &misses);
    assert_int_equal(hits, 3);
    tls_cert_cache_free(cache);
    assert_null(tls_cert_cache_new(0));
}

static void suite_names(void **state)
{
    (void)state;
    assert_string_equal(tls_cipher_name(0x1301), "TLS_AES_128_GCM_SHA256");
    assert_string_equal(tls_cipher_name(0x00c6), "TLS_SM4_GCM_SM3");
    assert_string_equal(tls_cipher_name(0xe053), "ECC_SM4_GCM_SM3");
    assert_null(tls_cipher_name(0x1234));
    assert_true(tls_cipher_weak(0x0003));      /* RSA_EXPORT_WITH_RC4_40_MD5 */
    assert_true(tls_cipher_weak(0x000a));      /* 3DES */
    assert_true(tls_cipher_weak(0xc016));      /* ECDH_anon RC4 */
    assert_false(tls_cipher_weak(0xc02f));
    assert_false(tls_cipher_weak(0xe013));
    assert_true(tls_is_grease(0x0a0a) && tls_is_grease(0xfafa) && !tls_is_grease(0x0a1a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ja4_spec_hashes),
        cmocka_unit_test(tls12_and_13),
        cmocka_unit_test(tlcp_double_certificate),
        cmocka_unit_test(byte_at_a_time),
        cmocka_unit_test(hostile_records),
        cmocka_unit_test(sslv2_hellos),
        cmocka_unit_test(cert_cache),
        cmocka_unit_test(suite_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
