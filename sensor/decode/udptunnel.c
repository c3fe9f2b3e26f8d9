/* Tunnels carried in UDP: VXLAN (RFC 7348), Geneve (RFC 8926), GTP-U
 * (3GPP TS 29.281, G-PDU messages) and TZSP (remote sniffers relaying
 * Ethernet frames), on the ports in decoder_config.  A datagram is
 * decapsulated only when it is sent TO the tunnel's port (a reply from that
 * port is the endpoint's own traffic, and anyone can pick a source port)
 * and its header checks out, reserved bits and lengths included; otherwise,
 * or when the payload is not IP or does not decode, it stays an ordinary
 * UDP packet.  The inner datagram then is the packet, as for IP-in-IP and
 * GRE. */
#include "decode/decode_int.h"

enum { VXLAN_HDR = 8, GENEVE_HDR = 8, GTPU_HDR = 8, GTPU_OPT = 4, GTPU_MAX_EXT = 8,
       GTPU_GPDU = 0xFF };

/* VXLAN: flags with only the I bit (0x08), reserved bytes zero, VNI, then
 * an Ethernet frame. */
static enum decode_status decode_vxlan(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < VXLAN_HDR || data[0] != 0x08 || data[1] || data[2] || data[3] || data[7])
        return DECODE_SKIPPED;
    enum decode_status st = decode_tunnel_enter(d, p);
    return st != DECODE_PACKET ? st : decode_ethernet(d, p, data + VXLAN_HDR, len - VXLAN_HDR);
}

/* Geneve: version 0, option length in 4-byte words, the six reserved bits
 * after O and C zero, an ethertype, VNI, a reserved byte zero. */
static enum decode_status decode_geneve(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < GENEVE_HDR || (data[0] >> 6) != 0 || (data[1] & 0x3F) != 0 || data[7] != 0)
        return DECODE_SKIPPED;
    uint32_t hlen = GENEVE_HDR + (uint32_t)(data[0] & 0x3F) * 4;
    if (len < hlen)
        return DECODE_SKIPPED;
    enum decode_status st = decode_tunnel_enter(d, p);
    return st != DECODE_PACKET ? st : decode_ethertype(d, p, rd16(data + 2), data + hlen, len - hlen);
}

/* GTP-U version 1, protocol type GTP, spare bit zero, message G-PDU: the
 * user's IP datagram after the header, its optional fields and extension
 * headers.  The length field counts what follows the mandatory 8 bytes: more
 * than the datagram holds is no GTP-U (unless the snap length cut it), less
 * leaves trailing bytes that are not the user's.  Other messages (echo,
 * error indication, ...) stay UDP. */
static enum decode_status decode_gtpu(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < GTPU_HDR || (data[0] >> 5) != 1 || !(data[0] & 0x10) || (data[0] & 0x08) ||
        data[1] != GTPU_GPDU)
        return DECODE_SKIPPED;
    uint32_t glen = rd16(data + 2);
    if (glen > len - GTPU_HDR && !p->truncated)
        return DECODE_SKIPPED;
    if (glen < len - GTPU_HDR)
        len = GTPU_HDR + glen;
    uint32_t hlen = GTPU_HDR;
    if (data[0] & 0x07) {                 /* E, S or PN: sequence, N-PDU, next extension */
        if (len < hlen + GTPU_OPT)
            return decode_drop(d, DECODE_ERR_GTPU_TRUNCATED);
        uint8_t next = data[hlen + 3];
        hlen += GTPU_OPT;
        for (unsigned n = 0; (data[0] & 0x04) && next != 0; n++) {
            if (n >= GTPU_MAX_EXT || len < hlen + 1 || data[hlen] == 0)
                return decode_drop(d, DECODE_ERR_GTPU_TRUNCATED);
            uint32_t elen = (uint32_t)data[hlen] * 4;
            if (len < hlen + elen)
                return decode_drop(d, DECODE_ERR_GTPU_TRUNCATED);
            next = data[hlen + elen - 1];
            hlen += elen;
        }
    }
    if (len == hlen)
        return DECODE_SKIPPED;
    uint8_t version = data[hlen] >> 4;
    if (version != 4 && version != 6)
        return DECODE_SKIPPED;
    enum decode_status st = decode_tunnel_enter(d, p);
    return st != DECODE_PACKET ? st : decode_ip_guess(d, p, data + hlen, len - hlen);
}

/* TZSP: version 1, type 0 (received packet), encapsulation 1 (Ethernet),
 * then tagged fields up to the END tag (1); tag 0 is one byte of padding,
 * every other tag has a length byte. */
static enum decode_status decode_tzsp(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < 5 || data[0] != 1 || data[1] != 0 || rd16(data + 2) != 1)
        return DECODE_SKIPPED;
    uint32_t off = 4;
    for (;;) {
        if (off >= len)
            return DECODE_SKIPPED;
        uint8_t tag = data[off];
        if (tag == 1) {
            off++;
            break;
        }
        if (tag == 0) {
            off++;
            continue;
        }
        if (len - off < 2 || len - off - 2 < data[off + 1])
            return DECODE_SKIPPED;
        off += 2u + data[off + 1];
    }
    enum decode_status st = decode_tunnel_enter(d, p);
    return st != DECODE_PACKET ? st : decode_ethernet(d, p, data + off, len - off);
}

enum decode_status decode_udp_tunnel(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    const struct {
        uint16_t port;
        layer_decoder decode;
    } table[] = {
        { d->cfg.vxlan_port, decode_vxlan },
        { d->cfg.geneve_port, decode_geneve },
        { d->cfg.gtpu_port, decode_gtpu },
        { d->cfg.tzsp_port, decode_tzsp },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        if (!table[i].port || p->dst_port != table[i].port)
            continue;
        struct tunnel_mark mark;
        tunnel_mark_take(p, &mark);
        enum decode_status st = table[i].decode(d, p, data, len);
        if (tunnel_settle(d, p, &mark, st) != DECODE_SKIPPED)
            return st;
    }
    return DECODE_SKIPPED;
}
