/* Keywords that only a DNS, TLS/TLCP or SSH transaction answers and that
 * are not buffers: dns.opcode, dns.rcode, dns.rrtype; tls.version,
 * ssl_version, ssl_state, tls_cert_expired, tls_cert_valid, tls.cert_self_signed,
 * tls_cert_notbefore, tls_cert_notafter, tls.cert_chain_len;
 * ssh.protoversion, ssh.softwareversion.  (Their buffers, dns.answer.name,
 * tls.cipher_suite, ja4.hash, ssh.software ..., are in kw_buffers.c.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "applayer/applayer.h"
#include "applayer/dns/dns_row.h"
#include "applayer/ssh/ssh_row.h"
#include "applayer/tls/tls_row.h"
#include "detect/keywords.h"
#include "util/text.h"

/* Every keyword here inspects transactions of one protocol. */
static int add_tx_check(struct rule_parser *rp, enum applayer_proto proto,
                        bool (*match)(const struct match_env *, const void *), void *ctx)
{
    rp->rule->needs_tx = true;
    rp->rule->tx_proto = (uint8_t)proto;
    rp->rule->app_layer = true;
    return rule_add_check(rp, match, ctx, free);
}

static bool tx_of(const struct match_env *env, enum applayer_proto proto)
{
    return env->tx && env->parser && env->parser->proto == proto;
}

/* ---- DNS ---- */

enum dns_field { DNS_FIELD_OPCODE, DNS_FIELD_RCODE, DNS_FIELD_RRTYPE };

struct dns_num {
    enum dns_field field;
    struct num_cmp cmp;
};

/* opcode: of the query (else the response); rcode: of the response;
 * rrtype: any question's type. */
static bool match_dns(const struct match_env *env, const void *ctx)
{
    const struct dns_num *c = ctx;
    if (!tx_of(env, APPLAYER_DNS))
        return false;
    const struct dns_message *q = dns_row_message(env->tx, false);
    const struct dns_message *r = dns_row_message(env->tx, true);
    switch (c->field) {
    case DNS_FIELD_OPCODE:
        return (q || r) && num_cmp_match(&c->cmp, dns_opcode(q ? q : r));
    case DNS_FIELD_RCODE:
        return r && num_cmp_match(&c->cmp, dns_rcode(r));
    case DNS_FIELD_RRTYPE: {
        const struct dns_message *m = q ? q : r;
        for (unsigned i = 0; m && i < m->nqueries; i++)
            if (num_cmp_match(&c->cmp, m->queries[i].rrtype))
                return true;
        return false;
    }
    }
    return false;
}

/* A number with num_cmp's operators, or a name ("NXDOMAIN", "AAAA"). */
static int dns_keyword(struct rule_parser *rp, const char *v, enum dns_field field, uint64_t max)
{
    struct dns_num *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    c->field = field;
    const char *name = v[0] == '!' ? v + 1 : v;
    bool word = (name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z');
    int byname = -1;
    if (field == DNS_FIELD_RRTYPE && word)
        byname = dns_rrtype_parse(name);
    if (field == DNS_FIELD_RCODE && word) {
        char buf[8];
        for (unsigned i = 0; i < 16 && byname < 0; i++)
            if (strcasecmp(dns_rcode_name(i, buf), name) == 0)
                byname = (int)i;
    }
    char text[32];
    if (byname >= 0)
        snprintf(text, sizeof text, "%s%d", v[0] == '!' ? "!" : "", byname);
    else
        snprintf(text, sizeof text, "%s", v);
    if ((word && byname < 0) || num_cmp_parse(text, max, &c->cmp) < 0) {
        free(c);
        rule_err(rp, "invalid %s '%s'", rule_parser_keyword(rp), v);
        return -1;
    }
    return add_tx_check(rp, APPLAYER_DNS, match_dns, c);
}

int kw_dns_opcode(struct rule_parser *rp, const char *v)
{
    return dns_keyword(rp, v, DNS_FIELD_OPCODE, 15);
}

int kw_dns_rcode(struct rule_parser *rp, const char *v)
{
    return dns_keyword(rp, v, DNS_FIELD_RCODE, 15);
}

int kw_dns_rrtype(struct rule_parser *rp, const char *v)
{
    return dns_keyword(rp, v, DNS_FIELD_RRTYPE, 65535);
}

/* ---- TLS / TLCP ---- */

struct version_set {
    uint16_t pos[8], neg[8];
    unsigned npos, nneg;
};

static bool version_in_set(const struct version_set *c, uint16_t v)
{
    for (unsigned i = 0; i < c->nneg; i++)
        if (c->neg[i] == v)
            return false;
    for (unsigned i = 0; i < c->npos; i++)
        if (c->pos[i] == v)
            return true;
    return c->nneg > 0;         /* "!tls1.3,tls1.2": anything but 1.3 (Suricata 7.0.14) */
}

/* tls.version: the negotiated version, whichever side is inspected. */
static bool match_version(const struct match_env *env, const void *ctx)
{
    if (!tx_of(env, APPLAYER_TLS))
        return false;
    const struct tls_tx *tx = tls_row_tx(env->tx);
    if (!(tx->progress & (TLS_CLIENT_HELLO | TLS_SERVER_HELLO)))
        return false;
    return version_in_set(ctx, tls_tx_version(tx));
}

/* The version one side announced, 0 before its hello: the client's first
 * real supported_versions entry (its preference), else its legacy_version;
 * the server's selected_version, else its legacy_version.  Suricata's
 * client_connp/server_connp version. */
static uint16_t side_version(const struct tls_tx *tx, enum flow_direction d)
{
    if (d == FLOW_TOCLIENT) {
        if (!(tx->progress & TLS_SERVER_HELLO))
            return 0;
        return tx->server.selected_version ? tx->server.selected_version : tx->server.version;
    }
    if (!(tx->progress & TLS_CLIENT_HELLO))
        return 0;
    for (unsigned i = 0; i < tx->client.nversions; i++) {
        uint16_t v = tx->client.versions[i];
        if ((v >= 0x0300 && v <= 0x0304) || (v >> 8) == 0x7f)   /* SSLv3..TLS 1.3, 1.3 drafts */
            return v;
    }
    return tx->client.version;
}

/* ssl_version: the version of the side being inspected, the client's going
 * to the server and the server's going to the client (as Suricata). */
static bool match_ssl_version(const struct match_env *env, const void *ctx)
{
    if (!tx_of(env, APPLAYER_TLS))
        return false;
    uint16_t v = side_version(tls_row_tx(env->tx), env->dir);
    return v && version_in_set(ctx, v);
}

/* Version words: ssl_version's ("sslv3", "tls1.2", "tlcp") and
 * tls.version's ("1.2", "1.0", "tlcp"). */
static int version_word(const char *w)
{
    static const struct {
        const char *word;
        uint16_t v;
    } words[] = { { "sslv2", 0x0002 }, { "sslv3", 0x0300 }, { "tls1.0", 0x0301 },
                  { "tls1.1", 0x0302 }, { "tls1.2", 0x0303 }, { "tls1.3", 0x0304 },
                  { "tlcp", TLS_VERSION_TLCP }, { "1.0", 0x0301 }, { "1.1", 0x0302 },
                  { "1.2", 0x0303 }, { "1.3", 0x0304 }, { "3.0", 0x0300 } };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcasecmp(words[i].word, w) == 0)
            return words[i].v;
    return -1;
}

static int version_keyword(struct rule_parser *rp, const char *v, const char *seps,
                           bool (*match)(const struct match_env *, const void *))
{
    struct version_set *c = calloc(1, sizeof *c);
    char text[128];
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    snprintf(text, sizeof text, "%s", v);
    char *save = NULL;
    for (char *w = strtok_r(text, seps, &save); w; w = strtok_r(NULL, seps, &save)) {
        bool neg = w[0] == '!';
        int ver = version_word(neg ? w + 1 : w);
        if (ver < 0 || (neg ? c->nneg : c->npos) == 8) {
            free(c);
            rule_err(rp, "invalid %s '%s': expected sslv2, sslv3, tls1.0 .. tls1.3 or tlcp",
                     rule_parser_keyword(rp), v);
            return -1;
        }
        if (neg)
            c->neg[c->nneg++] = (uint16_t)ver;
        else
            c->pos[c->npos++] = (uint16_t)ver;
    }
    if (c->npos + c->nneg == 0) {
        free(c);
        rule_err(rp, "invalid %s '%s'", rule_parser_keyword(rp), v);
        return -1;
    }
    return add_tx_check(rp, APPLAYER_TLS, match, c);
}

/* ssl_version:tls1.2,tlcp -- any of them; !word excludes one, and a list
 * with an exclusion matches every other version too.  Direction-free: the
 * engine inspects it on both sides (rule.tx_per_direction). */
int kw_ssl_version(struct rule_parser *rp, const char *v)
{
    if (version_keyword(rp, v, ", ", match_ssl_version) < 0)
        return -1;
    rp->rule->checks[rp->rule->nchecks - 1].tx_each_side = true;
    return 0;
}

/* tls.version:1.2 (or tlcp): the negotiated version. */
int kw_tls_version(struct rule_parser *rp, const char *v)
{
    return version_keyword(rp, v, " ", match_version);
}

struct state_set {
    unsigned want, negate;      /* enum tls_progress bits */
    bool unknown;
};

static bool match_ssl_state(const struct match_env *env, const void *ctx)
{
    const struct state_set *c = ctx;
    if (!tx_of(env, APPLAYER_TLS))
        return false;
    unsigned seen = tls_row_tx(env->tx)->progress;
    if (c->negate & seen)
        return false;
    if (c->unknown && !(seen & (TLS_CLIENT_HELLO | TLS_SERVER_HELLO)))
        return true;
    return c->want ? (c->want & seen) != 0 : !c->unknown;
}

/* ssl_state:client_hello|server_hello, !client_keyx, unknown */
int kw_ssl_state(struct rule_parser *rp, const char *v)
{
    static const struct {
        const char *word;
        unsigned bit;
    } states[] = { { "client_hello", TLS_CLIENT_HELLO }, { "server_hello", TLS_SERVER_HELLO },
                   { "client_keyx", TLS_CLIENT_KEYX }, { "server_keyx", TLS_SERVER_KEYX } };
    struct state_set *c = calloc(1, sizeof *c);
    char text[128];
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    snprintf(text, sizeof text, "%s", v);
    char *save = NULL;
    for (char *w = strtok_r(text, "|, ", &save); w; w = strtok_r(NULL, "|, ", &save)) {
        bool neg = w[0] == '!';
        const char *name = neg ? w + 1 : w;
        unsigned bit = 0;
        for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
            if (strcmp(states[i].word, name) == 0)
                bit = states[i].bit;
        if (!bit && strcmp(name, "unknown") == 0 && !neg) {
            c->unknown = true;
            continue;
        }
        if (!bit) {
            free(c);
            rule_err(rp, "invalid ssl_state '%s': expected client_hello, server_hello, "
                         "client_keyx, server_keyx or unknown", v);
            return -1;
        }
        if (neg)
            c->negate |= bit;
        else
            c->want |= bit;
    }
    if (add_tx_check(rp, APPLAYER_TLS, match_ssl_state, c) < 0)
        return -1;
    rp->rule->checks[rp->rule->nchecks - 1].tx_each_side = true;
    return 0;
}

/* The packet's time, or the transaction's flow's last time for a pseudo
 * packet without one. */
static time_t now_of(const struct match_env *env)
{
    uint64_t usec = env->pkt && env->pkt->ts_usec ? env->pkt->ts_usec
                                                  : env->flow ? env->flow->last_usec : 0;
    return (time_t)(usec / 1000000u);
}

struct cert_time {
    int kind;               /* 0 expired, 1 valid, 2 notbefore, 3 notafter, 4 chain length,
                             * 5 self-signed */
    struct num_cmp cmp;
};

static bool match_cert(const struct match_env *env, const void *ctx)
{
    const struct cert_time *c = ctx;
    if (!tx_of(env, APPLAYER_TLS))
        return false;
    const struct tls_tx *tx = tls_row_tx(env->tx);
    if (c->kind == 4)
        return (tx->progress & TLS_CERTIFICATE) && num_cmp_match(&c->cmp, tx->chain_len);
    if (tx->ncerts == 0)
        return false;
    const struct tls_cert *cert = &tx->certs[0];
    time_t now = now_of(env);
    switch (c->kind) {
    case 0:
        return cert->notafter_t && cert->notafter_t < now;
    case 5:
        return cert->self_issued;
    case 1:
        return cert->notbefore_t <= now && now <= cert->notafter_t;
    case 2:
        return cert->notbefore_t > 0 && num_cmp_match(&c->cmp, (uint64_t)cert->notbefore_t);
    default:
        return cert->notafter_t > 0 && num_cmp_match(&c->cmp, (uint64_t)cert->notafter_t);
    }
}

static int cert_keyword(struct rule_parser *rp, int kind, struct num_cmp cmp)
{
    struct cert_time *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    c->kind = kind;
    c->cmp = cmp;
    return add_tx_check(rp, APPLAYER_TLS, match_cert, c);
}

int kw_tls_cert_expired(struct rule_parser *rp, const char *v)
{
    (void)v;
    return cert_keyword(rp, 0, (struct num_cmp){ 0 });
}

int kw_tls_cert_valid(struct rule_parser *rp, const char *v)
{
    (void)v;
    return cert_keyword(rp, 1, (struct num_cmp){ 0 });
}

/* tls.cert_self_signed (xiezhi's): the server certificate is its own issuer
 * (names and key identifiers, as libcrypto's X509_check_issued says). */
int kw_tls_cert_self_signed(struct rule_parser *rp, const char *v)
{
    (void)v;
    return cert_keyword(rp, 5, (struct num_cmp){ 0 });
}

/* One field of n digits at *p, after the separator sep (0: none). */
static int date_field(const char **p, char sep, int n)
{
    if (sep) {
        if (**p != sep)
            return -1;
        (*p)++;
    }
    return text_decimal_digits(p, n);
}

/* "YYYY[-MM[-DD[THH:MM[:SS]]]]" as UTC seconds, or -1. */
static int64_t parse_date(const char *s)
{
    static const struct {
        char sep;
        int digits, min, max;
    } fields[] = { { 0, 4, 1970, 9999 }, { '-', 2, 1, 12 }, { '-', 2, 1, 31 },
                   { 'T', 2, 0, 23 }, { ':', 2, 0, 59 }, { ':', 2, 0, 60 } };
    int v[6] = { 1970, 1, 1, 0, 0, 0 };
    const char *p = s;
    for (size_t i = 0; i < 6 && (i == 0 || *p); i++) {
        v[i] = date_field(&p, fields[i].sep, fields[i].digits);
        if (v[i] < fields[i].min || v[i] > fields[i].max)
            return -1;
    }
    if (*p)
        return -1;
    struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2],
                     .tm_hour = v[3], .tm_min = v[4], .tm_sec = v[5] };
    return (int64_t)timegm(&tm);
}

/* tls_cert_notbefore / notafter: "DATE", "<DATE", ">DATE" or "DATE<>DATE". */
static int date_keyword(struct rule_parser *rp, const char *v, int kind)
{
    struct num_cmp cmp = { 0 };
    char text[64];
    snprintf(text, sizeof text, "%s", v);
    char *range = strstr(text, "<>");
    int64_t a, b = 0;
    if (range) {
        *range = '\0';
        a = parse_date(text);
        b = parse_date(range + 2);
        cmp.op = 'r';
    } else if (text[0] == '<' || text[0] == '>') {
        cmp.op = (uint8_t)text[0];
        a = parse_date(text + 1);
    } else {
        cmp.op = '=';
        a = parse_date(text);
    }
    if (a < 0 || b < 0 || (range && b <= a)) {
        rule_err(rp, "invalid %s '%s': expected [<|>]YYYY[-MM[-DD[THH:MM:SS]]] or DATE<>DATE",
                 rule_parser_keyword(rp), v);
        return -1;
    }
    cmp.a = (uint64_t)a;
    cmp.b = (uint64_t)b;
    return cert_keyword(rp, kind, cmp);
}

int kw_tls_cert_notbefore(struct rule_parser *rp, const char *v)
{
    return date_keyword(rp, v, 2);
}

int kw_tls_cert_notafter(struct rule_parser *rp, const char *v)
{
    return date_keyword(rp, v, 3);
}

int kw_tls_cert_chain_len(struct rule_parser *rp, const char *v)
{
    struct num_cmp cmp;
    if (num_cmp_parse(v, 1u << 20, &cmp) < 0) {
        rule_err(rp, "invalid tls.cert_chain_len '%s'", v);
        return -1;
    }
    return cert_keyword(rp, 4, cmp);
}

/* ---- SSH ---- */

struct ssh_word {
    bool software;          /* ssh.softwareversion, else ssh.protoversion */
    char value[128];
};

/* Either side: ssh.protoversion:2.0 (2_compat: 2.0 or 1.99);
 * ssh.softwareversion:OpenSSH_9.2p1 (the whole software version). */
static bool match_ssh(const struct match_env *env, const void *ctx)
{
    const struct ssh_word *c = ctx;
    if (!tx_of(env, APPLAYER_SSH))
        return false;
    const struct ssh_state *s = ssh_row_state(env->tx);
    for (int d = 0; d < 2; d++) {
        const struct ssh_side *side = &s->side[d];
        if (!side->banner)
            continue;
        if (c->software && strcmp(side->software_version, c->value) == 0)
            return true;
        if (!c->software && (strcmp(side->proto_version, c->value) == 0 ||
                             (strcmp(c->value, "2_compat") == 0 &&
                              (strcmp(side->proto_version, "2.0") == 0 ||
                               strcmp(side->proto_version, "1.99") == 0))))
            return true;
    }
    return false;
}

static int ssh_keyword(struct rule_parser *rp, const char *v, bool software)
{
    struct ssh_word *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    c->software = software;
    size_t n = strlen(v);
    if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
        v++;
        n -= 2;
    }
    if (n == 0 || n >= sizeof c->value) {
        free(c);
        rule_err(rp, "invalid %s '%s'", rule_parser_keyword(rp), v);
        return -1;
    }
    memcpy(c->value, v, n);
    c->value[n] = '\0';
    return add_tx_check(rp, APPLAYER_SSH, match_ssh, c);
}

int kw_ssh_protoversion(struct rule_parser *rp, const char *v)
{
    return ssh_keyword(rp, v, false);
}

int kw_ssh_softwareversion(struct rule_parser *rp, const char *v)
{
    return ssh_keyword(rp, v, true);
}
