/* The decoded packet: what decode hands to flow, classify and detect.
 * Pointers refer either into the captured frame or into the decoder's
 * reassembly buffer; both stay valid until the next decode_packet() call. */
#ifndef XIEZHI_PACKET_H
#define XIEZHI_PACKET_H

#include <stdbool.h>
#include <stdint.h>

/* An IPv4 or IPv6 address.  IPv4 is stored in the first four bytes and the
 * rest is zero, so two addresses compare with memcmp on the whole struct. */
struct ip_addr {
    uint8_t family;            /* 4 or 6 */
    uint8_t pad[3];
    uint8_t bytes[16];
};

enum { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
       TCP_ACK = 0x10, TCP_URG = 0x20, TCP_ECE = 0x40, TCP_CWR = 0x80 };

struct packet {
    uint64_t ts_usec;
    uint64_t pcap_cnt;
    uint32_t wire_len;         /* length of the frame on the wire */

    uint16_t vlan_id[2];       /* outermost two VLAN ids; 0 if none */
    uint8_t vlan_count;
    uint8_t tunnel_depth;      /* number of IP/GRE encapsulations removed */
    bool reassembled;          /* built from IP fragments */
    bool truncated;            /* the snap length cut the datagram: ip_len < IP total length */

    uint8_t ip_version;        /* 4 or 6 (of the innermost IP header) */
    uint8_t proto;             /* IPPROTO_* of the transport */
    uint8_t ttl;               /* TTL or hop limit */
    struct ip_addr src, dst;
    uint16_t src_port, dst_port;   /* host order; 0 for port-less protocols */

    uint8_t tcp_flags;
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_window;
    uint8_t icmp_type, icmp_code;
    /* Length of the transport header (TCP with its options, UDP, ICMP,
     * SCTP): its bytes are the l4_hdr_len just before payload; 0 for other
     * protocols (tcp.hdr, tcp.mss, icmp_id and icmp_seq read it). */
    uint16_t l4_hdr_len;

    /* The innermost IP datagram, header included (what nDPI is fed). */
    const uint8_t *ip_header;
    uint32_t ip_len;
    /* The transport payload (after TCP/UDP/SCTP/ICMP header). */
    const uint8_t *payload;
    uint32_t payload_len;

    /* Decoder problems the packet was kept despite (a tunnel payload that
     * did not decode, an IPv6 extension chain too long to walk): bit
     * (1 << enum decode_error). */
    uint64_t decode_events;
};

#endif
