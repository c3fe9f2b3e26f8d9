/* Tunnels: the depth limit shared by IP-in-IP, 6in4, 4in6, 6in6 (ip.c) and
 * GRE.  The innermost datagram is the packet; each encapsulation removed
 * adds one to tunnel_depth.  GRE version 0 (RFC 2784/2890: checksum, key,
 * sequence) carries an ethertype, so its payload goes through the ethertype
 * table (IPv4, IPv6, transparent Ethernet, ERSPAN, MPLS); version 1 is
 * PPTP's enhanced GRE carrying PPP.  A GRE header or payload xiezhi cannot
 * read leaves the outer datagram as a protocol-47 packet instead of losing
 * it: a crafted tunnel must never hide the datagram that carries it. */
#include "decode/decode_int.h"

enum { GRE_F_CSUM = 0x8000, GRE_F_ROUTING = 0x4000, GRE_F_KEY = 0x2000, GRE_F_SEQ = 0x1000,
       GRE_F_ACK = 0x0080, GRE_VERSION = 0x0007, GRE_PROTO_PPP = 0x880B,
       GRE_PROTO_ERSPAN = 0x88BE };

/* Beyond the depth limit the encapsulation is not followed: counted, and
 * the caller keeps the outer datagram as the packet (DECODE_SKIPPED), so
 * nesting tunnels deeply cannot make a flow disappear. */
enum decode_status decode_tunnel_enter(struct decoder *d, struct packet *p)
{
    if (p->tunnel_depth >= d->cfg.max_tunnel_depth) {
        d->stats.errors[DECODE_ERR_TUNNEL_TOO_DEEP]++;
        return DECODE_SKIPPED;
    }
    p->tunnel_depth++;
    d->stats.tunnels++;
    return DECODE_PACKET;
}

enum decode_status tunnel_settle(struct decoder *d, struct packet *p, const struct tunnel_mark *m,
                                 enum decode_status st)
{
    if (st == DECODE_PACKET || st == DECODE_HELD)
        return st;
    if (p->tunnel_depth > m->pkt.tunnel_depth)
        d->stats.tunnels -= (uint64_t)(p->tunnel_depth - m->pkt.tunnel_depth);
    *p = m->pkt;
    if (st == DECODE_DROPPED) {
        d->stats.tunnel_outer_kept++;
        p->decode_events |= (uint64_t)1 << d->last_drop;
    }
    return DECODE_SKIPPED;
}

/* Header length of a GRE header, or 0 when xiezhi does not read it. */
static uint32_t gre_header_len(uint16_t flags, uint16_t proto)
{
    switch (flags & GRE_VERSION) {
    case 0:
        if (flags & GRE_F_ROUTING)      /* RFC 1701 source routing: obsolete */
            return 0;
        return 4 + ((flags & GRE_F_CSUM) ? 4 : 0) + ((flags & GRE_F_KEY) ? 4 : 0) +
               ((flags & GRE_F_SEQ) ? 4 : 0);
    case 1:
        if (proto != GRE_PROTO_PPP || !(flags & GRE_F_KEY))
            return 0;
        return 8 + ((flags & GRE_F_SEQ) ? 4 : 0) + ((flags & GRE_F_ACK) ? 4 : 0);
    default:
        return 0;
    }
}

enum decode_status decode_gre(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    /* A GRE header xiezhi cannot read is counted; the datagram stays. */
    if (len < 4) {
        decode_event(d, p, DECODE_ERR_GRE_TRUNCATED);
        return decode_transport(d, p, 47, data, len);
    }
    uint16_t flags = rd16(data), proto = rd16(data + 2);
    uint32_t hlen = gre_header_len(flags, proto);
    if (hlen == 0 || len < hlen) {
        decode_event(d, p, hlen == 0 ? DECODE_ERR_GRE_UNSUPPORTED : DECODE_ERR_GRE_TRUNCATED);
        return decode_transport(d, p, 47, data, len);
    }
    struct tunnel_mark mark;
    tunnel_mark_take(p, &mark);
    enum decode_status st = decode_tunnel_enter(d, p);
    if (st != DECODE_PACKET)
        return decode_transport(d, p, 47, data, len);
    if ((flags & GRE_VERSION) == 1)
        st = decode_ppp_payload(d, p, data + hlen, len - hlen);
    else if (proto == GRE_PROTO_ERSPAN && !(flags & GRE_F_SEQ))   /* ERSPAN type I: no header */
        st = decode_ethernet(d, p, data + hlen, len - hlen);
    else
        st = decode_ethertype(d, p, proto, data + hlen, len - hlen);
    if (tunnel_settle(d, p, &mark, st) != DECODE_SKIPPED)
        return st;
    return decode_transport(d, p, 47, data, len);    /* the GRE datagram is the packet */
}
