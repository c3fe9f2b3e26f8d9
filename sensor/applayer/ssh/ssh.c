/* SSH banners and KEXINIT, per direction (see ssh.h). */
#include "applayer/ssh/ssh.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define MSG_KEXINIT 20
#define MSG_NEWKEYS 21

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

struct ctx {
    struct ssh_state *s;
    enum flow_direction dir;
};

static void tell(struct ssh_state *s, enum ssh_progress what, enum flow_direction dir)
{
    if (s->sink.progress)
        s->sink.progress(s->sink.ctx, s, what, dir);
}

/* "SSH-protoversion-softwareversion[ SP comments]": the software version
 * ends at the first space; both parts must be non-empty. */
static int banner(struct ssh_side *side, const uint8_t *line, uint32_t len)
{
    const uint8_t *dash = memchr(line + 4, '-', len - 4);
    if (!dash || dash == line + 4 || (uint32_t)(dash - line - 4) >= sizeof side->proto_version)
        return -1;
    uint32_t plen = (uint32_t)(dash - line - 4);
    memcpy(side->proto_version, line + 4, plen);
    side->proto_version[plen] = '\0';
    const uint8_t *sw = dash + 1, *end = line + len;
    const uint8_t *sp = memchr(sw, ' ', (size_t)(end - sw));
    const uint8_t *sw_end = sp ? sp : end;
    if (sw_end == sw)
        return -1;
    memcpy(side->software_version, sw, (size_t)(sw_end - sw));
    side->software_version[sw_end - sw] = '\0';
    if (sp) {
        memcpy(side->comment, sp + 1, (size_t)(end - sp - 1));
        side->comment[end - sp - 1] = '\0';
    }
    side->banner = true;
    return 0;
}

static int64_t banner_lines(struct ctx *c, const uint8_t *data, uint32_t len)
{
    struct ssh_state *s = c->s;
    unsigned d = c->dir == FLOW_TOCLIENT;
    struct ssh_side *side = &s->side[d];
    uint32_t off = 0;
    while (!side->banner) {
        const uint8_t *nl = memchr(data + off, '\n', len - off);
        if (!nl) {
            /* room for the line and its CR: a longer unfinished line is bad now */
            if (len - off > SSH_LINE_MAX + 1) {
                s->counters.malformed[SSH_BAD_BANNER]++;
                return -1;
            }
            return off;
        }
        uint32_t llen = (uint32_t)(nl - (data + off));
        const uint8_t *line = data + off;
        off += llen + 1;
        if (llen && line[llen - 1] == '\r')
            llen--;
        if (llen > SSH_LINE_MAX) {
            s->counters.malformed[SSH_BAD_BANNER]++;
            return -1;
        }
        if (llen >= 4 && memcmp(line, "SSH-", 4) == 0) {
            if (banner(side, line, llen) != 0) {
                s->counters.malformed[SSH_BAD_BANNER]++;
                return -1;
            }
            s->counters.banners++;
            tell(s, SSH_BANNER, c->dir);
        } else if (++s->pre_banner_lines[d] > SSH_MAX_PRE_BANNER_LINES) {
            s->counters.malformed[SSH_BAD_BANNER]++;
            return -1;
        }
    }
    return off;
}

/* One name-list (uint32 length + text) from the payload at *off. */
static bool name_list(const uint8_t *p, uint32_t len, uint32_t *off, const uint8_t **text,
                      uint32_t *tlen)
{
    if (len - *off < 4)
        return false;
    uint32_t n = be32(p + *off);
    if (n > len - *off - 4)
        return false;
    *text = p + *off + 4;
    *tlen = n;
    *off += 4 + n;
    return true;
}

/* KEXINIT: cookie, then ten name-lists.  HASSH takes kex, and this side's
 * own direction of encryption, MAC and compression: the client's
 * client-to-server lists, the server's server-to-client ones. */
static int kexinit(struct ssh_side *side, bool server, const uint8_t *p, uint32_t len)
{
    const uint8_t *lists[10];
    uint32_t lens[10], off = 1 + 16;
    if (len < off)
        return -1;
    for (int i = 0; i < 10; i++)
        if (!name_list(p, len, &off, &lists[i], &lens[i]))
            return -1;
    int pick[4] = { 0, server ? 3 : 2, server ? 5 : 4, server ? 7 : 6 };
    size_t k = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t n = lens[pick[i]];
        if (k + n + 2 > sizeof side->hassh_string)
            n = (uint32_t)(sizeof side->hassh_string - 2 - k);
        memcpy(side->hassh_string + k, lists[pick[i]], n);
        k += n;
        if (i < 3)
            side->hassh_string[k++] = ';';
    }
    side->hassh_string[k] = '\0';
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    static const char digits[] = "0123456789abcdef";
    side->hassh[0] = '\0';
    if (EVP_Digest(side->hassh_string, k, md, &mdlen, EVP_md5(), NULL) && mdlen == 16) {
        for (unsigned i = 0; i < 16; i++) {
            side->hassh[2 * i] = digits[md[i] >> 4];
            side->hassh[2 * i + 1] = digits[md[i] & 15];
        }
        side->hassh[32] = '\0';
    }
    side->kexinit = true;
    return 0;
}

/* Binary packets before NEWKEYS: uint32 packet_length, byte padding_length,
 * payload, padding (no MAC yet). */
static int64_t packets(struct ctx *c, const uint8_t *data, uint32_t len)
{
    struct ssh_state *s = c->s;
    struct ssh_side *side = &s->side[c->dir == FLOW_TOCLIENT];
    uint32_t off = 0;
    while (!side->newkeys && len - off >= 5) {
        uint32_t plen = be32(data + off);
        uint8_t padlen = data[off + 4];
        if (plen < 5 || plen > SSH_PACKET_MAX || padlen >= plen) {
            s->counters.malformed[SSH_BAD_PACKET]++;
            return -1;
        }
        if (len - off - 4 < plen)
            break;
        const uint8_t *payload = data + off + 5;
        uint32_t paylen = plen - 1 - padlen;
        off += 4 + plen;
        s->counters.packets++;
        if (paylen == 0)
            continue;
        if (payload[0] == MSG_KEXINIT && !side->kexinit) {
            if (kexinit(side, c->dir == FLOW_TOCLIENT, payload, paylen) != 0) {
                s->counters.malformed[SSH_BAD_KEXINIT]++;
                return -1;
            }
            s->counters.kexinits++;
            tell(s, SSH_KEXINIT, c->dir);
        } else if (payload[0] == MSG_NEWKEYS) {
            side->newkeys = true;
            tell(s, SSH_NEWKEYS, c->dir);
        }
    }
    return side->newkeys ? len : off;
}

static int64_t parse_units(void *ctxp, const uint8_t *data, uint32_t len)
{
    struct ctx *c = ctxp;
    struct ssh_side *side = &c->s->side[c->dir == FLOW_TOCLIENT];
    uint32_t off = 0;
    if (!side->banner) {
        int64_t used = banner_lines(c, data, len);
        if (used < 0)
            return -1;
        off = (uint32_t)used;
        if (!side->banner)
            return off;
    }
    int64_t used = packets(c, data + off, len - off);
    return used < 0 ? -1 : off + used;
}

void ssh_state_init(struct ssh_state *s, const struct ssh_sink *sink)
{
    memset(s, 0, sizeof *s);
    if (sink)
        s->sink = *sink;
    pdu_buf_init(&s->buf[0], SSH_PACKET_MAX + 4);
    pdu_buf_init(&s->buf[1], SSH_PACKET_MAX + 4);
}

void ssh_state_free(struct ssh_state *s)
{
    pdu_buf_free(&s->buf[0]);
    pdu_buf_free(&s->buf[1]);
}

int ssh_parse(struct ssh_state *s, enum flow_direction dir, const uint8_t *data, uint32_t len,
              unsigned flags)
{
    unsigned d = dir == FLOW_TOCLIENT;
    if (s->dead[d])
        return -1;
    if (s->side[d].newkeys)
        return 0;                   /* ciphertext: nothing more to read */
    if (flags & PDU_CHUNK_GAP) {
        s->counters.malformed[SSH_GAP]++;
        s->dead[d] = true;
    } else {
        struct ctx c = { s, dir };
        if (pdu_buf_feed(&s->buf[d], data, len, parse_units, &c) != 0)
            s->dead[d] = true;
    }
    if (s->dead[d] || s->side[d].newkeys || (flags & PDU_CHUNK_EOF))
        pdu_buf_free(&s->buf[d]);
    return s->dead[d] ? -1 : 0;
}
