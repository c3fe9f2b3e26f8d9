/* Transports of the innermost datagram: TCP, UDP, ICMP, ICMPv6 and SCTP give
 * ports (or ICMP type/code) and the payload; any other protocol is a packet
 * with ports 0 whose payload is everything after the IP headers. */
#include "decode/decode_int.h"

enum { TCP_MIN_HDR = 20, UDP_HDR = 8, ICMP_HDR = 8, SCTP_HDR = 12 };

static enum decode_status decode_tcp(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < TCP_MIN_HDR)
        return decode_drop(d, DECODE_ERR_TCP_TRUNCATED);
    uint32_t hlen = (uint32_t)(data[12] >> 4) * 4;
    if (hlen < TCP_MIN_HDR)
        return decode_drop(d, DECODE_ERR_TCP_BAD_OFFSET);
    if (hlen > len)
        return decode_drop(d, p->truncated ? DECODE_ERR_TCP_TRUNCATED : DECODE_ERR_TCP_BAD_OFFSET);
    p->src_port = rd16(data);
    p->dst_port = rd16(data + 2);
    p->tcp_seq = rd32(data + 4);
    p->tcp_ack = rd32(data + 8);
    p->tcp_flags = data[13];
    p->tcp_window = rd16(data + 14);
    p->l4_hdr_len = (uint16_t)hlen;
    p->payload = data + hlen;
    p->payload_len = len - hlen;
    d->stats.tcp++;
    return DECODE_PACKET;
}

/* The UDP length bounds the payload (trailing bytes are dropped); a length
 * beyond the datagram is only accepted when the snap length cut it. */
static enum decode_status decode_udp(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < UDP_HDR)
        return decode_drop(d, DECODE_ERR_UDP_TRUNCATED);
    uint32_t ulen = rd16(data + 4);
    if (ulen < UDP_HDR || (ulen > len && !p->truncated))
        return decode_drop(d, DECODE_ERR_UDP_BAD_LENGTH);
    if (ulen < len)
        len = ulen;
    p->src_port = rd16(data);
    p->dst_port = rd16(data + 2);
    p->l4_hdr_len = UDP_HDR;
    p->payload = data + UDP_HDR;
    p->payload_len = len - UDP_HDR;
    enum decode_status st = decode_udp_tunnel(d, p, p->payload, p->payload_len);
    if (st != DECODE_SKIPPED)
        return st;            /* the tunnel's inner datagram is the packet */
    d->stats.udp++;
    return DECODE_PACKET;
}

static enum decode_status decode_icmp_common(struct decoder *d, struct packet *p, const uint8_t *data,
                                             uint32_t len)
{
    if (len < ICMP_HDR)
        return decode_drop(d, DECODE_ERR_ICMP_TRUNCATED);
    p->icmp_type = data[0];
    p->icmp_code = data[1];
    p->l4_hdr_len = ICMP_HDR;
    p->payload = data + ICMP_HDR;
    p->payload_len = len - ICMP_HDR;
    return DECODE_PACKET;
}

static enum decode_status decode_icmp(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    enum decode_status st = decode_icmp_common(d, p, data, len);
    if (st == DECODE_PACKET)
        d->stats.icmp++;
    return st;
}

static enum decode_status decode_icmpv6(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    enum decode_status st = decode_icmp_common(d, p, data, len);
    if (st == DECODE_PACKET)
        d->stats.icmpv6++;
    return st;
}

static enum decode_status decode_sctp(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < SCTP_HDR)
        return decode_drop(d, DECODE_ERR_SCTP_TRUNCATED);
    p->src_port = rd16(data);
    p->dst_port = rd16(data + 2);
    p->l4_hdr_len = SCTP_HDR;
    p->payload = data + SCTP_HDR;
    p->payload_len = len - SCTP_HDR;
    d->stats.sctp++;
    return DECODE_PACKET;
}

static const layer_decoder transport_table[256] = {
    [1] = decode_icmp,
    [6] = decode_tcp,
    [17] = decode_udp,
    [58] = decode_icmpv6,
    [132] = decode_sctp,
};

enum decode_status decode_transport(struct decoder *d, struct packet *p, uint8_t proto,
                                    const uint8_t *data, uint32_t len)
{
    p->proto = proto;
    p->src_port = p->dst_port = 0;
    p->l4_hdr_len = 0;
    layer_decoder next = transport_table[proto];
    if (next)
        return next(d, p, data, len);
    p->payload = data;
    p->payload_len = len;
    d->stats.other_ip++;
    return DECODE_PACKET;
}
