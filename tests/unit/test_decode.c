/* Decode unit tests: frames built byte by byte for every link type,
 * encapsulation and transport, checking the fields extracted; truncated and
 * malformed variants each checking the counter they must raise; IP fragment
 * reassembly (order, overlap, timeout, memcap); and the crafted captures in
 * pcaps/ (decode_*.pcap, malformed/packets.pcap) read through capture. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "config/config.h"
#include "decode/decode.h"
#include "decode/defrag.h"
#include "util/log.h"

/* ---- frame builder: appends to one buffer ---- */

static uint8_t fb[70000];
static size_t fn;

static void put(const void *p, size_t n) { memcpy(fb + fn, p, n); fn += n; }
static void put8(unsigned v) { fb[fn++] = (uint8_t)v; }
static void put16(unsigned v) { put8(v >> 8); put8(v & 0xFF); }
static void put32(uint32_t v) { put16(v >> 16); put16(v & 0xFFFF); }
static void putn(unsigned byte, size_t n) { memset(fb + fn, (int)byte, n); fn += n; }

static const uint8_t A4[4] = { 10, 0, 0, 1 }, B4[4] = { 10, 0, 0, 2 };
static const uint8_t O4[4] = { 192, 0, 2, 1 }, P4[4] = { 192, 0, 2, 2 };
static const uint8_t A6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t B6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static void eth(uint16_t type)
{
    putn(0x02, 6);
    putn(0x04, 6);
    put16(type);
}

static void ip4(uint8_t proto, unsigned payload_len, uint16_t id, uint16_t frag, const uint8_t *s,
                const uint8_t *d)
{
    put8(0x45);
    put8(0);
    put16(20 + payload_len);
    put16(id);
    put16(frag);
    put8(64);
    put8(proto);
    put16(0);
    put(s, 4);
    put(d, 4);
}

static void ip6(uint8_t nh, unsigned payload_len, const uint8_t *s, const uint8_t *d)
{
    put32(6u << 28);
    put16(payload_len);
    put8(nh);
    put8(55);
    put(s, 16);
    put(d, 16);
}

static void udp_hdr(unsigned sport, unsigned dport, unsigned payload_len)
{
    put16(sport);
    put16(dport);
    put16(8 + payload_len);
    put16(0);
}

static const char PAY[] = "hello";   /* 5 bytes of UDP payload in most frames */

static void udp_pay(void)
{
    udp_hdr(1111, 2222, 5);
    put(PAY, 5);
}

/* An IPv4 UDP datagram (33 bytes) and its IPv6 twin (53 bytes). */
static void dgram4(void) { ip4(17, 13, 1, 0, A4, B4); udp_pay(); }
static void dgram6(void) { ip6(17, 13, A6, B6); udp_pay(); }

/* ---- running the decoder ---- */

static struct decoder *dec;
static struct packet pkt;

static int setup(void **state)
{
    (void)state;
    log_set_level(LOG_LEVEL_ERROR);
    dec = decoder_new(NULL);
    fn = 0;
    return dec ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    decoder_free(dec);
    return 0;
}

static uint64_t ts_now = 1700000000000000ull;

static enum decode_status run_snap(int linktype, uint32_t wirelen)
{
    struct capture_packet f = { .ts_usec = ts_now, .caplen = (uint32_t)fn, .wirelen = wirelen,
                                .linktype = linktype, .pcap_cnt = 1, .data = fb };
    return decode_packet(dec, &f, &pkt);
}

static enum decode_status run(int linktype) { return run_snap(linktype, (uint32_t)fn); }

static uint64_t err(enum decode_error e) { return decoder_stats(dec)->errors[e]; }

/* Asserts that pkt is the UDP flow A->B 1111->2222 carrying PAY. */
static void assert_udp_flow(int version)
{
    assert_int_equal(pkt.ip_version, version);
    assert_int_equal(pkt.proto, 17);
    assert_int_equal(pkt.src.family, version);
    if (version == 4) {
        assert_memory_equal(pkt.src.bytes, A4, 4);
        assert_memory_equal(pkt.dst.bytes, B4, 4);
        for (int i = 4; i < 16; i++)
            assert_int_equal(pkt.src.bytes[i], 0);
        assert_int_equal(pkt.ttl, 64);
    } else {
        assert_memory_equal(pkt.src.bytes, A6, 16);
        assert_memory_equal(pkt.dst.bytes, B6, 16);
        assert_int_equal(pkt.ttl, 55);
    }
    assert_int_equal(pkt.src_port, 1111);
    assert_int_equal(pkt.dst_port, 2222);
    assert_int_equal(pkt.payload_len, 5);
    assert_memory_equal(pkt.payload, PAY, 5);
    assert_int_equal(pkt.ip_header[0] >> 4, version);
    assert_int_equal(pkt.ip_len, version == 4 ? 33 : 53);
}

/* Every drop reason the test expects raises exactly that counter. */
static void assert_dropped(enum decode_status st, enum decode_error e)
{
    assert_int_equal(st, DECODE_DROPPED);
    assert_int_equal(err(e), 1);
    uint64_t sum = 0;
    for (int i = 0; i < DECODE_ERROR_COUNT; i++)
        sum += err((enum decode_error)i);
    assert_int_equal(sum, 1);
}

/* ---- Ethernet, IPv4, IPv6, transports ---- */

static void test_eth_ipv4_udp(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_ptr_equal(pkt.ip_header, fb + 14);
    assert_ptr_equal(pkt.payload, fb + 14 + 28);
    assert_int_equal(pkt.vlan_count, 0);
    assert_int_equal(pkt.tunnel_depth, 0);
    assert_false(pkt.reassembled);
    assert_int_equal(pkt.ts_usec, ts_now);
    assert_int_equal(decoder_stats(dec)->ipv4, 1);
    assert_int_equal(decoder_stats(dec)->udp, 1);
}

static void test_eth_padding_trimmed(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    putn(0, 60 - fn);           /* minimum Ethernet frame */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
}

static void test_ipv4_options_tcp(void **state)
{
    (void)state;
    eth(0x0800);
    put8(0x46);                 /* IHL 6: one option word */
    put8(0);
    put16(24 + 24 + 3);
    put16(9);
    put16(0x4000);
    put8(30);
    put8(6);
    put16(0);
    put(A4, 4);
    put(B4, 4);
    put32(0x01010101);          /* NOPs */
    put16(40000);               /* TCP, data offset 6 (an MSS option) */
    put16(443);
    put32(0x11223344);
    put32(0x55667788);
    put8(6 << 4);
    put8(0x12);                 /* SYN|ACK */
    put16(29200);
    put16(0);
    put16(0);
    put32(0x020405b4);
    put("abc", 3);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 6);
    assert_int_equal(pkt.ttl, 30);
    assert_int_equal(pkt.src_port, 40000);
    assert_int_equal(pkt.dst_port, 443);
    assert_int_equal(pkt.tcp_flags, TCP_SYN | TCP_ACK);
    assert_int_equal(pkt.tcp_seq, 0x11223344);
    assert_int_equal(pkt.tcp_ack, 0x55667788);
    assert_int_equal(pkt.tcp_window, 29200);
    assert_int_equal(pkt.payload_len, 3);
    assert_memory_equal(pkt.payload, "abc", 3);
    assert_int_equal(pkt.ip_len, 51);
    assert_int_equal(decoder_stats(dec)->tcp, 1);
}

static void test_icmp_sctp_other(void **state)
{
    (void)state;
    eth(0x0800);
    ip4(1, 12, 1, 0, A4, B4);
    put8(8);
    put8(0);
    put16(0);
    put32(0x00010002);
    put32(0xdeadbeef);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 1);
    assert_int_equal(pkt.icmp_type, 8);
    assert_int_equal(pkt.icmp_code, 0);
    assert_int_equal(pkt.src_port, 0);
    assert_int_equal(pkt.payload_len, 4);

    fn = 0;
    eth(0x0800);
    ip4(132, 16, 1, 0, A4, B4);
    put16(3868);
    put16(2905);
    put32(1);
    put32(0);
    put32(0x00030004);          /* a chunk header */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 132);
    assert_int_equal(pkt.src_port, 3868);
    assert_int_equal(pkt.dst_port, 2905);
    assert_int_equal(pkt.payload_len, 4);

    fn = 0;
    eth(0x0800);
    ip4(89, 6, 1, 0, A4, B4);   /* OSPF: no ports */
    putn(0xAA, 6);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 89);
    assert_int_equal(pkt.src_port, 0);
    assert_int_equal(pkt.dst_port, 0);
    assert_int_equal(pkt.payload_len, 6);
    assert_ptr_equal(pkt.payload, fb + 34);
    const struct decode_stats *s = decoder_stats(dec);
    assert_int_equal(s->icmp, 1);
    assert_int_equal(s->sctp, 1);
    assert_int_equal(s->other_ip, 1);
}

static void test_ipv6_udp_and_icmpv6(void **state)
{
    (void)state;
    eth(0x86DD);
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    fn = 0;
    eth(0x86DD);
    ip6(58, 8, A6, B6);
    put8(135);
    put8(0);
    put16(0);
    put32(0);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 58);
    assert_int_equal(pkt.icmp_type, 135);
    assert_int_equal(decoder_stats(dec)->icmpv6, 1);
    assert_int_equal(decoder_stats(dec)->ipv6, 2);
}

static void test_ipv6_extension_headers(void **state)
{
    (void)state;
    eth(0x86DD);
    ip6(0, 8 + 16 + 8 + 16 + 13, A6, B6);
    put8(43); put8(0); putn(0, 6);          /* hop-by-hop -> routing */
    put8(60); put8(1); putn(0, 14);         /* routing (16 bytes) -> dest opts */
    put8(51); put8(0); putn(0, 6);          /* dest opts -> AH */
    put8(17); put8(2); putn(0, 14);         /* AH: (2+2)*4 = 16 bytes -> UDP */
    udp_pay();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 17);
    assert_int_equal(pkt.src_port, 1111);
    assert_int_equal(pkt.payload_len, 5);
    assert_memory_equal(pkt.payload, PAY, 5);
    /* Atomic fragment (offset 0, M=0): a whole datagram. */
    fn = 0;
    eth(0x86DD);
    ip6(44, 8 + 13, A6, B6);
    put8(17); put8(0); put16(0); put32(77);
    udp_pay();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 2222);
    assert_int_equal(decoder_stats(dec)->fragments, 0);
    /* ESP ends the chain: proto 50, no ports. */
    fn = 0;
    eth(0x86DD);
    ip6(50, 8, A6, B6);
    putn(1, 8);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 50);
}

/* ---- link types ---- */

static void test_link_types(void **state)
{
    (void)state;
    static const int raw_types[] = { 12, 14, 101 };
    for (size_t i = 0; i < 3; i++) {
        fn = 0;
        dgram4();
        assert_int_equal(run(raw_types[i]), DECODE_PACKET);
        assert_udp_flow(4);
        fn = 0;
        dgram6();
        assert_int_equal(run(raw_types[i]), DECODE_PACKET);
        assert_udp_flow(6);
    }
    fn = 0; dgram4();
    assert_int_equal(run(228), DECODE_PACKET);          /* DLT_IPV4 */
    assert_udp_flow(4);
    fn = 0; dgram6();
    assert_int_equal(run(229), DECODE_PACKET);          /* DLT_IPV6 */
    assert_udp_flow(6);

    /* BSD loopback, both byte orders, every IPv6 AF value. */
    static const uint32_t afs6[] = { 24, 28, 30 };
    static const int null_types[] = { 0, 108 };
    for (size_t t = 0; t < 2; t++) {
        fn = 0; put8(2); put8(0); put8(0); put8(0); dgram4();
        assert_int_equal(run(null_types[t]), DECODE_PACKET);
        assert_udp_flow(4);
        fn = 0; put32(2); dgram4();
        assert_int_equal(run(null_types[t]), DECODE_PACKET);
        assert_udp_flow(4);
        for (size_t i = 0; i < 3; i++) {
            fn = 0; put8(afs6[i]); put8(0); put8(0); put8(0); dgram6();
            assert_int_equal(run(null_types[t]), DECODE_PACKET);
            assert_udp_flow(6);
            fn = 0; put32(afs6[i]); dgram6();
            assert_int_equal(run(null_types[t]), DECODE_PACKET);
            assert_udp_flow(6);
        }
    }

    /* Linux cooked v1 and v2. */
    fn = 0; put16(0); put16(1); put16(6); putn(0x02, 8); put16(0x0800); dgram4();
    assert_int_equal(run(113), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0; put16(0x86DD); put16(0); put32(2); put16(1); put8(0); put8(6); putn(0x02, 8); dgram6();
    assert_int_equal(run(276), DECODE_PACKET);
    assert_udp_flow(6);

    /* PPP: with address/control, plain, compressed protocol; PPP serial. */
    fn = 0; put8(0xff); put8(0x03); put16(0x0021); dgram4();
    assert_int_equal(run(9), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0; put16(0x0057); dgram6();
    assert_int_equal(run(9), DECODE_PACKET);
    assert_udp_flow(6);
    fn = 0; put8(0x21); dgram4();
    assert_int_equal(run(9), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0; put8(0xff); put8(0x03); put16(0x0021); dgram4();
    assert_int_equal(run(50), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0; put8(0xff); put8(0x03); put16(0xc021); putn(0, 8);   /* LCP */
    assert_int_equal(run(9), DECODE_SKIPPED);

    /* Cisco HDLC. */
    fn = 0; put8(0x0f); put8(0); put16(0x0800); dgram4();
    assert_int_equal(run(104), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0; put8(0x8f); put8(0); put16(0x86DD); dgram6();
    assert_int_equal(run(104), DECODE_PACKET);
    assert_udp_flow(6);
    for (int i = 0; i < DECODE_ERROR_COUNT; i++)
        assert_int_equal(err((enum decode_error)i), 0);
}

static void test_link_unsupported_and_truncated(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    assert_int_equal(run(105), DECODE_DROPPED);      /* 802.11 */
    assert_int_equal(run(105), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_LINK_UNSUPPORTED), 2);
    assert_false(decode_linktype_supported(105));
    assert_true(decode_linktype_supported(1));
    assert_true(decode_linktype_supported(276));
    static const int types[] = { 1, 113, 276, 0, 104 };
    static const size_t hdr[] = { 14, 16, 20, 4, 4 };
    for (size_t i = 0; i < 5; i++) {
        fn = hdr[i] - 1;
        memset(fb, 0, fn);
        assert_int_equal(run(types[i]), DECODE_DROPPED);
        assert_int_equal(err(DECODE_ERR_LINK_TRUNCATED), i + 1);
    }
    fn = 0;
    assert_int_equal(run(1), DECODE_DROPPED);        /* zero-length frame */
    assert_int_equal(err(DECODE_ERR_LINK_TRUNCATED), 6);
    fn = 0;
    put8(0x50);
    putn(0, 30);
    assert_int_equal(run(101), DECODE_DROPPED);      /* raw IP, version 5 */
    assert_int_equal(err(DECODE_ERR_IP_BAD_VERSION), 1);
}

/* Counts the lines of stderr output that contain needle while fn runs. */
static int stderr_lines_with(const char *needle, void (*action)(void))
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    dup2(fileno(tmp), 2);
    action();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, tmp))
        n += strstr(line, needle) != NULL;
    fclose(tmp);
    return n;
}

static void decode_unsupported_file(void)
{
    log_set_level(LOG_LEVEL_WARNING);
    uint64_t outcome[4] = { 0 };
    const char *path = "pcaps/malformed/unsupported_linktype.pcap";
    struct capture_source *src;
    assert_int_equal(capture_open_offline(&src, &path, 1), 0);
    struct capture_packet f;
    while (capture_next(src, &f) == CAPTURE_OK)
        outcome[decode_packet(dec, &f, &pkt)]++;
    capture_close(src);
    fn = 0;
    eth(0x0800);
    dgram4();
    run(147);                   /* another unsupported type: its own warning */
    run(147);
    log_set_level(LOG_LEVEL_ERROR);
    assert_int_equal(outcome[DECODE_DROPPED], 3);
}

static void test_unsupported_warned_once(void **state)
{
    (void)state;
    assert_int_equal(stderr_lines_with("link type 105", decode_unsupported_file), 1);
    assert_int_equal(err(DECODE_ERR_LINK_UNSUPPORTED), 5);
    assert_int_equal(stderr_lines_with("link type 147", decode_unsupported_file), 0);  /* already warned */
}

static void test_non_ip(void **state)
{
    (void)state;
    eth(0x0806);                 /* ARP */
    putn(0, 28);
    assert_int_equal(run(1), DECODE_SKIPPED);
    fn = 0;
    eth(0x88CC);                 /* LLDP */
    putn(0, 20);
    assert_int_equal(run(1), DECODE_SKIPPED);
    assert_int_equal(decoder_stats(dec)->non_ip, 2);
}

/* ---- VLAN, MPLS, PPPoE ---- */

static void vlan_frame(const uint16_t *tpids, const uint16_t *vids, size_t n)
{
    fn = 0;
    putn(0x02, 12);
    for (size_t i = 0; i < n; i++) {
        put16(tpids[i]);
        put16(0x2000 | vids[i]);  /* PCP 1 must not leak into the id */
    }
    put16(0x0800);
    dgram4();
}

static void test_vlan(void **state)
{
    (void)state;
    uint16_t tp[10] = { 0x8100 }, vid[10] = { 100 };
    vlan_frame(tp, vid, 1);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(pkt.vlan_count, 1);
    assert_int_equal(pkt.vlan_id[0], 100);
    assert_int_equal(pkt.vlan_id[1], 0);
    static const uint16_t outer[] = { 0x88A8, 0x9100 };
    for (int i = 0; i < 2; i++) {
        uint16_t t2[2] = { outer[i], 0x8100 }, v2[2] = { 200, 300 };
        vlan_frame(t2, v2, 2);
        assert_int_equal(run(1), DECODE_PACKET);
        assert_udp_flow(4);
        assert_int_equal(pkt.vlan_count, 2);
        assert_int_equal(pkt.vlan_id[0], 200);
        assert_int_equal(pkt.vlan_id[1], 300);
    }
    for (int i = 0; i < 10; i++) {
        tp[i] = 0x8100;
        vid[i] = (uint16_t)(i + 1);
    }
    vlan_frame(tp, vid, 8);     /* eight deep: still read, two ids kept */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.vlan_count, 8);
    assert_int_equal(pkt.vlan_id[0], 1);
    assert_int_equal(pkt.vlan_id[1], 2);
    vlan_frame(tp, vid, 10);
    assert_dropped(run(1), DECODE_ERR_VLAN_TOO_DEEP);
    fn = 0;
    eth(0x8100);
    put16(5);
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_VLAN_TRUNCATED), 1);
    assert_int_equal(decoder_stats(dec)->vlan, 5);   /* frames with tags, the too-deep one included */
}

static void mpls_entry(uint32_t label, int bos) { put32(label << 12 | (bos ? 0x100u : 0) | 64); }

static void test_mpls(void **state)
{
    (void)state;
    eth(0x8847);
    mpls_entry(1000, 0);
    mpls_entry(2000, 1);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0;
    eth(0x8848);
    mpls_entry(3000, 1);
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    /* Explicit null label 2 says IPv6 whatever the nibble. */
    fn = 0;
    eth(0x8847);
    mpls_entry(2, 1);
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    /* Pseudowire control word, then an Ethernet frame. */
    fn = 0;
    eth(0x8847);
    mpls_entry(500, 1);
    put32(0);
    eth(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(decoder_stats(dec)->mpls, 4);
    /* No bottom of stack before the end. */
    fn = 0;
    eth(0x8847);
    mpls_entry(1, 0);
    put16(0);
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_MPLS_TRUNCATED), 1);
    fn = 0;
    eth(0x8847);
    for (int i = 0; i < 20; i++)
        mpls_entry(100 + (uint32_t)i, i == 19);
    dgram4();
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_MPLS_TOO_DEEP), 1);
}

static void test_pppoe(void **state)
{
    (void)state;
    eth(0x8864);
    put8(0x11); put8(0); put16(0x1234); put16(2 + 33);
    put16(0x0021);
    dgram4();
    putn(0, 6);                 /* padding beyond the PPPoE length */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0;
    eth(0x8864);
    put8(0x11); put8(0); put16(0x1234); put16(2 + 53);
    put16(0x0057);
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    fn = 0;
    eth(0x8864);
    put8(0x11); put8(0); put16(0x1234); put16(6);
    put16(0xc021);              /* LCP inside the session */
    putn(0, 4);
    assert_int_equal(run(1), DECODE_SKIPPED);
    fn = 0;
    eth(0x8863);                /* discovery stage */
    putn(0, 20);
    assert_int_equal(run(1), DECODE_SKIPPED);
    assert_int_equal(decoder_stats(dec)->pppoe, 3);
    fn = 0;
    eth(0x8864);
    put8(0x11); put8(0); put16(1);
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_PPPOE_TRUNCATED), 1);
    fn = 0;
    eth(0x8864);
    put8(0x22); put8(0); put16(1); put16(35); put16(0x0021);
    dgram4();
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_PPPOE_MALFORMED), 1);
}

/* ---- tunnels ---- */

static void test_ip_in_ip(void **state)
{
    (void)state;
    eth(0x0800);
    ip4(4, 33, 5, 0, O4, P4);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(pkt.tunnel_depth, 1);
    assert_ptr_equal(pkt.ip_header, fb + 34);
    fn = 0;
    eth(0x0800);
    ip4(41, 53, 5, 0, O4, P4);  /* 6in4 */
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    assert_int_equal(pkt.tunnel_depth, 1);
    fn = 0;
    eth(0x86DD);
    ip6(4, 33, B6, A6);         /* 4in6 */
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0;
    eth(0x86DD);
    ip6(41, 53, B6, A6);        /* 6in6 */
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    assert_int_equal(decoder_stats(dec)->tunnels, 4);
}

static void test_gre(void **state)
{
    (void)state;
    /* Version 0 with checksum, key and sequence, IPv4 inside. */
    eth(0x0800);
    ip4(47, 16 + 33, 5, 0, O4, P4);
    put16(0xB000); put16(0x0800); put32(0); put32(42); put32(7);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(pkt.tunnel_depth, 1);
    /* IPv6 inside, no options. */
    fn = 0;
    eth(0x0800);
    ip4(47, 4 + 53, 5, 0, O4, P4);
    put16(0); put16(0x86DD);
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    /* Transparent Ethernet bridging with a VLAN inside. */
    fn = 0;
    eth(0x0800);
    ip4(47, 8 + 18 + 33, 5, 0, O4, P4);
    put16(0x2000); put16(0x6558); put32(1);
    putn(0x02, 12); put16(0x8100); put16(33); put16(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(pkt.vlan_id[0], 33);
    /* ERSPAN type II: sequence bit, 8-byte ERSPAN header, Ethernet. */
    fn = 0;
    eth(0x0800);
    ip4(47, 8 + 8 + 14 + 33, 5, 0, O4, P4);
    put16(0x1000); put16(0x88BE); put32(1);
    put16(0x1000 | 12); put16(0); put32(0);
    eth(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    /* ERSPAN type I: no sequence, no ERSPAN header. */
    fn = 0;
    eth(0x0800);
    ip4(47, 4 + 14 + 33, 5, 0, O4, P4);
    put16(0); put16(0x88BE);
    putn(0x12, 12); put16(0x0800);       /* a MAC starting with nibble 1 */
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    /* PPTP enhanced GRE (version 1) carrying PPP. */
    fn = 0;
    eth(0x0800);
    ip4(47, 12 + 4 + 33, 5, 0, O4, P4);
    put16(0x3001); put16(0x880B); put16(4 + 33); put16(9); put32(1);
    put8(0xff); put8(0x03); put16(0x0021);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    /* An ethertype xiezhi does not read inside: the GRE packet itself. */
    fn = 0;
    eth(0x0800);
    ip4(47, 4 + 28, 5, 0, O4, P4);
    put16(0); put16(0x0806);
    putn(0, 28);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 47);
    assert_int_equal(pkt.tunnel_depth, 0);
    assert_memory_equal(pkt.src.bytes, O4, 4);
    assert_int_equal(decoder_stats(dec)->tunnels, 6);
    /* Routing bit, version 2: unsupported, counted, and the outer datagram
     * stays the packet (a GRE header nobody reads must not hide it). */
    fn = 0;
    eth(0x0800);
    ip4(47, 8, 5, 0, O4, P4);
    put16(0x4000); put16(0x0800); put32(0);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 47);
    assert_memory_equal(pkt.src.bytes, O4, 4);
    assert_true(pkt.decode_events & (1ull << DECODE_ERR_GRE_UNSUPPORTED));
    fn = 0;
    eth(0x0800);
    ip4(47, 8, 5, 0, O4, P4);
    put16(0x0002); put16(0x0800); put32(0);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 47);
    assert_int_equal(err(DECODE_ERR_GRE_UNSUPPORTED), 2);
    /* Key flag but only 6 bytes. */
    fn = 0;
    eth(0x0800);
    ip4(47, 6, 5, 0, O4, P4);
    put16(0x2000); put16(0x0800); put16(0);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 47);
    assert_int_equal(pkt.payload_len, 6);
    assert_int_equal(err(DECODE_ERR_GRE_TRUNCATED), 1);
}

static void test_tunnel_depth_limit(void **state)
{
    (void)state;
    struct decoder_config cfg = { .max_tunnel_depth = 2 };
    struct decoder *d2 = decoder_new(&cfg);
    assert_non_null(d2);
    struct decoder *saved = dec;
    dec = d2;
    eth(0x0800);
    ip4(4, 20 + 33, 1, 0, O4, P4);
    ip4(4, 33, 2, 0, O4, P4);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.tunnel_depth, 2);
    assert_udp_flow(4);
    fn = 0;
    eth(0x0800);
    ip4(4, 40 + 33, 1, 0, O4, P4);
    ip4(4, 20 + 33, 2, 0, O4, P4);
    ip4(4, 33, 3, 0, O4, P4);
    dgram4();
    /* The third encapsulation is not followed: the second-level datagram
     * (protocol 4) is the packet, and the event is counted. */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 4);
    assert_int_equal(pkt.tunnel_depth, 2);
    assert_ptr_equal(pkt.ip_header, fb + 14 + 40);
    assert_int_equal(pkt.payload_len, 33);       /* the innermost datagram, not decoded */
    assert_int_equal(err(DECODE_ERR_TUNNEL_TOO_DEEP), 1);
    /* The same for GRE, and a UDP tunnel stays UDP. */
    fn = 0;
    eth(0x0800);
    ip4(47, 4 + 20 + 4 + 20 + 4 + 33, 1, 0, O4, P4);
    put16(0); put16(0x0800);
    ip4(47, 4 + 20 + 4 + 33, 2, 0, O4, P4);
    put16(0); put16(0x0800);
    ip4(47, 4 + 33, 3, 0, A4, B4);
    put16(0); put16(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 47);
    assert_memory_equal(pkt.src.bytes, A4, 4);
    assert_int_equal(err(DECODE_ERR_TUNNEL_TOO_DEEP), 2);
    fn = 0;
    eth(0x0800);
    ip4(4, 20 + 20 + 8 + 8 + 14 + 33, 1, 0, O4, P4);
    ip4(4, 20 + 8 + 8 + 14 + 33, 2, 0, O4, P4);
    ip4(17, 8 + 8 + 14 + 33, 3, 0, A4, B4);
    udp_hdr(40000, 4789, 8 + 14 + 33);
    put32(0x08000000); put32(42 << 8);
    eth(0x0800);
    dgram4();
    struct decoder_config cfg3 = { .max_tunnel_depth = 2, .vxlan_port = 4789 };
    struct decoder *d3 = decoder_new(&cfg3);
    dec = d3;
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 17);
    assert_int_equal(pkt.dst_port, 4789);
    assert_int_equal(pkt.tunnel_depth, 2);
    assert_int_equal(err(DECODE_ERR_TUNNEL_TOO_DEEP), 1);
    decoder_free(d3);
    dec = saved;
    decoder_free(d2);
}

/* Outer IPv4/UDP to port dport around len bytes that the caller adds. */
static void udp_outer(unsigned dport, unsigned len)
{
    eth(0x0800);
    ip4(17, 8 + len, 5, 0, O4, P4);
    udp_hdr(40000, dport, len);
}

static void test_udp_tunnels(void **state)
{
    (void)state;
    /* VXLAN: flags 0x08, VNI 42, Ethernet, IPv4/UDP. */
    udp_outer(4789, 8 + 14 + 33);
    put32(0x08000000); put32(42 << 8);
    eth(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(pkt.tunnel_depth, 1);
    /* Geneve with 8 bytes of options, Ethernet inside. */
    fn = 0;
    udp_outer(6081, 8 + 8 + 14 + 53);
    put8(2); put8(0); put16(0x6558); put32(7 << 8); putn(0, 8);
    eth(0x86DD);
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    /* GTP-U G-PDU, plain header. */
    fn = 0;
    udp_outer(2152, 8 + 33);
    put8(0x30); put8(0xFF); put16(33); put32(0x1234);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    /* GTP-U with sequence and one extension header (PDU session, 4 bytes). */
    fn = 0;
    udp_outer(2152, 12 + 4 + 53);
    put8(0x36); put8(0xFF); put16(4 + 4 + 53); put32(0x1234);
    put16(1); put8(0); put8(0x85);
    put8(1); put8(0x10); put8(0x09); put8(0);
    dgram6();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
    /* TZSP: header, a padding tag, a 2-byte tag, END, Ethernet. */
    fn = 0;
    udp_outer(37008, 4 + 1 + 4 + 1 + 14 + 33);
    put8(1); put8(0); put16(1);
    put8(0); put8(10); put8(2); put16(0x1234); put8(1);
    eth(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(decoder_stats(dec)->tunnels, 5);
    assert_int_equal(decoder_stats(dec)->udp, 5);
    /* GTP-U echo request: signalling, stays a UDP packet to 2152. */
    fn = 0;
    udp_outer(2152, 12);
    put8(0x32); put8(0x01); put16(4); put32(0); put32(0);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 2152);
    assert_int_equal(pkt.tunnel_depth, 0);
    assert_memory_equal(pkt.src.bytes, O4, 4);
    /* TZSP without END tag: ordinary UDP. */
    fn = 0;
    udp_outer(37008, 6);
    put8(1); put8(0); put16(1); put8(10); put8(9);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 37008);
    /* VXLAN flags wrong: ordinary UDP. */
    fn = 0;
    udp_outer(4789, 8 + 14 + 33);
    put32(0x0C000000); put32(42 << 8);
    eth(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 4789);
    assert_int_equal(pkt.payload_len, 8 + 14 + 33);
    /* ARP inside VXLAN: the outer UDP datagram is the packet. */
    fn = 0;
    udp_outer(4789, 8 + 14 + 28);
    put32(0x08000000); put32(42 << 8);
    eth(0x0806);
    putn(0, 28);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 4789);
    assert_int_equal(pkt.tunnel_depth, 0);
    assert_int_equal(pkt.vlan_count, 0);
    assert_int_equal(decoder_stats(dec)->tunnels, 5);
    /* GTP-U extension chain running off the end. */
    fn = 0;
    udp_outer(2152, 12 + 2);
    put8(0x34); put8(0xFF); put16(6); put32(1);
    put16(0); put8(0); put8(0x85);
    put8(3); put8(0);
    assert_int_equal(run(1), DECODE_PACKET);      /* counted; the outer datagram stays */
    assert_int_equal(pkt.dst_port, 2152);
    assert_int_equal(pkt.tunnel_depth, 0);
    assert_int_equal(err(DECODE_ERR_GTPU_TRUNCATED), 1);
    assert_int_equal(decoder_stats(dec)->tunnel_outer_kept, 1);
    assert_true(pkt.decode_events & (1ull << DECODE_ERR_GTPU_TRUNCATED));
}

/* The decoder evasions of issue 14: a tunnel layer that does not decode
 * made the whole frame vanish, tunnels were recognised by the source port,
 * Geneve and GTP-U by a few bits. */
static void test_tunnel_payload_bad_keeps_outer(void **state)
{
    (void)state;
    /* IP-in-IP whose inner header has IHL 3: the outer datagram (protocol
     * 4) is the packet, the inner error counted. */
    eth(0x0800);
    ip4(4, 33, 5, 0, O4, P4);
    dgram4();
    fb[14 + 20] = 0x43;
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 4);
    assert_int_equal(pkt.tunnel_depth, 0);
    assert_memory_equal(pkt.src.bytes, O4, 4);
    assert_int_equal(pkt.payload_len, 33);
    assert_int_equal(err(DECODE_ERR_IPV4_BAD_IHL), 1);
    assert_int_equal(decoder_stats(dec)->tunnel_outer_kept, 1);
    assert_int_equal(decoder_stats(dec)->tunnels, 0);
    assert_true(pkt.decode_events & (1ull << DECODE_ERR_IPV4_BAD_IHL));
    /* 6in4 with a truncated inner IPv6 header. */
    fn = 0;
    eth(0x0800);
    ip4(41, 20, 5, 0, O4, P4);
    put32(6u << 28); putn(0, 16);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 41);
    assert_int_equal(err(DECODE_ERR_IPV6_TRUNCATED), 1);
    /* GRE carrying an IPv4 header with a bad version. */
    fn = 0;
    eth(0x0800);
    ip4(47, 4 + 33, 5, 0, O4, P4);
    put16(0); put16(0x0800);
    dgram4();
    fb[14 + 20 + 4] = 0x55;
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 47);
    assert_memory_equal(pkt.dst.bytes, P4, 4);
    assert_int_equal(pkt.tunnel_depth, 0);
    /* VXLAN whose inner TCP header has data offset 2: the outer UDP. */
    fn = 0;
    udp_outer(4789, 8 + 14 + 40);
    put32(0x08000000); put32(42 << 8);
    eth(0x0800);
    ip4(6, 20, 1, 0, A4, B4);
    put16(1); put16(80); put32(0); put32(0); put8(0x20); put8(2); put16(0); put32(0);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 17);
    assert_int_equal(pkt.dst_port, 4789);
    assert_int_equal(pkt.payload_len, 8 + 14 + 40);
    assert_memory_equal(pkt.src.bytes, O4, 4);
    assert_int_equal(pkt.vlan_count, 0);
    assert_int_equal(err(DECODE_ERR_TCP_BAD_OFFSET), 1);
    assert_int_equal(decoder_stats(dec)->tunnel_outer_kept, 4);
    assert_int_equal(decoder_stats(dec)->tunnels, 0);
    /* A good tunnel inside a tunnel whose innermost payload is bad: the
     * middle datagram (the GRE's inner IPv4, protocol 4) is the packet. */
    fn = 0;
    eth(0x0800);
    ip4(47, 4 + 20 + 33, 5, 0, O4, P4);
    put16(0); put16(0x0800);
    ip4(4, 33, 6, 0, A4, B4);
    dgram4();
    fb[14 + 20 + 4 + 20 + 2] = 0;    /* innermost total length 10: below its header */
    fb[14 + 20 + 4 + 20 + 3] = 10;
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 4);
    assert_int_equal(pkt.tunnel_depth, 1);
    assert_memory_equal(pkt.src.bytes, A4, 4);
}

static void test_udp_tunnel_destination_port_only(void **state)
{
    (void)state;
    /* A valid VXLAN frame sent FROM port 4789: the sender's own UDP. */
    eth(0x0800);
    ip4(17, 8 + 8 + 14 + 33, 5, 0, O4, P4);
    udp_hdr(4789, 40000, 8 + 14 + 33);
    put32(0x08000000); put32(42 << 8);
    eth(0x0800);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.src_port, 4789);
    assert_int_equal(pkt.dst_port, 40000);
    assert_int_equal(pkt.tunnel_depth, 0);
    /* From source port 6081, a payload with Geneve's two version bits zero,
     * ethertype IPv4 and garbage after it: once decapsulated and dropped. */
    fn = 0;
    eth(0x0800);
    ip4(17, 8 + 8 + 20, 5, 0, O4, P4);
    udp_hdr(6081, 53, 8 + 20);
    put8(0); put8(0); put16(0x0800); put32(0);
    putn('A', 20);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.src_port, 6081);
    assert_int_equal(pkt.dst_port, 53);
    assert_int_equal(pkt.payload_len, 28);
    assert_int_equal(decoder_stats(dec)->tunnels, 0);
    for (int i = 0; i < DECODE_ERROR_COUNT; i++)
        assert_int_equal(err((enum decode_error)i), 0);
}

static void test_udp_tunnel_reserved_and_lengths(void **state)
{
    (void)state;
    /* Geneve with a reserved bit set in byte 1, then in the last byte. */
    for (int which = 0; which < 2; which++) {
        fn = 0;
        udp_outer(6081, 8 + 14 + 33);
        put8(0); put8(which == 0 ? 0x01 : 0); put16(0x6558); put32(7u << 8 | (which == 1 ? 1 : 0));
        eth(0x0800);
        dgram4();
        assert_int_equal(run(1), DECODE_PACKET);
        assert_int_equal(pkt.dst_port, 6081);
        assert_int_equal(pkt.tunnel_depth, 0);
    }
    /* GTP-U with the spare bit set. */
    fn = 0;
    udp_outer(2152, 8 + 33);
    put8(0x38); put8(0xFF); put16(33); put32(0x1234);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 2152);
    assert_int_equal(pkt.tunnel_depth, 0);
    /* GTP-U whose length claims more than the datagram holds. */
    fn = 0;
    udp_outer(2152, 8 + 33);
    put8(0x30); put8(0xFF); put16(34); put32(0x1234);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 2152);
    assert_int_equal(pkt.tunnel_depth, 0);
    /* GTP-U with 4 trailing bytes after its length: the inner datagram
     * is decoded and the trailer is not its payload. */
    fn = 0;
    udp_outer(2152, 8 + 33 + 4);
    put8(0x30); put8(0xFF); put16(33); put32(0x1234);
    dgram4();
    put32(0xdeadbeef);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    assert_int_equal(pkt.tunnel_depth, 1);
    assert_int_equal(decoder_stats(dec)->tunnels, 1);
}

static void test_udp_tunnels_off(void **state)
{
    (void)state;
    struct decoder_config cfg = { .max_tunnel_depth = 4 };     /* ports 0: off */
    struct decoder *d2 = decoder_new(&cfg);
    struct decoder *saved = dec;
    dec = d2;
    udp_outer(2152, 8 + 33);
    put8(0x30); put8(0xFF); put16(33); put32(0x1234);
    dgram4();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.dst_port, 2152);
    assert_int_equal(pkt.tunnel_depth, 0);
    dec = saved;
    decoder_free(d2);
}

/* ---- malformed IP and transports: one counter each ---- */

static void test_ipv4_malformed(void **state)
{
    (void)state;
    eth(0x0800);
    putn(0x45, 19);
    assert_dropped(run(1), DECODE_ERR_IPV4_TRUNCATED);
}

static void test_ipv4_bad_version(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    fb[14] = 0x65;
    assert_dropped(run(1), DECODE_ERR_IPV4_BAD_VERSION);
}

static void test_ipv4_bad_ihl(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    fb[14] = 0x44;
    assert_dropped(run(1), DECODE_ERR_IPV4_BAD_IHL);
}

static void test_ipv4_ihl_beyond(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    fb[14] = 0x4F;              /* 60-byte header in a 33-byte datagram */
    assert_dropped(run(1), DECODE_ERR_IPV4_TRUNCATED);
}

static void test_ipv4_length_lies(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    fb[16] = 0;
    fb[17] = 19;                /* below the header length */
    assert_dropped(run(1), DECODE_ERR_IPV4_BAD_LENGTH);
}

static void test_zero_length_offload(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    fb[16] = fb[17] = 0;        /* TSO on the capturing host */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(4);
    fn = 0;
    eth(0x86DD);
    dgram6();
    fb[18] = fb[19] = 0;
    assert_int_equal(run(1), DECODE_PACKET);
    assert_udp_flow(6);
}

static void test_ipv4_length_beyond_wire(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    fb[16] = 0x05;              /* 1300 bytes claimed, frame captured whole */
    fb[17] = 0x14;
    assert_dropped(run(1), DECODE_ERR_IPV4_BAD_LENGTH);
}

static void test_snaplen_truncated(void **state)
{
    (void)state;
    /* 1000 bytes of UDP payload on the wire, 60 bytes captured: the
     * datagram is read as far as it goes and marked truncated. */
    eth(0x0800);
    ip4(17, 1008, 1, 0, A4, B4);
    udp_hdr(1111, 2222, 1000);
    putn('x', 60 - fn);
    assert_int_equal(run_snap(1, 14 + 1028), DECODE_PACKET);
    assert_true(pkt.truncated);
    assert_int_equal(pkt.ip_len, 46);
    assert_int_equal(pkt.payload_len, 18);
    assert_int_equal(pkt.dst_port, 2222);
    assert_int_equal(pkt.wire_len, 1042);
    assert_int_equal(decoder_stats(dec)->truncated, 1);
    /* The same cut with a wire length that does not explain it. */
    assert_int_equal(run_snap(1, 100), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_IPV4_BAD_LENGTH), 1);
}

static void test_ipv6_malformed(void **state)
{
    (void)state;
    eth(0x86DD);
    putn(0x60, 39);
    assert_dropped(run(1), DECODE_ERR_IPV6_TRUNCATED);
}

static void test_ipv6_bad_version(void **state)
{
    (void)state;
    eth(0x86DD);
    dgram6();
    fb[14] = 0x40;
    assert_dropped(run(1), DECODE_ERR_IPV6_BAD_VERSION);
}

static void test_ipv6_bad_length(void **state)
{
    (void)state;
    eth(0x86DD);
    dgram6();
    fb[18] = 0x10;              /* payload length 4096+13 */
    assert_dropped(run(1), DECODE_ERR_IPV6_BAD_LENGTH);
}

static void test_ipv6_exthdr_truncated(void **state)
{
    (void)state;
    eth(0x86DD);
    ip6(0, 8, A6, B6);
    put8(17); put8(3); putn(0, 6);   /* claims 32 bytes, 8 present */
    assert_dropped(run(1), DECODE_ERR_IPV6_EXTHDR_TRUNCATED);
    fn = 0;
    eth(0x86DD);
    ip6(60, 4, A6, B6);
    putn(0, 4);
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_IPV6_EXTHDR_TRUNCATED), 2);
}

/* Nine destination-options headers (hosts accept them) before TCP: the TCP
 * packet is decoded.  Beyond the bound (64) the packet is kept with the
 * rest of the chain as its payload and the event counted and flagged. */
static void test_ipv6_exthdr_too_many(void **state)
{
    (void)state;
    eth(0x86DD);
    ip6(60, 9 * 8 + 13, A6, B6);
    for (int i = 0; i < 9; i++) {
        put8(i < 8 ? 60 : 17);
        put8(0);
        putn(0, 6);
    }
    udp_pay();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 17);
    assert_int_equal(pkt.dst_port, 2222);
    assert_int_equal(pkt.decode_events, 0);
    fn = 0;
    eth(0x86DD);
    ip6(60, 70 * 8 + 13, A6, B6);
    for (int i = 0; i < 70; i++) {
        put8(i < 69 ? 60 : 17);
        put8(0);
        putn(0, 6);
    }
    udp_pay();
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.proto, 60);
    assert_memory_equal(pkt.src.bytes, A6, 16);
    assert_int_equal(pkt.payload_len, 6 * 8 + 13);
    assert_int_equal(err(DECODE_ERR_IPV6_EXTHDR_TOO_MANY), 1);
    assert_true(pkt.decode_events & (1ull << DECODE_ERR_IPV6_EXTHDR_TOO_MANY));
}

static void test_tcp_malformed(void **state)
{
    (void)state;
    eth(0x0800);
    ip4(6, 19, 1, 0, A4, B4);
    putn(0, 19);
    assert_dropped(run(1), DECODE_ERR_TCP_TRUNCATED);
}

static void tcp_with_offset(unsigned doff)
{
    fn = 0;
    eth(0x0800);
    ip4(6, 24, 1, 0, A4, B4);
    put16(1); put16(2); put32(0); put32(0);
    put8(doff << 4); put8(2); put16(0); put16(0); put16(0);
    putn(0, 4);
}

static void test_tcp_bad_offset(void **state)
{
    (void)state;
    tcp_with_offset(4);
    assert_dropped(run(1), DECODE_ERR_TCP_BAD_OFFSET);
    tcp_with_offset(15);
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_TCP_BAD_OFFSET), 2);
    tcp_with_offset(6);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.payload_len, 0);
}

static void test_udp_malformed(void **state)
{
    (void)state;
    eth(0x0800);
    ip4(17, 7, 1, 0, A4, B4);
    putn(0, 7);
    assert_dropped(run(1), DECODE_ERR_UDP_TRUNCATED);
}

static void test_udp_bad_length(void **state)
{
    (void)state;
    eth(0x0800);
    dgram4();
    fb[14 + 20 + 5] = 7;        /* UDP length 7 */
    assert_dropped(run(1), DECODE_ERR_UDP_BAD_LENGTH);
    fb[14 + 20 + 5] = 14;       /* one byte more than the datagram */
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_UDP_BAD_LENGTH), 2);
    fb[14 + 20 + 5] = 11;       /* shorter: payload bounded by it */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.payload_len, 3);
}

static void test_icmp_sctp_truncated(void **state)
{
    (void)state;
    eth(0x0800);
    ip4(1, 4, 1, 0, A4, B4);
    putn(0, 4);
    assert_dropped(run(1), DECODE_ERR_ICMP_TRUNCATED);
    fn = 0;
    eth(0x0800);
    ip4(132, 11, 1, 0, A4, B4);
    putn(0, 11);
    assert_int_equal(run(1), DECODE_DROPPED);
    assert_int_equal(err(DECODE_ERR_SCTP_TRUNCATED), 1);
}

/* Every prefix of a valid frame must drop (or, where the prefix is itself
 * a well-formed packet, decode) without reading past the end; ASan checks
 * the "never out of bounds" part. */
static void test_every_prefix(void **state)
{
    (void)state;
    eth(0x8100);
    put16(7);
    put16(0x0800);
    ip4(47, 8 + 61, 1, 0, O4, P4);
    put16(0x2000); put16(0x86DD); put32(1);
    ip6(0, 8 + 13, A6, B6);
    put8(17); put8(0); putn(0, 6);
    udp_pay();
    size_t full = fn;
    static uint8_t copy[256];
    memcpy(copy, fb, full);
    for (size_t cut = 0; cut < full; cut++) {
        uint8_t *exact = malloc(cut ? cut : 1);
        memcpy(exact, copy, cut);
        struct capture_packet f = { .ts_usec = ts_now, .caplen = (uint32_t)cut, .wirelen = (uint32_t)cut,
                                    .linktype = 1, .data = exact };
        assert_int_equal(decode_packet(dec, &f, &pkt), DECODE_DROPPED);
        free(exact);
    }
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(pkt.tunnel_depth, 1);
    assert_int_equal(pkt.vlan_id[0], 7);
    assert_int_equal(pkt.dst_port, 2222);
    assert_memory_equal(pkt.payload, PAY, 5);
}

/* ---- fragments ---- */

/* A UDP datagram of 8 + 40 bytes split in three IPv4 fragments of 16. */
static uint8_t frag_payload[48];

static void frag4(uint16_t id, unsigned off, unsigned len, int more, const uint8_t *data)
{
    fn = 0;
    eth(0x0800);
    ip4(17, len, id, (uint16_t)((more ? 0x2000 : 0) | (off / 8)), A4, B4);
    put(data + off, len);
}

static void init_frag_payload(void)
{
    frag_payload[0] = 1111 >> 8; frag_payload[1] = 1111 & 0xFF;
    frag_payload[2] = 2222 >> 8; frag_payload[3] = 2222 & 0xFF;
    frag_payload[4] = 0; frag_payload[5] = 48;
    frag_payload[6] = frag_payload[7] = 0;
    for (int i = 8; i < 48; i++)
        frag_payload[i] = (uint8_t)('A' + i - 8);
}

static void assert_reassembled4(void)
{
    assert_true(pkt.reassembled);
    assert_int_equal(pkt.ip_len, 68);
    assert_int_equal(pkt.ip_header[0], 0x45);
    assert_int_equal(pkt.ip_header[2] << 8 | pkt.ip_header[3], 68);
    assert_int_equal(pkt.ip_header[6] | pkt.ip_header[7], 0);
    uint32_t sum = 0;           /* header checksum verifies */
    for (int i = 0; i < 20; i += 2)
        sum += (uint32_t)(pkt.ip_header[i] << 8 | pkt.ip_header[i + 1]);
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    assert_int_equal(sum, 0xFFFF);
    assert_int_equal(pkt.src_port, 1111);
    assert_int_equal(pkt.dst_port, 2222);
    assert_int_equal(pkt.payload_len, 40);
    assert_memory_equal(pkt.payload, frag_payload + 8, 40);
}

static void test_frag4_in_order(void **state)
{
    (void)state;
    init_frag_payload();
    frag4(9, 0, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 16, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 32, 16, 0, frag_payload);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_reassembled4();
    assert_int_equal(decoder_stats(dec)->fragments, 3);
    assert_int_equal(decoder_stats(dec)->reassembled, 1);
}

static void test_frag4_out_of_order(void **state)
{
    (void)state;
    init_frag_payload();
    frag4(9, 32, 16, 0, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 0, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 16, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_reassembled4();
    assert_int_equal(err(DECODE_ERR_FRAG_OVERLAP), 0);
}

static void test_frag4_overlap_first_wins(void **state)
{
    (void)state;
    init_frag_payload();
    uint8_t evil[48];
    memset(evil, 'Z', sizeof evil);
    frag4(9, 0, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 16, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 8, 24, 1, evil);        /* rewrites bytes 8..31: ignored */
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 0, 16, 1, frag_payload);   /* exact duplicate */
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 24, 24, 0, evil);       /* 24..31 held, 32..47 new from evil */
    assert_int_equal(run(1), DECODE_PACKET);
    assert_int_equal(err(DECODE_ERR_FRAG_OVERLAP), 3);
    assert_memory_equal(pkt.payload, frag_payload + 8, 24);
    for (int i = 24; i < 40; i++)
        assert_int_equal(pkt.payload[i], 'Z');
}

static void test_frag4_separate_sets(void **state)
{
    (void)state;
    init_frag_payload();
    /* Same id on another VLAN is another datagram. */
    frag4(9, 0, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    fn = 0;
    putn(0x02, 12); put16(0x8100); put16(5); put16(0x0800);
    ip4(17, 32, 9, 2, A4, B4);
    put(frag_payload + 16, 32);
    assert_int_equal(run(1), DECODE_HELD);
    frag4(9, 16, 32, 0, frag_payload);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_reassembled4();
}

static void test_frag_timeout(void **state)
{
    (void)state;
    init_frag_payload();
    frag4(9, 0, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    decoder_expire(dec, ts_now + 29 * 1000000ull);
    assert_int_equal(err(DECODE_ERR_FRAG_TIMEOUT), 0);
    decoder_expire(dec, ts_now + 31 * 1000000ull);
    assert_int_equal(err(DECODE_ERR_FRAG_TIMEOUT), 1);
    /* The rest arrives later: the first part is gone, no datagram. */
    ts_now += 31 * 1000000ull;
    frag4(9, 16, 32, 0, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    ts_now -= 31 * 1000000ull;
}

static void test_frag_memcap(void **state)
{
    (void)state;
    struct decoder_config cfg = { .frag_memcap = 4096, .max_tunnel_depth = 4 };
    struct decoder *d2 = decoder_new(&cfg);
    struct decoder *saved = dec;
    dec = d2;
    uint8_t data[512];
    memset(data, 'm', sizeof data);
    data[4] = 512 >> 8;         /* a UDP header whose length covers the rest */
    data[5] = 0;
    for (uint16_t id = 1; id <= 20; id++) {
        frag4(id, 0, 256, 1, data);
        assert_int_equal(run(1), DECODE_HELD);
    }
    assert_true(err(DECODE_ERR_FRAG_MEMCAP) >= 10);
    /* The newest sets survived: completing id 20 works, id 1 is gone. */
    frag4(20, 256, 256, 0, data);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_true(pkt.reassembled);
    assert_int_equal(pkt.ip_len, 20 + 512);
    /* A fragment bigger than the whole cap is refused. */
    uint8_t big[5000];
    memset(big, 'b', sizeof big);
    frag4(99, 0, 4096, 1, big);
    assert_int_equal(run(1), DECODE_DROPPED);
    dec = saved;
    decoder_free(d2);
}

static void test_frag_too_large(void **state)
{
    (void)state;
    init_frag_payload();
    frag4(9, 0, 16, 1, frag_payload);
    fb[14 + 6] = 0x3F;          /* offset 8191*8 = 65528 */
    fb[14 + 7] = 0xFF;
    assert_dropped(run(1), DECODE_ERR_FRAG_TOO_LARGE);
}

static void frag6(uint32_t id, unsigned off, unsigned len, int more, const uint8_t *data)
{
    fn = 0;
    eth(0x86DD);
    ip6(44, 8 + len, A6, B6);
    put8(17); put8(0); put16(off | (more ? 1u : 0u)); put32(id);
    put(data + off, len);
}

static void test_frag6(void **state)
{
    (void)state;
    init_frag_payload();
    frag6(0xabcdef, 16, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag6(0xabcdef, 32, 16, 0, frag_payload);
    assert_int_equal(run(1), DECODE_HELD);
    frag6(0xabcdef, 0, 16, 1, frag_payload);
    assert_int_equal(run(1), DECODE_PACKET);
    assert_true(pkt.reassembled);
    assert_int_equal(pkt.ip_version, 6);
    assert_int_equal(pkt.ip_len, 40 + 48);
    assert_int_equal(pkt.ip_header[6], 17);
    assert_int_equal(pkt.ip_header[4] << 8 | pkt.ip_header[5], 48);
    assert_memory_equal(pkt.src.bytes, A6, 16);
    assert_int_equal(pkt.dst_port, 2222);
    assert_memory_equal(pkt.payload, frag_payload + 8, 40);
}

static void test_frag_in_tunnel(void **state)
{
    (void)state;
    init_frag_payload();
    /* IPv4 fragments inside IP-in-IP: reassembled, inner flow reported. */
    for (unsigned off = 0; off < 48; off += 24) {
        fn = 0;
        eth(0x0800);
        ip4(4, 20 + 24, 77, 0, O4, P4);
        ip4(17, 24, 9, (uint16_t)((off ? 0 : 0x2000) | off / 8), A4, B4);
        put(frag_payload + off, 24);
        enum decode_status st = run(1);
        assert_int_equal(st, off ? DECODE_PACKET : DECODE_HELD);
    }
    assert_reassembled4();
    assert_int_equal(pkt.tunnel_depth, 1);
}

/* Hash flooding (issue 14): fragment keys that all fell into one bucket
 * under the unkeyed FNV hash defrag used before spread out now. */
static uint32_t old_defrag_hash(const struct frag_key *k)
{
    const uint8_t *b = (const uint8_t *)k;
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < sizeof *k; i++)
        h = (h ^ b[i]) * 16777619u;
    return h & 16383u;
}

static void test_defrag_hash_flooding(void **state)
{
    (void)state;
    enum { WANT = 300 };
    struct defrag *df = defrag_new(64u << 20, 30000000);
    assert_non_null(df);
    struct decode_stats st;
    memset(&st, 0, sizeof st);
    uint8_t hdr[20] = { 0x45 }, data[8] = { 0 }, out[64];
    uint32_t out_len;
    struct frag_key k;
    memset(&k, 0, sizeof k);
    k.family = 4;
    k.proto = 17;
    memcpy(k.src, A4, 4);
    memcpy(k.dst, B4, 4);
    uint32_t target = UINT32_MAX;
    size_t found = 0;
    for (uint32_t id = 0; found < WANT && id < (1u << 26); id++) {
        k.id = id;
        uint32_t h = old_defrag_hash(&k);
        if (target == UINT32_MAX)
            target = h;
        if (h != target)
            continue;
        struct frag_input in = { .key = &k, .ts_usec = ts_now, .hdr = hdr, .hdr_len = 20, .offset = 0,
                                 .more = true, .data = data, .len = sizeof data };
        assert_int_equal(defrag_add(df, &in, out, sizeof out, &out_len, &st), FRAG_HELD);
        found++;
    }
    assert_int_equal(found, WANT);
    assert_int_equal(defrag_sets(df), WANT);
    size_t longest = defrag_longest_chain(df);
    if (longest > 8)
        fail_msg("longest defrag chain %zu with colliding keys, want <= 8", longest);
    defrag_free(df);
}

/* ---- the crafted captures ---- */

static void decode_file(const char *path, uint64_t *outcome)
{
    struct capture_source *src;
    assert_int_equal(capture_open_offline(&src, &path, 1), 0);
    struct capture_packet f;
    while (capture_next(src, &f) == CAPTURE_OK)
        outcome[decode_packet(dec, &f, &pkt)]++;
    assert_false(capture_had_errors(src));
    capture_close(src);
}

static void test_decode_captures(void **state)
{
    (void)state;
    static const char *const files[] = {
        "eth", "raw", "null", "loop", "sll", "sll2", "ppp", "hdlc", "vlan", "qinq", "mpls",
        "pppoe", "ipip", "6in4", "4in6", "gre", "udp_tunnels", "ipv6_ext", "frag4", "frag6",
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "pcaps/decode_%s.pcap", files[i]);
        const char *p = path;
        struct capture_source *src;
        assert_int_equal(capture_open_offline(&src, &p, 1), 0);
        struct capture_packet f;
        int packets = 0;
        while (capture_next(src, &f) == CAPTURE_OK) {
            enum decode_status st = decode_packet(dec, &f, &pkt);
            if (st == DECODE_HELD)
                continue;
            assert_int_equal(st, DECODE_PACKET);
            packets++;
            assert_int_equal(pkt.proto, 17);
            assert_int_equal(pkt.src_port, 1111);
            assert_int_equal(pkt.dst_port, 2222);
            assert_true(pkt.payload_len >= 13);
            assert_memory_equal(pkt.payload, "xiezhi-decode", 13);
            if (pkt.ip_version == 4) {
                assert_memory_equal(pkt.src.bytes, A4, 4);
                assert_memory_equal(pkt.dst.bytes, B4, 4);
            } else {
                assert_memory_equal(pkt.src.bytes, A6, 16);
                assert_memory_equal(pkt.dst.bytes, B6, 16);
            }
        }
        if (packets == 0)
            fail_msg("%s: no packet decoded", path);
        assert_false(capture_had_errors(src));
        capture_close(src);
    }
    for (int i = 0; i < DECODE_ERROR_COUNT; i++)
        assert_int_equal(err((enum decode_error)i), 0);
    assert_int_equal(decoder_stats(dec)->reassembled, 2);
}

static void test_malformed_corpus(void **state)
{
    (void)state;
    uint64_t outcome[4] = { 0 };
    decode_file("pcaps/malformed/packets.pcap", outcome);
    /* Each group of bad frames is followed by a good one that must come out. */
    assert_true(outcome[DECODE_PACKET] >= 5);
    assert_true(outcome[DECODE_DROPPED] > 300);
    static const enum decode_error expected[] = {
        DECODE_ERR_LINK_TRUNCATED, DECODE_ERR_VLAN_TRUNCATED, DECODE_ERR_VLAN_TOO_DEEP,
        DECODE_ERR_MPLS_TRUNCATED, DECODE_ERR_MPLS_TOO_DEEP, DECODE_ERR_PPPOE_TRUNCATED,
        DECODE_ERR_IPV4_TRUNCATED, DECODE_ERR_IPV4_BAD_VERSION, DECODE_ERR_IPV4_BAD_IHL,
        DECODE_ERR_IPV4_BAD_LENGTH, DECODE_ERR_IPV6_TRUNCATED, DECODE_ERR_IPV6_BAD_LENGTH,
        DECODE_ERR_IPV6_EXTHDR_TOO_MANY, DECODE_ERR_TUNNEL_TOO_DEEP, DECODE_ERR_GRE_TRUNCATED,
        DECODE_ERR_TCP_TRUNCATED, DECODE_ERR_TCP_BAD_OFFSET, DECODE_ERR_UDP_TRUNCATED,
        DECODE_ERR_UDP_BAD_LENGTH, DECODE_ERR_ICMP_TRUNCATED, DECODE_ERR_SCTP_TRUNCATED,
        DECODE_ERR_FRAG_OVERLAP, DECODE_ERR_FRAG_TOO_LARGE,
    };
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        if (err(expected[i]) == 0)
            fail_msg("counter %s stayed 0", decode_error_name(expected[i]));
    /* The snap-length cut frame, and the 65549-byte frame that libpcap cuts
     * to the file's snap length of 65535. */
    assert_int_equal(decoder_stats(dec)->truncated, 2);
    assert_int_equal(decoder_stats(dec)->reassembled, 2);   /* the overlap sets complete */
}

static void test_error_names(void **state)
{
    (void)state;
    assert_string_equal(decode_error_name(DECODE_ERR_LINK_UNSUPPORTED), "link_unsupported");
    assert_string_equal(decode_error_name(DECODE_ERR_FRAG_TIMEOUT), "frag_timeout");
    assert_string_equal(decode_error_name(DECODE_ERROR_COUNT), "unknown");
    for (int i = 0; i < DECODE_ERROR_COUNT; i++)
        assert_non_null(strchr(decode_error_name((enum decode_error)i), '_'));
}

static void test_config_load(void **state)
{
    (void)state;
    struct config *cfg = config_new();
    struct diag diag = { .quiet = 1 };
    struct decoder_config dc;
    decoder_config_load(&dc, cfg, &diag);
    assert_int_equal(dc.max_tunnel_depth, 4);
    assert_int_equal(dc.frag_memcap, 16u << 20);
    assert_int_equal(dc.frag_timeout_usec, 30000000);
    assert_int_equal(dc.vxlan_port, 4789);
    assert_int_equal(dc.gtpu_port, 2152);
    assert_int_equal(config_set_override(cfg, "decoder.gtpu.enabled=no", &diag), 0);
    assert_int_equal(config_set_override(cfg, "decoder.vxlan.port=8472", &diag), 0);
    assert_int_equal(config_set_override(cfg, "decoder.defrag.memcap=1mb", &diag), 0);
    assert_int_equal(config_set_override(cfg, "decoder.defrag.timeout=500ms", &diag), 0);
    assert_int_equal(config_set_override(cfg, "decoder.max-tunnel-depth=99", &diag), 0);
    decoder_config_load(&dc, cfg, &diag);
    assert_int_equal(dc.frag_memcap, 1u << 20);
    assert_int_equal(dc.frag_timeout_usec, 500000);
    assert_int_equal(dc.max_tunnel_depth, 4);      /* out of range: reported, default kept */
    assert_int_equal(dc.gtpu_port, 0);
    assert_int_equal(dc.vxlan_port, 8472);
    assert_int_equal(dc.geneve_port, 6081);
    assert_int_equal(diag.errors, 1);
    config_free(cfg);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_eth_ipv4_udp), T(test_eth_padding_trimmed), T(test_ipv4_options_tcp),
        T(test_icmp_sctp_other), T(test_ipv6_udp_and_icmpv6), T(test_ipv6_extension_headers),
        T(test_link_types), T(test_link_unsupported_and_truncated), T(test_unsupported_warned_once),
        T(test_non_ip),
        T(test_vlan), T(test_mpls), T(test_pppoe),
        T(test_ip_in_ip), T(test_gre), T(test_tunnel_depth_limit),
        T(test_udp_tunnels), T(test_udp_tunnels_off),
        T(test_tunnel_payload_bad_keeps_outer), T(test_udp_tunnel_destination_port_only),
        T(test_udp_tunnel_reserved_and_lengths),
        T(test_ipv4_malformed), T(test_ipv4_bad_version), T(test_ipv4_bad_ihl), T(test_ipv4_ihl_beyond),
        T(test_ipv4_length_lies), T(test_zero_length_offload), T(test_ipv4_length_beyond_wire), T(test_snaplen_truncated),
        T(test_ipv6_malformed), T(test_ipv6_bad_version), T(test_ipv6_bad_length),
        T(test_ipv6_exthdr_truncated), T(test_ipv6_exthdr_too_many),
        T(test_tcp_malformed), T(test_tcp_bad_offset), T(test_udp_malformed), T(test_udp_bad_length),
        T(test_icmp_sctp_truncated), T(test_every_prefix),
        T(test_frag4_in_order), T(test_frag4_out_of_order), T(test_frag4_overlap_first_wins),
        T(test_frag4_separate_sets), T(test_frag_timeout), T(test_frag_memcap), T(test_frag_too_large),
        T(test_frag6), T(test_frag_in_tunnel), T(test_defrag_hash_flooding),
        T(test_decode_captures), T(test_malformed_corpus), T(test_error_names),
        T(test_config_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
