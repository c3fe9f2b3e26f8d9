/* Decode: from a captured frame to a struct packet.  Link layers, VLAN, MPLS,
 * PPPoE, IPv4/IPv6 (with fragment reassembly), tunnels, transports.  Every
 * malformed frame is counted under one reason; nothing is read out of bounds. */
#ifndef XIEZHI_DECODE_H
#define XIEZHI_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "capture/capture.h"
#include "decode/packet.h"

/* X-macro: one counter per reason a frame is dropped.  The second column is
 * the name used in stats events ("decoder.<name>"). */
#define DECODE_ERRORS(X)                                     \
    X(LINK_UNSUPPORTED, "link_unsupported")                  \
    X(LINK_TRUNCATED, "link_truncated")                      \
    X(VLAN_TRUNCATED, "vlan_truncated")                      \
    X(VLAN_TOO_DEEP, "vlan_too_deep")                        \
    X(MPLS_TRUNCATED, "mpls_truncated")                      \
    X(MPLS_TOO_DEEP, "mpls_too_deep")                        \
    X(PPPOE_TRUNCATED, "pppoe_truncated")                    \
    X(PPPOE_MALFORMED, "pppoe_malformed")                    \
    X(TOO_MANY_LAYERS, "too_many_layers")                    \
    X(IP_BAD_VERSION, "ip_bad_version")                      \
    X(IPV4_TRUNCATED, "ipv4_truncated")                      \
    X(IPV4_BAD_VERSION, "ipv4_bad_version")                  \
    X(IPV4_BAD_IHL, "ipv4_bad_ihl")                          \
    X(IPV4_BAD_LENGTH, "ipv4_bad_length")                    \
    X(IPV6_TRUNCATED, "ipv6_truncated")                      \
    X(IPV6_BAD_VERSION, "ipv6_bad_version")                  \
    X(IPV6_BAD_LENGTH, "ipv6_bad_length")                    \
    X(IPV6_EXTHDR_TRUNCATED, "ipv6_exthdr_truncated")        \
    X(IPV6_EXTHDR_TOO_MANY, "ipv6_exthdr_too_many")          \
    X(TUNNEL_TOO_DEEP, "tunnel_too_deep")                    \
    X(GRE_TRUNCATED, "gre_truncated")                        \
    X(GRE_UNSUPPORTED, "gre_unsupported")                    \
    X(GTPU_TRUNCATED, "gtpu_truncated")                      \
    X(TCP_TRUNCATED, "tcp_truncated")                        \
    X(TCP_BAD_OFFSET, "tcp_bad_offset")                      \
    X(UDP_TRUNCATED, "udp_truncated")                        \
    X(UDP_BAD_LENGTH, "udp_bad_length")                      \
    X(ICMP_TRUNCATED, "icmp_truncated")                      \
    X(SCTP_TRUNCATED, "sctp_truncated")                      \
    X(FRAG_OVERLAP, "frag_overlap")                          \
    X(FRAG_TOO_LARGE, "frag_too_large")                      \
    X(FRAG_MEMCAP, "frag_memcap")                            \
    X(FRAG_TIMEOUT, "frag_timeout")                          \
    X(FRAG_TOO_MANY, "frag_too_many")                        \
    X(FRAG_NESTED, "frag_nested")                            \
    X(FRAG_TRUNCATED, "frag_truncated")

enum decode_error {
#define DECODE_ERROR_ENUM(id, name) DECODE_ERR_##id,
    DECODE_ERRORS(DECODE_ERROR_ENUM)
#undef DECODE_ERROR_ENUM
    DECODE_ERROR_COUNT
};

const char *decode_error_name(enum decode_error err);

/* With a cfg, zero memcap/timeout mean the default; max_tunnel_depth is
 * taken as given (capped at 16; 0: no tunnel is followed, the outer
 * datagram is the packet). */
struct decoder_config {
    size_t frag_memcap;            /* bytes held for reassembly; default 16 MiB */
    uint64_t frag_timeout_usec;    /* default 30 s */
    unsigned max_tunnel_depth;     /* default 4 */
    /* UDP ports whose datagrams are decapsulated when the header checks
     * out (0: off).  Defaults: VXLAN 4789, Geneve 6081, GTP-U 2152, TZSP
     * 37008. */
    uint16_t vxlan_port, geneve_port, gtpu_port, tzsp_port;
};

struct decode_stats {
    uint64_t packets, bytes;
    uint64_t ipv4, ipv6, tcp, udp, icmp, icmpv6, sctp, other_ip, non_ip;
    uint64_t vlan, mpls, pppoe, tunnels;
    uint64_t fragments, reassembled;
    uint64_t truncated;            /* decoded although the snap length cut the datagram */
    uint64_t tunnel_outer_kept;    /* a tunnel payload was malformed: the outer datagram kept */
    uint64_t errors[DECODE_ERROR_COUNT];
};

struct config;
struct diag;
/* Fills cfg from the config keys decoder.max-tunnel-depth (0..16, default
 * 4), decoder.defrag.memcap (default 16mb), decoder.defrag.timeout
 * (default 30s), decoder.{vxlan,geneve,gtpu,tzsp}.enabled (yes) and .port; bad
 * values are reported to diag and the default is kept. */
void decoder_config_load(struct decoder_config *out, const struct config *cfg, struct diag *diag);

struct decoder;

enum decode_status {
    DECODE_PACKET,      /* *out holds a packet for the flow stage */
    DECODE_HELD,        /* an IP fragment was stored; no datagram yet */
    DECODE_SKIPPED,     /* not IP (ARP, LLDP, ...): counted as non_ip */
    DECODE_DROPPED,     /* malformed: counted under a reason */
};

struct decoder *decoder_new(const struct decoder_config *cfg);   /* NULL cfg: defaults */
void decoder_free(struct decoder *d);
enum decode_status decode_packet(struct decoder *d, const struct capture_packet *frame,
                                 struct packet *out);
/* Drops fragment sets older than the timeout (time is packet time offline). */
void decoder_expire(struct decoder *d, uint64_t now_usec);
const struct decode_stats *decoder_stats(const struct decoder *d);
/* Non-zero when decode reads frames of this DLT_* link type. */
int decode_linktype_supported(int linktype);

#endif
