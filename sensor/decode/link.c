/* Link layers: a table from the capture's link type (DLT_*) to the decoder of
 * its frame header.  Everything after the link header goes to the ethertype
 * table (ethertype.c) or straight to IPv4/IPv6. */
#include <pcap/pcap.h>

#include "decode/decode_int.h"
#include "util/log.h"

enum { ETH_HDR_LEN = 14, SLL_HDR_LEN = 16, SLL2_HDR_LEN = 20, NULL_HDR_LEN = 4, CHDLC_HDR_LEN = 4 };

enum decode_status decode_ethernet(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < ETH_HDR_LEN)
        return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
    return decode_ethertype(d, p, rd16(data + 12), data + ETH_HDR_LEN, len - ETH_HDR_LEN);
}

static enum decode_status decode_raw(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    return decode_ip_guess(d, p, data, len);
}

/* BSD loopback: a 4-byte address family, in the byte order of the machine
 * that wrote the file for DLT_NULL and in network order for DLT_LOOP; both
 * orders are accepted for both.  IPv6 is 24, 28 or 30 depending on the BSD. */
static enum decode_status decode_null(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < NULL_HDR_LEN)
        return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
    uint32_t af = rd32le(data);
    if (af > 0xFFFF)
        af = rd32(data);
    data += NULL_HDR_LEN;
    len -= NULL_HDR_LEN;
    switch (af) {
    case 2:
        return decode_ipv4(d, p, data, len);
    case 24: case 28: case 30:
        return decode_ipv6(d, p, data, len);
    default:
        return DECODE_SKIPPED;
    }
}

/* Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes,
 * then the protocol (an ethertype for everything xiezhi reads). */
static enum decode_status decode_sll(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < SLL_HDR_LEN)
        return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
    return decode_ethertype(d, p, rd16(data + 14), data + SLL_HDR_LEN, len - SLL_HDR_LEN);
}

/* Linux cooked v2: the protocol comes first. */
static enum decode_status decode_sll2(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < SLL2_HDR_LEN)
        return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
    return decode_ethertype(d, p, rd16(data), data + SLL2_HDR_LEN, len - SLL2_HDR_LEN);
}

/* A PPP frame: the HDLC address/control bytes 0xff 0x03 when present, then
 * the protocol field, 1 byte when compressed (odd first byte), else 2.  The
 * 0xff check is safe for frames without them: 0xff is no PPP protocol. */
enum decode_status decode_ppp_payload(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len >= 2 && data[0] == 0xff && data[1] == 0x03) {
        data += 2;
        len -= 2;
    }
    if (len < 1)
        return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
    uint16_t proto;
    uint32_t hlen;
    if (data[0] & 1) {
        proto = data[0];
        hlen = 1;
    } else {
        if (len < 2)
            return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
        proto = rd16(data);
        hlen = 2;
    }
    data += hlen;
    len -= hlen;
    switch (proto) {
    case 0x0021:
        return decode_ipv4(d, p, data, len);
    case 0x0057:
        return decode_ipv6(d, p, data, len);
    default:
        return DECODE_SKIPPED;
    }
}

/* Cisco HDLC: address, control, then an ethertype. */
static enum decode_status decode_chdlc(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < CHDLC_HDR_LEN)
        return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
    return decode_ethertype(d, p, rd16(data + 2), data + CHDLC_HDR_LEN, len - CHDLC_HDR_LEN);
}

static enum decode_status decode_ipv4_link(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    return decode_ipv4(d, p, data, len);
}

static enum decode_status decode_ipv6_link(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    return decode_ipv6(d, p, data, len);
}

/* libpcap hands out DLT_* values; LINKTYPE_RAW (101) normally arrives as
 * DLT_RAW but is listed in case a source passes file link types through. */
static const struct {
    int linktype;
    layer_decoder decode;
} link_table[] = {
    { DLT_EN10MB, decode_ethernet },
    { DLT_RAW, decode_raw },
    { 12, decode_raw },          /* DLT_RAW on most systems */
    { 14, decode_raw },          /* DLT_RAW on OpenBSD */
    { 101, decode_raw },         /* LINKTYPE_RAW */
    { 228, decode_ipv4_link },   /* DLT_IPV4 */
    { 229, decode_ipv6_link },   /* DLT_IPV6 */
    { DLT_NULL, decode_null },
    { DLT_LOOP, decode_null },
    { DLT_LINUX_SLL, decode_sll },
    { 276, decode_sll2 },        /* DLT_LINUX_SLL2 */
    { DLT_PPP, decode_ppp_payload },
    { DLT_PPP_SERIAL, decode_ppp_payload },
    { DLT_C_HDLC, decode_chdlc },
};

static int linktype_warned(struct decoder *d, int linktype)
{
    for (unsigned i = 0; i < d->nwarned; i++)
        if (d->warned_linktypes[i] == linktype)
            return 1;
    if (d->nwarned < DECODE_MAX_WARNED_LINKTYPES)
        d->warned_linktypes[d->nwarned++] = linktype;
    return 0;
}

layer_decoder decode_link_lookup(struct decoder *d, int linktype)
{
    if (linktype == d->last_linktype && d->last_link)
        return d->last_link;
    for (size_t i = 0; i < sizeof link_table / sizeof link_table[0]; i++) {
        if (link_table[i].linktype == linktype) {
            d->last_linktype = linktype;
            d->last_link = link_table[i].decode;
            return d->last_link;
        }
    }
    if (!linktype_warned(d, linktype)) {
        const char *name = pcap_datalink_val_to_name(linktype);
        log_warning("link type %d (%s) is not supported: its frames are counted and skipped",
                    linktype, name ? name : "unknown");
    }
    return NULL;
}

int decode_linktype_supported(int linktype)
{
    for (size_t i = 0; i < sizeof link_table / sizeof link_table[0]; i++)
        if (link_table[i].linktype == linktype)
            return 1;
    return 0;
}
