/* TCP header keywords: seq, ack, window, tcp.mss, tcp.flags (the flags
 * syntax of kw_packet.c under its Suricata 7 name) and the tcp.hdr sticky
 * buffer (kw_buffers.c serves its bytes).  Each matches only a packet whose
 * TCP header the decoder read, never a flow-end pseudo packet. */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"

enum { TCP_HDR_MIN = 20, TCPOPT_EOL = 0, TCPOPT_NOP = 1, TCPOPT_MSS = 2 };

static bool has_tcp_header(const struct packet *p)
{
    return p->proto == IPPROTO_TCP && p->payload && p->l4_hdr_len >= TCP_HDR_MIN;
}

const uint8_t *packet_tcp_header(const struct packet *p, uint32_t *len)
{
    if (!has_tcp_header(p))
        return NULL;
    *len = p->l4_hdr_len;
    return p->payload - p->l4_hdr_len;
}

/* The MSS option's value; false when the header has none (or a malformed
 * option list ends the walk first). */
bool packet_tcp_mss(const struct packet *p, uint16_t *mss)
{
    uint32_t len;
    const uint8_t *h = packet_tcp_header(p, &len);
    if (!h)
        return false;
    for (uint32_t i = TCP_HDR_MIN; i < len;) {
        uint8_t kind = h[i];
        if (kind == TCPOPT_EOL)
            return false;
        if (kind == TCPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= len || h[i + 1] < 2 || h[i + 1] > len - i)
            return false;
        if (kind == TCPOPT_MSS) {
            if (h[i + 1] != 4)
                return false;
            *mss = (uint16_t)(h[i + 2] << 8 | h[i + 3]);
            return true;
        }
        i += h[i + 1];
    }
    return false;
}

static bool match_seq(const struct match_env *env, const void *ctx)
{
    return has_tcp_header(env->pkt) && num_cmp_match(ctx, env->pkt->tcp_seq);
}

static bool match_ack(const struct match_env *env, const void *ctx)
{
    return has_tcp_header(env->pkt) && num_cmp_match(ctx, env->pkt->tcp_ack);
}

static bool match_window(const struct match_env *env, const void *ctx)
{
    return has_tcp_header(env->pkt) && num_cmp_match(ctx, env->pkt->tcp_window);
}

static bool match_mss(const struct match_env *env, const void *ctx)
{
    uint16_t mss;
    return packet_tcp_mss(env->pkt, &mss) && num_cmp_match(ctx, mss);
}

/* seq and ack take one number (Suricata's syntax); window an optional '!'
 * before it; tcp.mss the comparisons of the other numeric keywords. */
static int add_exact(struct rule_parser *rp, const char *v, uint64_t max, bool allow_not,
                     bool (*match)(const struct match_env *, const void *))
{
    struct num_cmp c;
    const char *p = v;
    bool negated = allow_not && *p == '!';
    if (negated)
        p++;
    if (*p == '!' || *p == '<' || *p == '>' || *p == '=' || num_cmp_parse(p, max, &c) < 0 ||
        c.op != '=') {
        rule_err(rp, "invalid %s '%s'", rp->keyword, v);
        return -1;
    }
    if (negated)
        c.op = '!';
    struct num_cmp *ctx = malloc(sizeof *ctx);
    if (!ctx) {
        rule_err(rp, "out of memory");
        return -1;
    }
    *ctx = c;
    return rule_add_check(rp, match, ctx, free);
}

int kw_seq(struct rule_parser *rp, const char *v) { return add_exact(rp, v, UINT32_MAX, false, match_seq); }
int kw_ack(struct rule_parser *rp, const char *v) { return add_exact(rp, v, UINT32_MAX, false, match_ack); }
int kw_window(struct rule_parser *rp, const char *v) { return add_exact(rp, v, 65535, true, match_window); }

int kw_tcp_mss(struct rule_parser *rp, const char *v)
{
    return rule_add_num_check(rp, v, 65535, match_mss);
}

/* tcp.flags is Suricata 7's name of flags: the same syntax and match. */
int kw_tcp_flags(struct rule_parser *rp, const char *v)
{
    return kw_flags(rp, v);
}
