/* Sticky buffers: dns.query, tls.sni, tls.cert_subject, tls.cert_issuer,
 * http.host, http.uri, http.method, http.user_agent, ja3.hash, ja3s.hash
 * (from the flow's nDPI metadata), ip.src and ip.dst (the packet's
 * addresses, for IP datasets), pkt_data, and the legacy content modifiers
 * http_uri, http_host, ...  Also the engine's buffer getter. */
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"

struct buffer_name {
    const char *name;
    enum detect_buffer buffer;
};

static const struct buffer_name buffer_names[] = {
    { "dns.query", BUF_DNS_QUERY }, { "dns_query", BUF_DNS_QUERY },
    { "tls.sni", BUF_TLS_SNI }, { "tls_sni", BUF_TLS_SNI },
    { "tls.cert_subject", BUF_TLS_CERT_SUBJECT }, { "tls_cert_subject", BUF_TLS_CERT_SUBJECT },
    { "tls.cert_issuer", BUF_TLS_CERT_ISSUER }, { "tls_cert_issuer", BUF_TLS_CERT_ISSUER },
    { "http.host", BUF_HTTP_HOST }, { "http_host", BUF_HTTP_HOST },
    { "http.uri", BUF_HTTP_URI }, { "http_uri", BUF_HTTP_URI }, { "http_raw_uri", BUF_HTTP_URI },
    { "http.method", BUF_HTTP_METHOD }, { "http_method", BUF_HTTP_METHOD },
    { "http.user_agent", BUF_HTTP_USER_AGENT }, { "http_user_agent", BUF_HTTP_USER_AGENT },
    { "ja3.hash", BUF_JA3_HASH }, { "ja3_hash", BUF_JA3_HASH },
    { "ja3s.hash", BUF_JA3S_HASH }, { "ja3s_hash", BUF_JA3S_HASH },
    { "ip.src", BUF_IP_SRC }, { "ip.dst", BUF_IP_DST },
};

static const char *const canonical[BUF_COUNT] = {
    [BUF_PAYLOAD] = "pkt_data", [BUF_DNS_QUERY] = "dns.query", [BUF_TLS_SNI] = "tls.sni",
    [BUF_TLS_CERT_SUBJECT] = "tls.cert_subject", [BUF_TLS_CERT_ISSUER] = "tls.cert_issuer",
    [BUF_HTTP_HOST] = "http.host", [BUF_HTTP_URI] = "http.uri", [BUF_HTTP_METHOD] = "http.method",
    [BUF_HTTP_USER_AGENT] = "http.user_agent", [BUF_JA3_HASH] = "ja3.hash",
    [BUF_JA3S_HASH] = "ja3s.hash", [BUF_IP_SRC] = "ip.src", [BUF_IP_DST] = "ip.dst",
};

const char *detect_buffer_name(enum detect_buffer b)
{
    return (unsigned)b < BUF_COUNT && canonical[b] ? canonical[b] : "?";
}

static int buffer_of(const char *name)
{
    for (size_t i = 0; i < sizeof buffer_names / sizeof *buffer_names; i++)
        if (strcmp(buffer_names[i].name, name) == 0)
            return (int)buffer_names[i].buffer;
    return -1;
}

int kw_buffer_sticky(struct rule_parser *rp, const char *v)
{
    (void)v;
    int b = buffer_of(rp->keyword);
    if (b < 0) {
        rule_err(rp, "keyword '%s' is not supported", rp->keyword);
        return -1;
    }
    rp->buffer = b;
    rp->last_payload = NULL;
    rp->b64_list = NULL;    /* base64_data ends at a buffer change */
    if (b != BUF_IP_SRC && b != BUF_IP_DST)
        rp->rule->app_layer = true;
    return 0;
}

int kw_pkt_data(struct rule_parser *rp, const char *v)
{
    (void)v;
    rp->buffer = BUF_PAYLOAD;
    rp->last_payload = NULL;
    rp->last_payload_buffer = BUF_PAYLOAD;  /* relative keywords stay here */
    rp->b64_list = NULL;
    return 0;
}

/* Steps that may sit between a content and its legacy modifier and move
 * with it (content:"x"; isdataat:!1,relative; http_uri; in ET rules). */
static bool moves_with_content(const struct inspect *in)
{
    return in->kind == INSPECT_ISDATAAT || in->kind == INSPECT_BYTE_TEST ||
           in->kind == INSPECT_BYTE_JUMP || in->kind == INSPECT_BYTE_EXTRACT ||
           in->kind == INSPECT_BYTE_MATH;
}

/* http_uri etc.: moves the content just given from the payload into the
 * buffer, as if the sticky form had been written before it (with the
 * isdataat/byte_* steps written between the content and the modifier). */
int kw_buffer_legacy(struct rule_parser *rp, const char *v)
{
    (void)v;
    int b = buffer_of(rp->keyword);
    struct inspect_list *pl = &rp->rule->buf[BUF_PAYLOAD];
    size_t first = pl->n;
    if (rp->last_payload && rp->last_payload_buffer == BUF_PAYLOAD && pl->n &&
        rp->last_payload >= pl->v && rp->last_payload < pl->v + pl->n)
        first = (size_t)(rp->last_payload - pl->v);
    bool ok = b >= 0 && first < pl->n && rp->last_payload->kind == INSPECT_CONTENT &&
              !rp->b64_list;
    for (size_t i = first + 1; ok && i < pl->n; i++)
        ok = moves_with_content(&pl->v[i]);
    if (!ok) {
        rule_err(rp, "'%s' needs a preceding content", rp->keyword);
        return -1;
    }
    int sticky = rp->buffer;
    rp->buffer = b;
    size_t dst = rp->rule->buf[b].n;
    for (size_t i = first; i < pl->n; i++) {
        struct inspect *in = rule_add_inspect(rp, pl->v[i].kind);
        if (!in) {      /* what is not moved yet stays in (and is freed with) pl */
            rp->buffer = sticky;
            memmove(pl->v + first, pl->v + i, (pl->n - i) * sizeof *pl->v);
            pl->n = first + (pl->n - i);
            return -1;
        }
        *in = pl->v[i];
        if (in->kind == INSPECT_BYTE_EXTRACT || in->kind == INSPECT_BYTE_MATH)
            rp->var_buffer[in->u.byte->result] = (int8_t)b;
    }
    rp->buffer = sticky;
    pl->n = first;
    if (pl->n == 0)
        rp->rule->buffers_used &= ~(1ull << BUF_PAYLOAD);
    rp->last_payload = &rp->rule->buf[b].v[dst];  /* nocase, fast_pattern still apply */
    rp->last_payload_buffer = b;
    rp->rule->app_layer = true;
    return 0;
}

/* --- the engine's view of the buffers ------------------------------------------ */

static bool flow_is_tls(const struct detect_engine *de, const struct flow *f);

static bool flow_is_tls(const struct detect_engine *de, const struct flow *f)
{
    return detect_proto_is(de, f, "tls");
}

/* The URL nDPI keeps may start with the host: keep the path only. */
static const char *uri_path(const char *s, uint32_t *len)
{
    if (*len == 0 || s[0] == '/')
        return s;
    const char *slash = memchr(s, '/', *len);
    if (!slash)
        return s;
    *len -= (uint32_t)(slash - s);
    return slash;
}

bool detect_buffer_get(const struct match_env *env, int buffer, const uint8_t **data,
                       uint32_t *len)
{
    const struct packet *p = env->pkt;
    if (buffer == BUF_PAYLOAD) {
        *data = p->payload;
        *len = p->payload_len;
        return p->payload_len > 0;
    }
    if (buffer == BUF_IP_SRC || buffer == BUF_IP_DST) {
        const struct ip_addr *a = buffer == BUF_IP_SRC ? &p->src : &p->dst;
        *data = a->bytes;
        *len = a->family == 4 ? 4 : 16;
        return true;
    }
    const struct flow_meta *meta = env->flow ? env->flow->meta : NULL;
    if (!meta)
        return false;
    enum flow_meta_field field;
    switch (buffer) {
    case BUF_DNS_QUERY: field = META_DNS_QUERY; break;
    case BUF_TLS_SNI:
        if (!flow_is_tls(env->de, env->flow))
            return false;
        field = META_HOSTNAME;
        break;
    case BUF_HTTP_HOST:
        if (!detect_proto_is(env->de, env->flow, "http"))
            return false;
        field = META_HOSTNAME;
        break;
    case BUF_TLS_CERT_SUBJECT: field = META_TLS_CERT_SUBJECT; break;
    case BUF_TLS_CERT_ISSUER: field = META_TLS_CERT_ISSUER; break;
    case BUF_HTTP_URI: field = META_HTTP_URL; break;
    case BUF_HTTP_METHOD: field = META_HTTP_METHOD; break;
    case BUF_HTTP_USER_AGENT: field = META_HTTP_USER_AGENT; break;
    case BUF_JA3_HASH: field = META_JA3_CLIENT; break;
    case BUF_JA3S_HASH: field = META_JA3_SERVER; break;
    default: return false;
    }
    uint32_t n = 0;
    const char *s = flow_meta_get(meta, field, &n);
    if (!s || n == 0)
        return false;
    if (buffer == BUF_HTTP_URI)
        s = uri_path(s, &n);
    *data = (const uint8_t *)s;
    *len = n;
    return true;
}
