/* Packet keywords: ip_proto, ttl, id, flags (with the + * ! modifiers and an
 * ignore mask), dsize, itype and icode; plus the numeric comparison syntax
 * they share ("N", "<N", ">=N", "!N", "N-M", "N<>M"). */
#include <netinet/in.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode/decode.h"
#include "detect/keywords.h"

static int parse_num(const char **p, uint64_t max, uint64_t *out)
{
    while (isspace((unsigned char)**p))
        (*p)++;
    if (!isdigit((unsigned char)**p))
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(*p, &end, 10);
    if (errno || v > max)
        return -1;
    *p = end;
    while (isspace((unsigned char)**p))
        (*p)++;
    *out = v;
    return 0;
}

int num_cmp_parse(const char *text, uint64_t max, struct num_cmp *out)
{
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    memset(out, 0, sizeof *out);
    out->op = '=';
    if (p[0] == '<' && p[1] == '=') {
        out->op = 'l';
        p += 2;
    } else if (p[0] == '>' && p[1] == '=') {
        out->op = 'g';
        p += 2;
    } else if (*p == '<' || *p == '>' || *p == '!' || *p == '=') {
        out->op = (uint8_t)*p++;
    }
    if (parse_num(&p, max, &out->a) < 0)
        return -1;
    if (out->op == '=' && (*p == '-' || (p[0] == '<' && p[1] == '>'))) {
        p += *p == '-' ? 1 : 2;
        if (parse_num(&p, max, &out->b) < 0 || out->b <= out->a)
            return -1;
        out->op = 'r';
    }
    return *p ? -1 : 0;
}

bool num_cmp_match(const struct num_cmp *c, uint64_t v)
{
    switch (c->op) {
    case '<': return v < c->a;
    case '>': return v > c->a;
    case 'l': return v <= c->a;
    case 'g': return v >= c->a;
    case '!': return v != c->a;
    case 'r': return v > c->a && v < c->b;
    default: return v == c->a;
    }
}

int rule_add_num_check(struct rule_parser *rp, const char *v, uint64_t max,
                       bool (*match)(const struct match_env *, const void *))
{
    struct num_cmp *c = malloc(sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    if (num_cmp_parse(v, max, c) < 0) {
        free(c);
        rule_err(rp, "invalid %s '%s'", rp->keyword, v);
        return -1;
    }
    return rule_add_check(rp, match, c, free);
}

static bool match_ttl(const struct match_env *env, const void *ctx)
{
    return num_cmp_match(ctx, env->pkt->ttl);
}

static bool match_dsize(const struct match_env *env, const void *ctx)
{
    return num_cmp_match(ctx, env->pkt->payload_len);
}

static bool is_icmp(const struct packet *p)
{
    return p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;
}

static bool match_itype(const struct match_env *env, const void *ctx)
{
    return is_icmp(env->pkt) && num_cmp_match(ctx, env->pkt->icmp_type);
}

static bool match_icode(const struct match_env *env, const void *ctx)
{
    return is_icmp(env->pkt) && num_cmp_match(ctx, env->pkt->icmp_code);
}

static bool match_ip_proto(const struct match_env *env, const void *ctx)
{
    return num_cmp_match(ctx, env->pkt->proto);
}

/* id: the IPv4 identification field (IPv6 has none in its fixed header). */
static bool match_ip_id(const struct match_env *env, const void *ctx)
{
    const struct packet *p = env->pkt;
    if (p->ip_version != 4 || !p->ip_header || p->ip_len < 20)
        return false;
    return num_cmp_match(ctx, (uint64_t)(p->ip_header[4] << 8 | p->ip_header[5]));
}

int kw_ttl(struct rule_parser *rp, const char *v) { return rule_add_num_check(rp, v, 255, match_ttl); }
int kw_id(struct rule_parser *rp, const char *v) { return rule_add_num_check(rp, v, 65535, match_ip_id); }
int kw_dsize(struct rule_parser *rp, const char *v)
{
    return rule_add_num_check(rp, v, 65535, match_dsize);
}
int kw_itype(struct rule_parser *rp, const char *v)
{
    return rule_add_num_check(rp, v, 255, match_itype);
}
int kw_icode(struct rule_parser *rp, const char *v)
{
    return rule_add_num_check(rp, v, 255, match_icode);
}

/* decode-event:NAME matches a packet the decoder kept despite the problem
 * NAME (a decoder counter name, e.g. ipv6_exthdr_too_many, tcp_bad_offset
 * inside a tunnel, gre_unsupported).  Suricata spells its events
 * "ipv6.exthdr_..."; the dot is accepted in place of the first '_'. */
static bool match_decode_event(const struct match_env *env, const void *ctx)
{
    const enum decode_error *why = ctx;
    return (env->pkt->decode_events >> *why) & 1;
}

int kw_decode_event(struct rule_parser *rp, const char *v)
{
    char name[64];
    snprintf(name, sizeof name, "%s", v);
    char *dot = strchr(name, '.');
    if (dot)
        *dot = '_';
    for (int i = 0; i < DECODE_ERROR_COUNT; i++) {
        if (strcmp(decode_error_name((enum decode_error)i), name) != 0)
            continue;
        enum decode_error *why = malloc(sizeof *why);
        if (!why) {
            rule_err(rp, "out of memory");
            return -1;
        }
        *why = (enum decode_error)i;
        return rule_add_check(rp, match_decode_event, why, free);
    }
    rule_err(rp, "unknown decode-event '%s' (the names are the decoder counters of docs/decode.md)", v);
    return -1;
}

/* ip_proto takes a number or a name from /etc/protocols-like table. */
struct proto_alias {
    const char *name;
    int num;
};

static const struct proto_alias proto_aliases[] = {
    { "ip", 0 }, { "icmp", 1 }, { "igmp", 2 }, { "tcp", 6 }, { "udp", 17 },
    { "ipv6", 41 }, { "rsvp", 46 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 },
    { "icmpv6", 58 }, { "ipv6-icmp", 58 }, { "ospf", 89 }, { "pim", 103 },
    { "vrrp", 112 }, { "l2tp", 115 }, { "sctp", 132 },
};

int kw_ip_proto(struct rule_parser *rp, const char *v)
{
    char op[3] = "";
    const char *name = v;
    size_t oplen = strspn(v, "<>!=");
    if (oplen > 2) {
        rule_err(rp, "invalid ip_proto '%s'", v);
        return -1;
    }
    memcpy(op, v, oplen);
    op[oplen] = '\0';
    name = v + oplen;
    for (size_t i = 0; i < sizeof proto_aliases / sizeof *proto_aliases; i++) {
        if (strcasecmp(proto_aliases[i].name, name) == 0) {
            char buf[16];
            snprintf(buf, sizeof buf, "%s%d", op, proto_aliases[i].num);
            return rule_add_num_check(rp, buf, 255, match_ip_proto);
        }
    }
    return rule_add_num_check(rp, v, 255, match_ip_proto);
}

/* flags:[modifier]LETTERS[,ignore-mask] with F S R P A U C E (1/2 = CWR/ECE)
 * and 0 for "no flags".  Without a modifier the flags must be exactly these
 * (after the mask); + = these and maybe others, * = any of these,
 * ! = not these. */
struct flags_ctx {
    uint8_t flags, ignore;
    char mod;
};

static int flag_bit(char c)
{
    static const char letters[] = "FSRPAUCE";
    const char *p = strchr(letters, toupper((unsigned char)c));
    if (c && p)
        return 1 << (p - letters);
    if (c == '1')
        return TCP_CWR;
    if (c == '2')
        return TCP_ECE;
    return -1;
}

static bool match_flags(const struct match_env *env, const void *ctx)
{
    const struct flags_ctx *c = ctx;
    if (env->pkt->proto != IPPROTO_TCP)
        return false;
    uint8_t f = env->pkt->tcp_flags & (uint8_t)~c->ignore;
    switch (c->mod) {
    case '+': return (f & c->flags) == c->flags;
    case '*': return (f & c->flags) != 0;
    case '!': return (f & c->flags) == 0;
    default: return f == c->flags;
    }
}

static int parse_flag_letters(const char *s, size_t n, uint8_t *out)
{
    uint8_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '0' || s[i] == ' ')
            continue;
        int b = flag_bit(s[i]);
        if (b < 0)
            return -1;
        v |= (uint8_t)b;
    }
    *out = v;
    return 0;
}

int kw_flags(struct rule_parser *rp, const char *v)
{
    struct flags_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    const char *p = v;
    if (*p == '+' || *p == '*' || *p == '!')
        c->mod = *p++;
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    bool ok = parse_flag_letters(p, n, &c->flags) == 0;
    /* Suricata also accepts the modifier after the letters ("SA+"). */
    if (!ok && n > 0 && !c->mod && strchr("+*!", p[n - 1])) {
        c->mod = p[n - 1];
        ok = parse_flag_letters(p, n - 1, &c->flags) == 0;
    }
    if (ok && comma)
        ok = parse_flag_letters(comma + 1, strlen(comma + 1), &c->ignore) == 0;
    if (!ok || (n == 0)) {
        free(c);
        rule_err(rp, "invalid flags '%s'", v);
        return -1;
    }
    return rule_add_check(rp, match_flags, c, free);
}
