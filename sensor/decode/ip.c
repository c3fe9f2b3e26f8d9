/* IPv4 and IPv6: header checks, IPv6 extension-header chains, fragments
 * (handed to defrag.c, the rebuilt datagram decoded again from the top), and
 * the protocol table that sends the payload to a tunnel or a transport.
 *
 * Lengths: a header whose total length exceeds the captured bytes is decoded
 * as far as it was captured when the snap length explains the difference
 * (the frame's wire length is larger than its captured length by at least
 * as much); the packet is then marked truncated and counted in
 * stats.truncated.  If the frame was captured whole, such a length is a lie
 * and the packet is dropped (ipv4_bad_length / ipv6_bad_length).  Bytes after
 * the total length (Ethernet padding, trailers) are trimmed.  A length of 0
 * (IPv4 total length, IPv6 payload length) is what segmentation offload on
 * the capturing host or an IPv6 jumbogram leaves: the captured bytes are
 * the datagram then, as Wireshark and nDPI take it. */
#include <string.h>

#include "decode/decode_int.h"

enum { IPV4_MIN_HDR = 20, IPV6_HDR = 40, IPV6_FRAG_HDR = 8, IP_MAX_DATAGRAM = 65535 };

/* IP in IP: past the depth limit, or when the inner datagram does not
 * decode, the outer datagram stays the packet (protocol 4 or 41). */
static enum decode_status decode_ip_tunnel(struct decoder *d, struct packet *p, uint8_t proto,
                                           layer_decoder inner, const uint8_t *data, uint32_t len)
{
    struct tunnel_mark mark;
    tunnel_mark_take(p, &mark);
    if (decode_tunnel_enter(d, p) != DECODE_PACKET)
        return decode_transport(d, p, proto, data, len);
    enum decode_status st = inner(d, p, data, len);
    if (tunnel_settle(d, p, &mark, st) != DECODE_SKIPPED)
        return st;
    return decode_transport(d, p, proto, data, len);
}

static enum decode_status decode_ipip(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    return decode_ip_tunnel(d, p, 4, decode_ipv4, data, len);
}

static enum decode_status decode_ip6ip(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    return decode_ip_tunnel(d, p, 41, decode_ipv6, data, len);
}

/* IP protocols that carry another layer xiezhi decodes; all others are the
 * transport of the innermost datagram. */
static const layer_decoder ip_proto_table[256] = {
    [4] = decode_ipip,
    [41] = decode_ip6ip,
    [47] = decode_gre,
};

static enum decode_status decode_ip_payload(struct decoder *d, struct packet *p, uint8_t proto,
                                            const uint8_t *data, uint32_t len)
{
    layer_decoder next = ip_proto_table[proto];
    if (next)
        return next(d, p, data, len);
    return decode_transport(d, p, proto, data, len);
}

static void set_addr(struct ip_addr *a, uint8_t family, const uint8_t *bytes, size_t n)
{
    memset(a, 0, sizeof *a);
    a->family = family;
    memcpy(a->bytes, bytes, n);
}

/* Bounds a datagram by its header's length field.  Returns 0 and updates
 * *len, or -1 when the field claims more than the wire carried. */
static int bound_datagram(struct decoder *d, struct packet *p, uint32_t total, uint32_t *len)
{
    if (total <= *len) {
        *len = total;
        p->truncated = false;
        return 0;
    }
    if (total - *len > d->snap_missing)
        return -1;
    p->truncated = true;
    return 0;
}

static uint16_t ipv4_checksum(const uint8_t *hdr, uint32_t hlen)
{
    uint32_t sum = 0;
    for (uint32_t i = 0; i + 1 < hlen; i += 2)
        sum += rd16(hdr + i);
    while (sum >> 16)
        sum = (sum & 0xFFFF) + (sum >> 16);
    return (uint16_t)~sum;
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* The key of a fragment set: addresses, id, protocol and the VLAN ids. */
static void frag_key_init(struct frag_key *k, const struct packet *p, uint32_t id, uint8_t proto)
{
    memset(k, 0, sizeof *k);
    k->family = p->ip_version;
    memcpy(k->src, p->src.bytes, sizeof k->src);
    memcpy(k->dst, p->dst.bytes, sizeof k->dst);
    k->id = id;
    k->proto = proto;
    k->vlan[0] = p->vlan_id[0];
    k->vlan[1] = p->vlan_id[1];
}

/* Feeds one fragment to defrag.  On completion the datagram (base header of
 * the first fragment, then the payload) is in *out. */
static enum decode_status add_fragment(struct decoder *d, struct packet *p, const struct frag_key *key,
                                       const uint8_t *hdr, uint32_t hlen, uint32_t offset, bool more,
                                       const uint8_t *payload, uint32_t plen, uint8_t **out,
                                       uint32_t *out_len)
{
    d->stats.fragments++;
    if (p->truncated)   /* a fragment cut by the snap length cannot complete a datagram */
        return decode_drop(d, DECODE_ERR_FRAG_TRUNCATED);
    if (d->reasm_used >= DECODE_REASM_BUFFERS)
        return decode_drop(d, DECODE_ERR_FRAG_NESTED);
    uint8_t *buf = d->reasm_buf[d->reasm_used];
    struct frag_input in = { .key = key, .ts_usec = p->ts_usec, .hdr = hdr, .hdr_len = hlen,
                             .offset = offset, .more = more, .data = payload, .len = plen };
    enum frag_result r = defrag_add(d->defrag, &in, buf, DECODE_REASM_BUFFER_SIZE, out_len, &d->stats);
    if (r == FRAG_HELD)
        return DECODE_HELD;
    if (r == FRAG_DROPPED)
        return DECODE_DROPPED;
    d->reasm_used++;
    d->stats.reassembled++;
    p->reassembled = true;
    *out = buf;
    return DECODE_PACKET;
}

static enum decode_status ipv4_fragment(struct decoder *d, struct packet *p, const uint8_t *data,
                                        uint32_t hlen, uint32_t len, uint16_t frag)
{
    struct frag_key key;
    frag_key_init(&key, p, rd16(data + 4), data[9]);
    uint8_t *buf;
    uint32_t total;
    enum decode_status st = add_fragment(d, p, &key, data, IPV4_MIN_HDR, (uint32_t)(frag & 0x1FFF) * 8,
                                         (frag & 0x2000) != 0, data + hlen, len - hlen, &buf, &total);
    if (st != DECODE_PACKET)
        return st;
    /* A fresh header: no options, no fragment bits, the whole length. */
    buf[0] = 0x45;
    wr16(buf + 2, (uint16_t)total);
    wr16(buf + 6, 0);
    wr16(buf + 10, 0);
    wr16(buf + 10, ipv4_checksum(buf, IPV4_MIN_HDR));
    return decode_ipv4(d, p, buf, total);
}

enum decode_status decode_ipv4(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < IPV4_MIN_HDR)
        return decode_drop(d, DECODE_ERR_IPV4_TRUNCATED);
    if ((data[0] >> 4) != 4)
        return decode_drop(d, DECODE_ERR_IPV4_BAD_VERSION);
    uint32_t hlen = (uint32_t)(data[0] & 0x0F) * 4;
    if (hlen < IPV4_MIN_HDR)
        return decode_drop(d, DECODE_ERR_IPV4_BAD_IHL);
    if (hlen > len)
        return decode_drop(d, DECODE_ERR_IPV4_TRUNCATED);
    uint32_t total = rd16(data + 2);
    if (total == 0)     /* segmentation offload on the capturing host: the frame has it all */
        total = len;
    if (total < hlen)
        return decode_drop(d, DECODE_ERR_IPV4_BAD_LENGTH);
    if (bound_datagram(d, p, total, &len) < 0)
        return decode_drop(d, DECODE_ERR_IPV4_BAD_LENGTH);

    p->ip_version = 4;
    p->ttl = data[8];
    set_addr(&p->src, 4, data + 12, 4);
    set_addr(&p->dst, 4, data + 16, 4);
    p->ip_header = data;
    p->ip_len = len;
    uint16_t frag = rd16(data + 6);
    if (frag & 0x3FFF)
        return ipv4_fragment(d, p, data, hlen, len, frag);
    d->stats.ipv4++;
    return decode_ip_payload(d, p, data[9], data + hlen, len - hlen);
}

static enum decode_status ipv6_fragment(struct decoder *d, struct packet *p, const uint8_t *data,
                                        uint32_t off, uint32_t len)
{
    const uint8_t *fh = data + off;
    uint16_t offlg = rd16(fh + 2);
    struct frag_key key;
    frag_key_init(&key, p, rd32(fh + 4), fh[0]);
    uint8_t *buf;
    uint32_t total;
    uint32_t start = off + IPV6_FRAG_HDR;
    enum decode_status st = add_fragment(d, p, &key, data, IPV6_HDR, offlg & 0xFFF8, (offlg & 1) != 0,
                                         data + start, len - start, &buf, &total);
    if (st != DECODE_PACKET)
        return st;
    /* The rebuilt datagram keeps the fixed header of the first fragment; the
     * extension headers before the fragment header are not carried over. */
    wr16(buf + 4, (uint16_t)(total - IPV6_HDR));
    buf[6] = fh[0];
    return decode_ipv6(d, p, buf, total);
}

/* Extension headers xiezhi walks past; the value says how to size them. */
enum { EXT_NONE, EXT_OPTS, EXT_AH, EXT_FRAG };
static const uint8_t ipv6_ext_kind[256] = {
    [0] = EXT_OPTS,      /* hop-by-hop options */
    [43] = EXT_OPTS,     /* routing */
    [60] = EXT_OPTS,     /* destination options */
    [135] = EXT_OPTS,    /* mobility */
    [139] = EXT_OPTS,    /* HIP */
    [140] = EXT_OPTS,    /* shim6 */
    [51] = EXT_AH,
    [44] = EXT_FRAG,
};

enum decode_status decode_ipv6(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < IPV6_HDR)
        return decode_drop(d, DECODE_ERR_IPV6_TRUNCATED);
    if ((data[0] >> 4) != 6)
        return decode_drop(d, DECODE_ERR_IPV6_BAD_VERSION);
    uint32_t plen = rd16(data + 4);
    uint8_t nh = data[6];
    if (plen == 0)      /* jumbogram (the length is in hop-by-hop) or segmentation offload */
        plen = len - IPV6_HDR;
    if (bound_datagram(d, p, IPV6_HDR + plen, &len) < 0)
        return decode_drop(d, DECODE_ERR_IPV6_BAD_LENGTH);

    p->ip_version = 6;
    p->ttl = data[7];
    set_addr(&p->src, 6, data + 8, 16);
    set_addr(&p->dst, 6, data + 24, 16);
    p->ip_header = data;
    p->ip_len = len;

    uint32_t off = IPV6_HDR;
    for (unsigned n = 0; ipv6_ext_kind[nh] != EXT_NONE; n++) {
        if (n >= DECODE_MAX_IPV6_EXTHDRS) {    /* kept: the rest of the chain is the payload */
            decode_event(d, p, DECODE_ERR_IPV6_EXTHDR_TOO_MANY);
            break;
        }
        if (len - off < 8)
            return decode_drop(d, DECODE_ERR_IPV6_EXTHDR_TRUNCATED);
        uint32_t hl;
        switch (ipv6_ext_kind[nh]) {
        case EXT_FRAG:
            hl = IPV6_FRAG_HDR;
            if ((rd16(data + off + 2) & 0xFFF9) != 0)   /* offset or M bit: a real fragment */
                return ipv6_fragment(d, p, data, off, len);
            break;    /* an atomic fragment is a whole datagram */
        case EXT_AH:
            hl = ((uint32_t)data[off + 1] + 2) * 4;
            break;
        default:
            hl = ((uint32_t)data[off + 1] + 1) * 8;
            break;
        }
        if (len - off < hl)
            return decode_drop(d, DECODE_ERR_IPV6_EXTHDR_TRUNCATED);
        nh = data[off];
        off += hl;
    }
    d->stats.ipv6++;
    return decode_ip_payload(d, p, nh, data + off, len - off);
}

enum decode_status decode_ip_guess(struct decoder *d, struct packet *p, const uint8_t *data, uint32_t len)
{
    if (len < 1)
        return decode_drop(d, DECODE_ERR_LINK_TRUNCATED);
    switch (data[0] >> 4) {
    case 4:
        return decode_ipv4(d, p, data, len);
    case 6:
        return decode_ipv6(d, p, data, len);
    default:
        return decode_drop(d, DECODE_ERR_IP_BAD_VERSION);
    }
}
