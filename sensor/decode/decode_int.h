/* Decode internals shared by the per-layer files: the decoder state, the
 * signature every layer decoder has, and big-endian readers that never do an
 * unaligned load.  Not for use outside sensor/decode/. */
#ifndef XIEZHI_DECODE_INT_H
#define XIEZHI_DECODE_INT_H

#include <stdint.h>

#include "decode/decode.h"
#include "decode/defrag.h"

#define DECODE_MAX_VLAN_DEPTH 8
#define DECODE_MAX_MPLS_LABELS 16
/* Extension headers walked before the rest of the chain is left undecoded
 * (the packet is kept, its next header as the protocol, and the event
 * counted): hosts accept long chains, so a short bound would hide packets. */
#define DECODE_MAX_IPV6_EXTHDRS 64
#define DECODE_MAX_WARNED_LINKTYPES 16
/* Ethertype dispatches per frame (VLAN, MPLS, PPPoE, Ethernet in GRE/MPLS):
 * bounds the recursion a crafted frame can cause. */
#define DECODE_MAX_LAYERS 32
/* Reassembly outputs per frame: one for an outer datagram and one for a
 * fragmented datagram tunnelled inside it. */
#define DECODE_REASM_BUFFERS 2
#define DECODE_REASM_BUFFER_SIZE (65535 + 64)

/* Every layer decoder: data/len is this layer's header and everything after
 * it, len already bounded by the captured length. */
struct decoder;
typedef enum decode_status (*layer_decoder)(struct decoder *d, struct packet *p,
                                            const uint8_t *data, uint32_t len);

struct decoder {
    struct decoder_config cfg;
    struct decode_stats stats;
    /* Bytes of the frame missing at its end because of the snap length:
     * lengths in headers may exceed what was captured by at most this. */
    uint32_t snap_missing;
    unsigned layers;                     /* ethertype dispatches in this frame */
    unsigned reasm_used;                 /* reassembly buffers used by this frame */
    enum decode_error last_drop;         /* reason of the latest decode_drop() */
    int last_linktype;                   /* one-entry cache of the link table */
    layer_decoder last_link;
    int warned_linktypes[DECODE_MAX_WARNED_LINKTYPES];
    unsigned nwarned;
    struct defrag *defrag;
    uint8_t *reasm_buf[DECODE_REASM_BUFFERS];
};

static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)((unsigned)p[0] << 8 | p[1]); }
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint32_t rd32le(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static inline enum decode_status decode_drop(struct decoder *d, enum decode_error why)
{
    d->stats.errors[why]++;
    d->last_drop = why;
    return DECODE_DROPPED;
}

/* A problem the packet is kept despite: counted under its reason and
 * flagged in the packet, so rules (decode-event) can see it. */
static inline void decode_event(struct decoder *d, struct packet *p, enum decode_error why)
{
    d->stats.errors[why]++;
    p->decode_events |= (uint64_t)1 << why;
}

/* link.c */
layer_decoder decode_link_lookup(struct decoder *d, int linktype);
enum decode_status decode_ethernet(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len);
enum decode_status decode_ppp_payload(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len);
/* ethertype.c: the ethertype table (also used by GRE, SLL, HDLC). */
enum decode_status decode_ethertype(struct decoder *d, struct packet *p, uint16_t type,
                                    const uint8_t *data, uint32_t len);
/* ip.c */
enum decode_status decode_ip_guess(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len);
enum decode_status decode_ipv4(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len);
enum decode_status decode_ipv6(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len);
/* tunnel.c: one more encapsulation: DECODE_PACKET when it may be followed,
 * DECODE_SKIPPED (tunnel_too_deep counted) when the outer datagram must stay
 * the packet. */
enum decode_status decode_tunnel_enter(struct decoder *d, struct packet *p);
enum decode_status decode_gre(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len);
/* udptunnel.c: VXLAN, Geneve, GTP-U, TZSP.  Returns DECODE_SKIPPED when
 * the datagram is no tunnel, or its payload is not IP or does not decode:
 * the packet is then as it was, and the caller keeps it as a UDP packet. */
enum decode_status decode_udp_tunnel(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len);
/* A tunnel whose payload does not decode leaves the outer datagram as the
 * packet: the payload may be no IP at all (DECODE_SKIPPED), or malformed
 * (DECODE_DROPPED, its reason counted), and dropping the frame then would
 * hide the outer datagram from every rule.  The mark is the whole packet as
 * it was before the tunnel was entered; tunnel_settle() puts it back. */
struct tunnel_mark {
    struct packet pkt;
};

static inline void tunnel_mark_take(const struct packet *p, struct tunnel_mark *m)
{
    m->pkt = *p;
}

/* The outcome of a tunnel's payload decode: a datagram (PACKET) or a stored
 * fragment (HELD) stands; anything else rewinds the packet to the mark and
 * returns DECODE_SKIPPED, after which the caller keeps the outer datagram.
 * A malformed payload is also counted in tunnel_outer_kept and flagged in
 * the packet's decode_events. */
enum decode_status tunnel_settle(struct decoder *d, struct packet *p, const struct tunnel_mark *m,
                                 enum decode_status st);
/* transport.c: what follows the innermost IP header. */
enum decode_status decode_transport(struct decoder *d, struct packet *p, uint8_t proto,
                                    const uint8_t *data, uint32_t len);

#endif
