/* The ethertype table: what follows an Ethernet, cooked, HDLC or GRE header.
 * VLAN tags, MPLS label stacks and PPPoE sessions are peeled here; anything
 * that is not IP in the end (ARP, LLDP, ...) is skipped as non-IP. */
#include "decode/decode_int.h"

enum { VLAN_TAG_LEN = 4, MPLS_ENTRY_LEN = 4, PPPOE_HDR_LEN = 6, ERSPAN2_HDR_LEN = 8,
       ERSPAN3_HDR_LEN = 12, ERSPAN3_SUBHDR_LEN = 8, MPLS_PW_CW_LEN = 4 };

/* 802.1Q, 802.1ad and the old QinQ TPID 0x9100 all share this tag layout:
 * TCI (PCP, DEI, 12-bit id) then the next ethertype. */
static enum decode_status decode_vlan(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < VLAN_TAG_LEN)
        return decode_drop(d, DECODE_ERR_VLAN_TRUNCATED);
    if (p->vlan_count >= DECODE_MAX_VLAN_DEPTH)
        return decode_drop(d, DECODE_ERR_VLAN_TOO_DEEP);
    if (p->vlan_count < 2)
        p->vlan_id[p->vlan_count] = rd16(data) & 0x0FFF;
    if (p->vlan_count++ == 0)
        d->stats.vlan++;
    return decode_ethertype(d, p, rd16(data + 2), data + VLAN_TAG_LEN, len - VLAN_TAG_LEN);
}

/* An MPLS label stack ends at the entry with the bottom-of-stack bit.  What
 * follows is not typed: explicit-null labels say it, else the first nibble
 * (4, 6) does, and a 0 nibble is a pseudowire control word before Ethernet. */
static enum decode_status decode_mpls(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    uint32_t label = 0;
    unsigned n = 0;
    for (;;) {
        if (len < MPLS_ENTRY_LEN)
            return decode_drop(d, DECODE_ERR_MPLS_TRUNCATED);
        if (++n > DECODE_MAX_MPLS_LABELS)
            return decode_drop(d, DECODE_ERR_MPLS_TOO_DEEP);
        uint32_t entry = rd32(data);
        label = entry >> 12;
        data += MPLS_ENTRY_LEN;
        len -= MPLS_ENTRY_LEN;
        if (entry & 0x100)
            break;
    }
    d->stats.mpls++;
    if (label == 0)
        return decode_ipv4(d, p, data, len);
    if (label == 2)
        return decode_ipv6(d, p, data, len);
    if (len < 1)
        return decode_drop(d, DECODE_ERR_MPLS_TRUNCATED);
    switch (data[0] >> 4) {
    case 4:
        return decode_ipv4(d, p, data, len);
    case 6:
        return decode_ipv6(d, p, data, len);
    case 0:
        if (len < MPLS_PW_CW_LEN)
            return decode_drop(d, DECODE_ERR_MPLS_TRUNCATED);
        return decode_ethernet(d, p, data + MPLS_PW_CW_LEN, len - MPLS_PW_CW_LEN);
    default:
        return DECODE_SKIPPED;
    }
}

/* PPPoE session stage: version/type 0x11, code 0, session id, length; then
 * a PPP frame.  The length field bounds the payload (Ethernet padding). */
static enum decode_status decode_pppoe_session(struct decoder *d, struct packet *p, const uint8_t *data,
                                               uint32_t len)
{
    if (len < PPPOE_HDR_LEN + 2)
        return decode_drop(d, DECODE_ERR_PPPOE_TRUNCATED);
    if (data[0] != 0x11 || data[1] != 0)
        return decode_drop(d, DECODE_ERR_PPPOE_MALFORMED);
    uint32_t plen = rd16(data + 4);
    len -= PPPOE_HDR_LEN;
    if (plen < len)
        len = plen;
    d->stats.pppoe++;
    return decode_ppp_payload(d, p, data + PPPOE_HDR_LEN, len);
}

/* ERSPAN type II (GRE with a sequence number; type I has none and is read
 * as plain Ethernet by GRE): an 8-byte header whose version nibble is 1,
 * then the mirrored Ethernet frame. */
static enum decode_status decode_erspan2(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < ERSPAN2_HDR_LEN)
        return decode_drop(d, DECODE_ERR_GRE_TRUNCATED);
    if ((data[0] >> 4) != 1)
        return decode_drop(d, DECODE_ERR_GRE_UNSUPPORTED);
    return decode_ethernet(d, p, data + ERSPAN2_HDR_LEN, len - ERSPAN2_HDR_LEN);
}

/* ERSPAN type III: 12-byte header, plus an 8-byte platform sub-header when
 * the O bit (lowest bit of the last byte) is set. */
static enum decode_status decode_erspan3(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < ERSPAN3_HDR_LEN)
        return decode_drop(d, DECODE_ERR_GRE_TRUNCATED);
    uint32_t hlen = ERSPAN3_HDR_LEN + ((data[11] & 1) ? ERSPAN3_SUBHDR_LEN : 0);
    if (len < hlen)
        return decode_drop(d, DECODE_ERR_GRE_TRUNCATED);
    return decode_ethernet(d, p, data + hlen, len - hlen);
}

static const struct {
    uint16_t type;
    layer_decoder decode;
} ethertype_table[] = {
    { 0x0800, decode_ipv4 },
    { 0x86DD, decode_ipv6 },
    { 0x8100, decode_vlan },
    { 0x88A8, decode_vlan },
    { 0x9100, decode_vlan },
    { 0x8847, decode_mpls },
    { 0x8848, decode_mpls },
    { 0x8864, decode_pppoe_session },
    { 0x6558, decode_ethernet },   /* transparent Ethernet bridging (GRE, NVGRE) */
    { 0x88BE, decode_erspan2 },
    { 0x22EB, decode_erspan3 },
};

enum decode_status decode_ethertype(struct decoder *d, struct packet *p, uint16_t type,
                                    const uint8_t *data, uint32_t len)
{
    if (++d->layers > DECODE_MAX_LAYERS)
        return decode_drop(d, DECODE_ERR_TOO_MANY_LAYERS);
    for (size_t i = 0; i < sizeof ethertype_table / sizeof ethertype_table[0]; i++)
        if (ethertype_table[i].type == type)
            return ethertype_table[i].decode(d, p, data, len);
    return DECODE_SKIPPED;
}
