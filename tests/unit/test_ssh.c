/* SSH parser on pcaps/proto_ssh.pcap: banners, both KEXINITs and HASSH
 * values as Wireshark 4.0 computes them (and as this test recomputes from
 * the lists), ciphertext after NEWKEYS, the same when fed one byte at a
 * time, the EVE object, and hostile banners and packets in counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "applayer/ssh/ssh.h"
#include "applayer/ssh/ssh_eve.h"
#include "proto_pcap.h"

#define CLIENT_HASSH_STRING                                                                    \
    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"                        \
    "diffie-hellman-group14-sha256,ext-info-c;chacha20-poly1305@openssh.com,aes128-ctr,"        \
    "aes256-gcm@openssh.com;umac-64-etm@openssh.com,hmac-sha2-256-etm@openssh.com,"             \
    "hmac-sha2-256;none,zlib@openssh.com"
#define SERVER_HASSH_STRING                                                                    \
    "curve25519-sha256,curve25519-sha256@libssh.org,diffie-hellman-group16-sha512;"             \
    "chacha20-poly1305@openssh.com,aes256-ctr;hmac-sha2-256-etm@openssh.com,hmac-sha1;"         \
    "none,zlib@openssh.com"

struct events {
    unsigned banners, kexinits, newkeys;
};

static void on_progress(void *ctx, const struct ssh_state *s, enum ssh_progress what,
                        enum flow_direction dir)
{
    (void)s;
    (void)dir;
    struct events *e = ctx;
    e->banners += what == SSH_BANNER;
    e->kexinits += what == SSH_KEXINIT;
    e->newkeys += what == SSH_NEWKEYS;
}

static void run(struct ssh_state *st, struct events *ev, bool byte_at_a_time)
{
    struct capture cap;
    assert_int_equal(capture_load("pcaps/proto_ssh.pcap", &cap), 0);
    struct ssh_sink sink = { on_progress, ev };
    memset(ev, 0, sizeof *ev);
    ssh_state_init(st, &sink);
    for (size_t i = 0; i < cap.n; i++) {
        struct segment *sg = &cap.seg[i];
        enum flow_direction dir = sg->toserver ? FLOW_TOSERVER : FLOW_TOCLIENT;
        if (!byte_at_a_time)
            assert_int_equal(ssh_parse(st, dir, sg->data, sg->len, 0), 0);
        else
            for (uint32_t k = 0; k < sg->len; k++)
                assert_int_equal(ssh_parse(st, dir, sg->data + k, 1, 0), 0);
    }
    capture_free(&cap);
}

static void md5_hex(const char *s, char out[33])
{
    unsigned char d[16];
    unsigned n;
    assert_true(EVP_Digest(s, strlen(s), d, &n, EVP_md5(), NULL));
    for (int i = 0; i < 16; i++)
        sprintf(out + 2 * i, "%02x", d[i]);
}

static void session(void **state)
{
    (void)state;
    for (int pass = 0; pass < 2; pass++) {
        struct ssh_state st;
        struct events ev;
        run(&st, &ev, pass == 1);
        const struct ssh_side *c = &st.side[FLOW_TOSERVER], *s = &st.side[FLOW_TOCLIENT];
        assert_string_equal(c->proto_version, "2.0");
        assert_string_equal(c->software_version, "OpenSSH_9.2p1");
        assert_string_equal(c->comment, "Debian-2+deb12u3");
        assert_string_equal(s->software_version, "OpenSSH_8.9p1");
        assert_string_equal(c->hassh_string, CLIENT_HASSH_STRING);
        assert_string_equal(s->hassh_string, SERVER_HASSH_STRING);
        /* Wireshark 4.0's ssh.kex.hassh / hasshserver on this capture */
        assert_string_equal(c->hassh, "3dd00477ea72b82ec7166c901a2ee2f1");
        assert_string_equal(s->hassh, "0e571c013bd45311cc1150eab71a09b3");
        char h[33];
        md5_hex(CLIENT_HASSH_STRING, h);
        assert_string_equal(c->hassh, h);
        assert_true(ssh_encrypted(&st, FLOW_TOSERVER) && ssh_encrypted(&st, FLOW_TOCLIENT));
        assert_int_equal(ev.banners, 2);
        assert_int_equal(ev.kexinits, 2);
        assert_int_equal(ev.newkeys, 2);
        assert_int_equal(st.counters.kexinits, 2);
        for (int k = 0; k < SSH_MALFORMED_KINDS; k++)
            assert_int_equal(st.counters.malformed[k], 0);

        struct json_writer w;
        json_init(&w);
        json_object_begin(&w, NULL);
        ssh_eve_write(&w, &st);
        json_object_end(&w);
        assert_true(json_ok(&w));
        assert_string_equal(w.buf,
                            "{\"ssh\":{\"client\":{\"proto_version\":\"2.0\",\"software_version\":"
                            "\"OpenSSH_9.2p1\",\"hassh\":{\"hash\":\"3dd00477ea72b82ec7166c901a2ee2f1\","
                            "\"string\":\"" CLIENT_HASSH_STRING "\"}},\"server\":{\"proto_version\":"
                            "\"2.0\",\"software_version\":\"OpenSSH_8.9p1\",\"hassh\":{\"hash\":"
                            "\"0e571c013bd45311cc1150eab71a09b3\",\"string\":\"" SERVER_HASSH_STRING
                            "\"}}}}");
        json_free(&w);
        ssh_state_free(&st);
    }
}

static void hostile(void **state)
{
    (void)state;
    struct ssh_state st;
    /* 300 bytes without a newline */
    ssh_state_init(&st, NULL);
    uint8_t junk[300];
    memset(junk, 'A', sizeof junk);
    assert_int_equal(ssh_parse(&st, FLOW_TOCLIENT, junk, sizeof junk, 0), -1);
    assert_int_equal(st.counters.malformed[SSH_BAD_BANNER], 1);
    ssh_state_free(&st);
    /* A banner without a software version */
    ssh_state_init(&st, NULL);
    assert_int_equal(ssh_parse(&st, FLOW_TOCLIENT, (const uint8_t *)"SSH-2.0-\r\n", 10, 0), -1);
    assert_int_equal(st.counters.malformed[SSH_BAD_BANNER], 1);
    ssh_state_free(&st);
    /* Lines before the banner are fine (RFC 4253 4.2), up to a limit. */
    ssh_state_init(&st, NULL);
    for (int i = 0; i < SSH_MAX_PRE_BANNER_LINES; i++)
        assert_int_equal(ssh_parse(&st, FLOW_TOCLIENT, (const uint8_t *)"hello\r\n", 7, 0), 0);
    assert_int_equal(ssh_parse(&st, FLOW_TOCLIENT, (const uint8_t *)"hello\r\n", 7, 0), -1);
    ssh_state_free(&st);
    /* A packet of 4 GB, and a padding longer than the packet */
    const uint8_t big[] = "SSH-2.0-x\r\n\xff\xff\xff\xff\x04";
    ssh_state_init(&st, NULL);
    assert_int_equal(ssh_parse(&st, FLOW_TOSERVER, big, sizeof big - 1, 0), -1);
    assert_int_equal(st.counters.malformed[SSH_BAD_PACKET], 1);
    assert_string_equal(st.side[0].software_version, "x");
    ssh_state_free(&st);
    const uint8_t pad[] = "SSH-2.0-x\r\n\0\0\0\x0c\x0c";
    ssh_state_init(&st, NULL);
    assert_int_equal(ssh_parse(&st, FLOW_TOSERVER, pad, sizeof pad - 1, 0), -1);
    assert_int_equal(st.counters.malformed[SSH_BAD_PACKET], 1);
    ssh_state_free(&st);
    /* A KEXINIT whose name-list runs past the payload */
    const uint8_t kex[] = "SSH-2.0-x\r\n\0\0\0\x1c\x04\x14"
                          "AAAAAAAAAAAAAAAA\0\0\x01\0zzpppp";
    ssh_state_init(&st, NULL);
    assert_int_equal(ssh_parse(&st, FLOW_TOSERVER, kex, sizeof kex - 1, 0), -1);
    assert_int_equal(st.counters.malformed[SSH_BAD_KEXINIT], 1);
    assert_false(st.side[0].kexinit);
    ssh_state_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session),
        cmocka_unit_test(hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
