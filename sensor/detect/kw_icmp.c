/* ICMP header keywords: icmp_id and icmp_seq, the identifier and sequence
 * number of the ICMP messages that carry them (echo, timestamp, information
 * and address mask requests and replies; ICMPv6 echo).  Other ICMP types
 * have no such fields, so a rule on them never matches there. */
#include <netinet/in.h>
#include <stdlib.h>

#include "detect/keywords.h"

enum { ICMP_HDR_LEN = 8 };

/* ICMPv4 types 0, 8 and 13 to 18; ICMPv6 128 and 129. */
static bool has_id_seq(const struct packet *p)
{
    if (!p->payload || p->l4_hdr_len != ICMP_HDR_LEN)
        return false;
    if (p->proto == IPPROTO_ICMP)
        return p->icmp_type == 0 || p->icmp_type == 8 ||
               (p->icmp_type >= 13 && p->icmp_type <= 18);
    return p->proto == IPPROTO_ICMPV6 && (p->icmp_type == 128 || p->icmp_type == 129);
}

/* Bytes 4-5 (identifier) or 6-7 (sequence) of the ICMP header. */
static uint16_t header_u16(const struct packet *p, unsigned at)
{
    const uint8_t *h = p->payload - ICMP_HDR_LEN;
    return (uint16_t)(h[at] << 8 | h[at + 1]);
}

static bool match_icmp_id(const struct match_env *env, const void *ctx)
{
    return has_id_seq(env->pkt) && num_cmp_match(ctx, header_u16(env->pkt, 4));
}

static bool match_icmp_seq(const struct match_env *env, const void *ctx)
{
    return has_id_seq(env->pkt) && num_cmp_match(ctx, header_u16(env->pkt, 6));
}

int kw_icmp_id(struct rule_parser *rp, const char *v) { return rule_add_num_check(rp, v, 65535, match_icmp_id); }
int kw_icmp_seq(struct rule_parser *rp, const char *v) { return rule_add_num_check(rp, v, 65535, match_icmp_seq); }
