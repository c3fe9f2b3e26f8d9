/* Sticky buffers: dns.query, tls.sni, tls.cert_subject, tls.cert_issuer,
 * ja3.hash, ja3s.hash (from the flow's nDPI metadata), ip.src and ip.dst
 * (the packet's addresses, for IP datasets), pkt_data, every HTTP buffer
 * (from the HTTP parser's transactions; http.host, http.uri, http.method and
 * http.user_agent fall back to nDPI's metadata on flows the parser does not
 * see), tcp.hdr (the packet's TCP header), and the legacy content modifiers http_uri, http_header, ...  Also
 * the engine's buffer getter. */
#include <stdlib.h>
#include <string.h>

#include "applayer/applayer.h"
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
    { "ja3.hash", BUF_JA3_HASH }, { "ja3_hash", BUF_JA3_HASH },
    { "ja3s.hash", BUF_JA3S_HASH }, { "ja3s_hash", BUF_JA3S_HASH },
    { "ip.src", BUF_IP_SRC }, { "ip.dst", BUF_IP_DST },
    /* HTTP (LibHTP transactions; Suricata 7 names, their Suricata 5 sticky
     * aliases and the legacy content modifiers) */
    { "http.host", BUF_HTTP_HOST }, { "http_host", BUF_HTTP_HOST },
    { "http.host.raw", BUF_HTTP_HOST_RAW }, { "http_raw_host", BUF_HTTP_HOST_RAW },
    { "http.uri", BUF_HTTP_URI }, { "http_uri", BUF_HTTP_URI },
    { "http.uri.raw", BUF_HTTP_URI_RAW }, { "http_raw_uri", BUF_HTTP_URI_RAW },
    { "http.method", BUF_HTTP_METHOD }, { "http_method", BUF_HTTP_METHOD },
    { "http.user_agent", BUF_HTTP_USER_AGENT }, { "http_user_agent", BUF_HTTP_USER_AGENT },
    { "http.request_line", BUF_HTTP_REQUEST_LINE }, { "http_request_line", BUF_HTTP_REQUEST_LINE },
    { "http.protocol", BUF_HTTP_PROTOCOL }, { "http_protocol", BUF_HTTP_PROTOCOL },
    { "http.header", BUF_HTTP_HEADER }, { "http_header", BUF_HTTP_HEADER },
    { "http.header.raw", BUF_HTTP_HEADER_RAW }, { "http_raw_header", BUF_HTTP_HEADER_RAW },
    { "http.header_names", BUF_HTTP_HEADER_NAMES }, { "http_header_names", BUF_HTTP_HEADER_NAMES },
    { "http.cookie", BUF_HTTP_COOKIE }, { "http_cookie", BUF_HTTP_COOKIE },
    { "http.referer", BUF_HTTP_REFERER }, { "http_referer", BUF_HTTP_REFERER },
    { "http.content_type", BUF_HTTP_CONTENT_TYPE }, { "http_content_type", BUF_HTTP_CONTENT_TYPE },
    { "http.content_len", BUF_HTTP_CONTENT_LEN }, { "http_content_len", BUF_HTTP_CONTENT_LEN },
    { "http.accept", BUF_HTTP_ACCEPT }, { "http_accept", BUF_HTTP_ACCEPT },
    { "http.accept_enc", BUF_HTTP_ACCEPT_ENC }, { "http_accept_enc", BUF_HTTP_ACCEPT_ENC },
    { "http.accept_lang", BUF_HTTP_ACCEPT_LANG }, { "http_accept_lang", BUF_HTTP_ACCEPT_LANG },
    { "http.connection", BUF_HTTP_CONNECTION }, { "http_connection", BUF_HTTP_CONNECTION },
    { "http.start", BUF_HTTP_START }, { "http_start", BUF_HTTP_START },
    { "http.request_body", BUF_HTTP_REQUEST_BODY }, { "http_client_body", BUF_HTTP_REQUEST_BODY },
    { "http.stat_code", BUF_HTTP_STAT_CODE }, { "http_stat_code", BUF_HTTP_STAT_CODE },
    { "http.stat_msg", BUF_HTTP_STAT_MSG }, { "http_stat_msg", BUF_HTTP_STAT_MSG },
    { "http.response_line", BUF_HTTP_RESPONSE_LINE }, { "http_response_line", BUF_HTTP_RESPONSE_LINE },
    { "http.location", BUF_HTTP_LOCATION }, { "http.server", BUF_HTTP_SERVER },
    { "http.response_body", BUF_HTTP_RESPONSE_BODY }, { "http_server_body", BUF_HTTP_RESPONSE_BODY },
    { "file_data", BUF_FILE_DATA }, { "file.data", BUF_FILE_DATA },
    /* DNS, TLS/TLCP, SSH transactions (sensor/applayer/{dns,tls,ssh}) */
    { "dns.answer.name", BUF_DNS_ANSWER_NAME }, { "dns.queries.rrname", BUF_DNS_QUERIES_RRNAME },
    { "tls.cert_serial", BUF_TLS_CERT_SERIAL }, { "tls_cert_serial", BUF_TLS_CERT_SERIAL },
    { "tls.cert_fingerprint", BUF_TLS_CERT_FINGERPRINT },
    { "tls_cert_fingerprint", BUF_TLS_CERT_FINGERPRINT },
    { "tls.cipher_suite", BUF_TLS_CIPHER_SUITE },
    { "ja3.string", BUF_JA3_STRING }, { "ja3s.string", BUF_JA3S_STRING },
    { "ja4.hash", BUF_JA4_HASH },
    { "ssh.proto", BUF_SSH_PROTO }, { "ssh_proto", BUF_SSH_PROTO },
    { "ssh.software", BUF_SSH_SOFTWARE }, { "ssh_software", BUF_SSH_SOFTWARE },
    { "ssh.hassh", BUF_SSH_HASSH }, { "ssh.hassh.string", BUF_SSH_HASSH_STRING },
    { "ssh.hassh.server", BUF_SSH_HASSH_SERVER },
    { "ssh.hassh.server.string", BUF_SSH_HASSH_SERVER_STRING },
    { "tls.certs", BUF_TLS_CERTS },
    { "http.request_header", BUF_HTTP_REQUEST_HEADER },
    { "http.response_header", BUF_HTTP_RESPONSE_HEADER },
    /* packet headers */
    { "tcp.hdr", BUF_TCP_HDR },
};

static const char *const canonical[BUF_COUNT] = {
    [BUF_PAYLOAD] = "pkt_data", [BUF_DNS_QUERY] = "dns.query", [BUF_TLS_SNI] = "tls.sni",
    [BUF_TLS_CERT_SUBJECT] = "tls.cert_subject", [BUF_TLS_CERT_ISSUER] = "tls.cert_issuer",
    [BUF_HTTP_HOST] = "http.host", [BUF_HTTP_URI] = "http.uri", [BUF_HTTP_METHOD] = "http.method",
    [BUF_HTTP_USER_AGENT] = "http.user_agent", [BUF_JA3_HASH] = "ja3.hash",
    [BUF_JA3S_HASH] = "ja3s.hash", [BUF_IP_SRC] = "ip.src", [BUF_IP_DST] = "ip.dst",
    [BUF_HTTP_URI_RAW] = "http.uri.raw", [BUF_HTTP_REQUEST_LINE] = "http.request_line",
    [BUF_HTTP_PROTOCOL] = "http.protocol", [BUF_HTTP_HEADER] = "http.header",
    [BUF_HTTP_HEADER_RAW] = "http.header.raw", [BUF_HTTP_HEADER_NAMES] = "http.header_names",
    [BUF_HTTP_HOST_RAW] = "http.host.raw", [BUF_HTTP_COOKIE] = "http.cookie",
    [BUF_HTTP_REFERER] = "http.referer", [BUF_HTTP_CONTENT_TYPE] = "http.content_type",
    [BUF_HTTP_CONTENT_LEN] = "http.content_len", [BUF_HTTP_ACCEPT] = "http.accept",
    [BUF_HTTP_ACCEPT_ENC] = "http.accept_enc", [BUF_HTTP_ACCEPT_LANG] = "http.accept_lang",
    [BUF_HTTP_CONNECTION] = "http.connection", [BUF_HTTP_START] = "http.start",
    [BUF_HTTP_REQUEST_BODY] = "http.request_body", [BUF_HTTP_STAT_CODE] = "http.stat_code",
    [BUF_HTTP_STAT_MSG] = "http.stat_msg", [BUF_HTTP_RESPONSE_LINE] = "http.response_line",
    [BUF_HTTP_LOCATION] = "http.location", [BUF_HTTP_SERVER] = "http.server",
    [BUF_HTTP_RESPONSE_BODY] = "http.response_body", [BUF_FILE_DATA] = "file_data",
    [BUF_DNS_ANSWER_NAME] = "dns.answer.name", [BUF_DNS_QUERIES_RRNAME] = "dns.queries.rrname",
    [BUF_TLS_CERT_SERIAL] = "tls.cert_serial", [BUF_TLS_CERT_FINGERPRINT] = "tls.cert_fingerprint",
    [BUF_TLS_CIPHER_SUITE] = "tls.cipher_suite", [BUF_JA3_STRING] = "ja3.string",
    [BUF_JA3S_STRING] = "ja3s.string", [BUF_JA4_HASH] = "ja4.hash", [BUF_SSH_PROTO] = "ssh.proto",
    [BUF_SSH_SOFTWARE] = "ssh.software", [BUF_SSH_HASSH] = "ssh.hassh",
    [BUF_SSH_HASSH_STRING] = "ssh.hassh.string", [BUF_SSH_HASSH_SERVER] = "ssh.hassh.server",
    [BUF_SSH_HASSH_SERVER_STRING] = "ssh.hassh.server.string", [BUF_TLS_CERTS] = "tls.certs",
    [BUF_TCP_HDR] = "tcp.hdr",
    [BUF_HTTP_REQUEST_HEADER] = "http.request_header",
    [BUF_HTTP_RESPONSE_HEADER] = "http.response_header",
};

/* Suricata 7's multi-buffers among ours: one instance per question, answer
 * or certificate instead of one value per transaction. */
static const bool multi[BUF_COUNT] = {
    [BUF_DNS_QUERY] = true, [BUF_DNS_ANSWER_NAME] = true, [BUF_DNS_QUERIES_RRNAME] = true,
    [BUF_TLS_CERTS] = true, [BUF_HTTP_REQUEST_HEADER] = true, [BUF_HTTP_RESPONSE_HEADER] = true,
};

bool detect_buffer_is_multi(enum detect_buffer b)
{
    return (unsigned)b < BUF_COUNT && multi[b];
}

bool detect_buffer_is_packet(int b)
{
    return b == BUF_PAYLOAD || b == BUF_IP_SRC || b == BUF_IP_DST || b == BUF_TCP_HDR;
}

int detect_buffer_applayer(enum detect_buffer b, bool *ndpi_fallback)
{
    *ndpi_fallback = b == BUF_HTTP_HOST || b == BUF_HTTP_URI || b == BUF_HTTP_URI_RAW ||
                     b == BUF_HTTP_METHOD || b == BUF_HTTP_USER_AGENT;
    if (*ndpi_fallback || (b >= BUF_HTTP_URI_RAW && b <= BUF_FILE_DATA) ||
        b == BUF_HTTP_REQUEST_HEADER || b == BUF_HTTP_RESPONSE_HEADER)
        return APPLAYER_HTTP;
    /* DNS/TLS: the parsers' transactions (every query of a flow, the whole
     * certificate chain); nDPI's metadata serves flows they do not see. */
    *ndpi_fallback = b == BUF_DNS_QUERY || b == BUF_TLS_SNI || b == BUF_TLS_CERT_SUBJECT ||
                     b == BUF_TLS_CERT_ISSUER || b == BUF_JA3_HASH || b == BUF_JA3S_HASH;
    if (b == BUF_DNS_QUERY || b == BUF_DNS_ANSWER_NAME || b == BUF_DNS_QUERIES_RRNAME)
        return APPLAYER_DNS;
    if (*ndpi_fallback || (b >= BUF_TLS_CERT_SERIAL && b <= BUF_JA4_HASH) || b == BUF_TLS_CERTS)
        return APPLAYER_TLS;
    if (b >= BUF_SSH_PROTO && b <= BUF_SSH_HASSH_SERVER_STRING)
        return APPLAYER_SSH;
    return APPLAYER_NONE;
}

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

/* A multi-buffer's keyword written again (dns.query; content:"a";
 * dns.query; content:"b";) starts a new group of its steps, which another
 * instance may satisfy, as in Suricata 7. */
static int open_group(struct rule_parser *rp, int b)
{
    struct rule *r = rp->rule;
    size_t at = r->buf[b].n;
    if (!detect_buffer_is_multi((enum detect_buffer)b) || at == 0)
        return 0;
    if (r->ngroups && r->groups[r->ngroups - 1].buffer == b &&
        r->groups[r->ngroups - 1].start == at)
        return 0;   /* the keyword twice in a row: still one group */
    if (r->ngroups >= RULE_GROUPS_MAX || at > UINT16_MAX) {
        rule_err(rp, "'%s': more than %d repeated multi-buffer keywords in one rule", rp->keyword,
                 RULE_GROUPS_MAX);
        return -1;
    }
    struct buffer_group *nv = realloc(r->groups, (r->ngroups + 1) * sizeof *nv);
    if (!nv) {
        rule_err(rp, "out of memory");
        return -1;
    }
    r->groups = nv;
    /* byte variables are per instance: the new group cannot read the old one's */
    for (int i = 0; i < rp->nvars; i++)
        if (rp->var_buffer[i] == b)
            rp->var_buffer[i] = BUF_VAR_CLOSED;
    r->groups[r->ngroups].buffer = (uint8_t)b;
    r->groups[r->ngroups].start = (uint16_t)at;
    r->ngroups++;
    return 0;
}

int kw_buffer_sticky(struct rule_parser *rp, const char *v)
{
    (void)v;
    int b = buffer_of(rp->keyword);
    if (b < 0) {
        rule_err(rp, "keyword '%s' is not supported", rp->keyword);
        return -1;
    }
    if (open_group(rp, b) < 0)
        return -1;
    rp->buffer = b;
    rp->last_payload = NULL;
    rp->b64_list = NULL;    /* base64_data ends at a buffer change */
    if (!detect_buffer_is_packet(b))
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

/* The transaction's parser fills buffers of this protocol: its own, or
 * another's it answers (HTTP/2 for http.*, DoH for dns.*). */
static bool parser_serves(const struct match_env *env, int proto)
{
    return proto != APPLAYER_NONE && env->tx &&
           (env->parser->proto == (enum applayer_proto)proto ||
            (env->parser->buffers_of & (1u << proto)));
}

bool detect_buffer_get_at(const struct match_env *env, int buffer, uint32_t i,
                          const uint8_t **data, uint32_t *len)
{
    if (!detect_buffer_is_multi((enum detect_buffer)buffer))
        return i == 0 && detect_buffer_get(env, buffer, data, len);
    bool fallback;
    int proto = detect_buffer_applayer((enum detect_buffer)buffer, &fallback);
    if (parser_serves(env, proto) && env->parser->get_buffer_at)
        return env->parser->get_buffer_at(env->state, env->tx, (enum detect_buffer)buffer,
                                          env->dir, i, data, len);
    return i == 0 && detect_buffer_get(env, buffer, data, len);   /* one value, or nDPI's */
}

bool detect_buffer_get(const struct match_env *env, int buffer, const uint8_t **data,
                       uint32_t *len)
{
    const struct packet *p = env->pkt;
    bool fallback;
    int proto = detect_buffer_applayer((enum detect_buffer)buffer, &fallback);
    if (parser_serves(env, proto))
        return env->parser->get_buffer(env->state, env->tx, (enum detect_buffer)buffer,
                                       env->dir, data, len);
    if (proto != APPLAYER_NONE && !fallback)
        return false;
    if (buffer == BUF_PAYLOAD) {
        *data = p->payload;
        *len = p->payload_len;
        return p->payload_len > 0;
    }
    if (buffer == BUF_TCP_HDR) {
        *data = packet_tcp_header(p, len);
        return *data != NULL;
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
    case BUF_HTTP_URI:
    case BUF_HTTP_URI_RAW: field = META_HTTP_URL; break;
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
    if (buffer == BUF_HTTP_URI || buffer == BUF_HTTP_URI_RAW)
        s = uri_path(s, &n);
    *data = (const uint8_t *)s;
    *len = n;
    return true;
}
