/* The HTTP sticky buffers of a transaction, as Suricata 7 defines them:
 * what each holds, when it is complete enough to inspect, and the
 * normalisation it gets (http.uri is LibHTP's normalised path + query,
 * http.header is "Name: value\r\n" per header without the cookies, bodies
 * are dechunked and decompressed).  Derived buffers are built on first use
 * and cached until the transaction changes. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applayer/http/http_int.h"

#define DERIVED_LIMIT (256 * 1024)

void http_tx_clear_cache(struct http_tx *tx)
{
    free(tx->line.p);
    tx->line = (struct http_bytes){ 0 };
    for (int b = 0; b < HTTP_DERIVED_COUNT; b++)
        for (int d = 0; d < 2; d++) {
            if (!tx->cached[b][d])
                continue;
            free(tx->cache[b][d].p);
            tx->cache[b][d] = (struct http_bytes){ 0 };
            tx->cached[b][d] = false;
        }
}

static const htp_table_t *headers_of(const htp_tx_t *htp, enum flow_direction dir)
{
    return dir == FLOW_TOSERVER ? htp->request_headers : htp->response_headers;
}

const bstr *http_header_value(const htp_tx_t *htp, enum flow_direction dir, const char *name)
{
    const htp_table_t *t = htp ? headers_of(htp, dir) : NULL;
    size_t n = t ? htp_table_size(t) : 0;
    size_t nlen = strlen(name);
    for (size_t i = 0; i < n; i++) {
        htp_header_t *h = htp_table_get_index(t, i, NULL);
        if (h && h->name && bstr_len(h->name) == nlen &&
            strncasecmp((const char *)bstr_ptr(h->name), name, nlen) == 0)
            return h->value;
    }
    return NULL;
}

static void add(struct http_bytes *b, const void *p, size_t len)
{
    http_bytes_append(b, p, len, DERIVED_LIMIT);
}

static void add_bstr(struct http_bytes *b, const bstr *s)
{
    if (s)
        add(b, bstr_ptr(s), bstr_len(s));
}

static bool is_cookie(const bstr *name, enum flow_direction dir)
{
    const char *c = dir == FLOW_TOSERVER ? "Cookie" : "Set-Cookie";
    size_t n = strlen(c);
    return bstr_len(name) == n && strncasecmp((const char *)bstr_ptr(name), c, n) == 0;
}

/* "Name: value\r\n" for each header; the cookie header has its own buffer. */
static void build_header(struct http_bytes *b, const htp_tx_t *htp, enum flow_direction dir)
{
    const htp_table_t *t = headers_of(htp, dir);
    size_t n = t ? htp_table_size(t) : 0;
    for (size_t i = 0; i < n; i++) {
        htp_header_t *h = htp_table_get_index(t, i, NULL);
        if (!h || !h->name || is_cookie(h->name, dir))
            continue;
        add_bstr(b, h->name);
        add(b, ": ", 2);
        add_bstr(b, h->value);
        add(b, "\r\n", 2);
    }
}

/* "\r\nName\r\nName\r\n\r\n" */
static void build_header_names(struct http_bytes *b, const htp_tx_t *htp, enum flow_direction dir)
{
    const htp_table_t *t = headers_of(htp, dir);
    size_t n = t ? htp_table_size(t) : 0;
    add(b, "\r\n", 2);
    for (size_t i = 0; i < n; i++) {
        htp_header_t *h = htp_table_get_index(t, i, NULL);
        if (!h || !h->name)
            continue;
        add_bstr(b, h->name);
        add(b, "\r\n", 2);
    }
    add(b, "\r\n", 2);
}

/* The line, then every header as parsed, then the empty line. */
static void build_start(struct http_bytes *b, const htp_tx_t *htp, enum flow_direction dir)
{
    add_bstr(b, dir == FLOW_TOSERVER ? htp->request_line : htp->response_line);
    add(b, "\r\n", 2);
    const htp_table_t *t = headers_of(htp, dir);
    size_t n = t ? htp_table_size(t) : 0;
    for (size_t i = 0; i < n; i++) {
        htp_header_t *h = htp_table_get_index(t, i, NULL);
        if (!h || !h->name)
            continue;
        add_bstr(b, h->name);
        add(b, ": ", 2);
        add_bstr(b, h->value);
        add(b, "\r\n", 2);
    }
    add(b, "\r\n", 2);
}

static void decode_again(const struct http_settings *set, struct http_bytes *b, size_t from)
{
    bstr *s = bstr_dup_mem(b->p + from, b->len - from);
    if (!s)
        return;
    uint64_t flags = 0;
    if (htp_urldecode_inplace(set->htp, HTP_DECODER_URL_PATH, s, &flags) == HTP_OK) {
        b->len = (uint32_t)from;
        add_bstr(b, s);
    }
    bstr_free(s);
}

/* Suricata's normalised URI: [scheme://host[:port]] path [?query] [#fragment]. */
static void build_uri(struct http_bytes *b, const struct http_settings *set, const htp_tx_t *htp)
{
    const htp_uri_t *u = htp->parsed_uri;
    if (!u)
        return;
    if (set->uri_include_all && u->hostname) {
        if (u->scheme) {
            add_bstr(b, u->scheme);
            add(b, "://", 3);
        }
        add_bstr(b, u->hostname);
        if (u->port) {
            add(b, ":", 1);
            add_bstr(b, u->port);
        }
    }
    size_t path_at = b->len;
    add_bstr(b, u->path);
    if (set->double_decode_path)
        decode_again(set, b, path_at);
    if (u->query) {
        add(b, "?", 1);
        size_t query_at = b->len;
        add_bstr(b, u->query);
        if (set->double_decode_query)
            decode_again(set, b, query_at);
    }
    if (u->fragment) {
        add(b, "#", 1);
        add_bstr(b, u->fragment);
    }
}

/* Host as the client wrote it: the absolute URI's authority, else Host. */
static const bstr *raw_host(const htp_tx_t *htp)
{
    if (htp->parsed_uri_raw && htp->parsed_uri_raw->hostname)
        return htp->parsed_uri_raw->hostname;
    return http_header_value(htp, FLOW_TOSERVER, "Host");
}

bool http_tx_uri(struct http_tx *tx, const uint8_t **data, uint32_t *len)
{
    return http_get_buffer(tx->state, &tx->base, BUF_HTTP_URI, FLOW_TOSERVER, data, len);
}

/* When a body may be inspected: complete, or enough of it arrived. */
static bool body_ready(const struct http_tx *tx, enum flow_direction dir)
{
    const struct http_settings *set = tx->state->set;
    if (tx->base.progress[dir] >= HTTP_PROGRESS_DONE)
        return tx->body[dir].len > 0;
    if (tx->base.progress[dir] < HTTP_PROGRESS_BODY)
        return false;
    uint32_t min = set->body_inspect_min[dir];
    if (min > set->body_limit[dir])
        min = set->body_limit[dir];
    return tx->body[dir].len >= min && tx->body[dir].len > 0;
}

/* The progress a buffer needs in its direction before it is inspected. */
static enum http_progress needed(enum detect_buffer b)
{
    switch (b) {
    case BUF_HTTP_URI: case BUF_HTTP_URI_RAW: case BUF_HTTP_METHOD:
    case BUF_HTTP_REQUEST_LINE: case BUF_HTTP_PROTOCOL: case BUF_HTTP_STAT_CODE:
    case BUF_HTTP_STAT_MSG: case BUF_HTTP_RESPONSE_LINE:
        return HTTP_PROGRESS_LINE;
    default:
        return HTTP_PROGRESS_HEADERS;
    }
}

/* Which side of the transaction a buffer reads, seen from direction dir. */
static enum flow_direction side_of(enum detect_buffer b, enum flow_direction dir)
{
    switch (b) {
    case BUF_HTTP_STAT_CODE: case BUF_HTTP_STAT_MSG: case BUF_HTTP_RESPONSE_LINE:
    case BUF_HTTP_LOCATION: case BUF_HTTP_SERVER: case BUF_HTTP_RESPONSE_BODY:
    case BUF_HTTP_RESPONSE_HEADER:
        return FLOW_TOCLIENT;
    case BUF_HTTP_PROTOCOL: case BUF_HTTP_HEADER: case BUF_HTTP_HEADER_RAW:
    case BUF_HTTP_HEADER_NAMES: case BUF_HTTP_COOKIE: case BUF_HTTP_CONTENT_TYPE:
    case BUF_HTTP_CONTENT_LEN: case BUF_HTTP_START: case BUF_FILE_DATA:
        return dir;
    default:
        return FLOW_TOSERVER;
    }
}

static const char *header_name(enum detect_buffer b, enum flow_direction side)
{
    switch (b) {
    case BUF_HTTP_USER_AGENT: return "User-Agent";
    case BUF_HTTP_COOKIE: return side == FLOW_TOSERVER ? "Cookie" : "Set-Cookie";
    case BUF_HTTP_REFERER: return "Referer";
    case BUF_HTTP_CONTENT_TYPE: return "Content-Type";
    case BUF_HTTP_CONTENT_LEN: return "Content-Length";
    case BUF_HTTP_ACCEPT: return "Accept";
    case BUF_HTTP_ACCEPT_ENC: return "Accept-Encoding";
    case BUF_HTTP_ACCEPT_LANG: return "Accept-Language";
    case BUF_HTTP_CONNECTION: return "Connection";
    case BUF_HTTP_LOCATION: return "Location";
    case BUF_HTTP_SERVER: return "Server";
    default: return NULL;
    }
}

/* Buffers LibHTP holds as one string. */
static const bstr *direct(const htp_tx_t *htp, enum detect_buffer b, enum flow_direction side)
{
    switch (b) {
    case BUF_HTTP_URI_RAW: return htp->request_uri;
    case BUF_HTTP_METHOD: return htp->request_method;
    case BUF_HTTP_REQUEST_LINE: return htp->request_line;
    case BUF_HTTP_PROTOCOL: return side == FLOW_TOSERVER ? htp->request_protocol
                                                         : htp->response_protocol;
    case BUF_HTTP_HOST: return htp->request_hostname;
    case BUF_HTTP_HOST_RAW: return raw_host(htp);
    case BUF_HTTP_STAT_CODE: return htp->response_status;
    case BUF_HTTP_STAT_MSG: return htp->response_message;
    case BUF_HTTP_RESPONSE_LINE: return htp->response_line;
    default: {
        const char *name = header_name(b, side);
        return name ? http_header_value(htp, side, name) : NULL;
    }
    }
}

static bool from_bytes(const struct http_bytes *b, const uint8_t **data, uint32_t *len)
{
    if (!b->p || b->len == 0)
        return false;
    *data = b->p;
    *len = b->len;
    return true;
}

static bool derived(struct http_tx *tx, enum detect_buffer b, enum flow_direction side,
                    const uint8_t **data, uint32_t *len)
{
    enum http_derived slot = b == BUF_HTTP_URI ? HTTP_DERIVED_URI
                           : b == BUF_HTTP_HEADER ? HTTP_DERIVED_HEADER
                           : b == BUF_HTTP_HEADER_NAMES ? HTTP_DERIVED_HEADER_NAMES
                                                        : HTTP_DERIVED_START;
    struct http_bytes *out = &tx->cache[slot][side];
    if (!tx->cached[slot][side]) {
        const htp_tx_t *htp = tx->htp;
        switch (slot) {
        case HTTP_DERIVED_URI: build_uri(out, tx->state->set, htp); break;
        case HTTP_DERIVED_HEADER: build_header(out, htp, side); break;
        case HTTP_DERIVED_HEADER_NAMES: build_header_names(out, htp, side); break;
        default: build_start(out, htp, side); break;
        }
        tx->cached[slot][side] = true;
    }
    return from_bytes(out, data, len);
}

bool http_get_buffer(void *state, const struct applayer_tx *base, enum detect_buffer b,
                     enum flow_direction dir, const uint8_t **data, uint32_t *len)
{
    (void)state;
    struct http_tx *tx = (struct http_tx *)base;
    if (!tx->htp)
        return false;
    if (b == BUF_HTTP_REQUEST_HEADER || b == BUF_HTTP_RESPONSE_HEADER)
        return http_get_buffer_at(state, base, b, dir, 0, data, len);     /* the first header */
    enum flow_direction side = side_of(b, dir);
    if (b == BUF_FILE_DATA)
        b = side == FLOW_TOSERVER ? BUF_HTTP_REQUEST_BODY : BUF_HTTP_RESPONSE_BODY;
    if (b == BUF_HTTP_REQUEST_BODY || b == BUF_HTTP_RESPONSE_BODY) {
        side = b == BUF_HTTP_REQUEST_BODY ? FLOW_TOSERVER : FLOW_TOCLIENT;
        return body_ready(tx, side) && from_bytes(&tx->body[side], data, len);
    }
    if (tx->base.progress[side] < needed(b))
        return false;
    if (b == BUF_HTTP_HEADER_RAW)
        return from_bytes(&tx->raw_headers[side], data, len);
    if (b == BUF_HTTP_URI || b == BUF_HTTP_HEADER || b == BUF_HTTP_HEADER_NAMES ||
        b == BUF_HTTP_START)
        return derived(tx, b, side, data, len);
    const bstr *s = direct(tx->htp, b, side);
    if (!s || bstr_len(s) == 0)
        return false;
    *data = bstr_ptr(s);
    *len = (uint32_t)bstr_len(s);
    return true;
}

/* http.request_header / http.response_header: header i of the side as
 * "Name: value" (LibHTP has joined a repeated name's values), built in the
 * transaction's line buffer, valid until the next call. */
bool http_get_buffer_at(void *state, const struct applayer_tx *base, enum detect_buffer b,
                        enum flow_direction dir, uint32_t i, const uint8_t **data, uint32_t *len)
{
    if (b != BUF_HTTP_REQUEST_HEADER && b != BUF_HTTP_RESPONSE_HEADER)
        return i == 0 && http_get_buffer(state, base, b, dir, data, len);
    struct http_tx *tx = (struct http_tx *)base;
    enum flow_direction side = side_of(b, dir);
    if (!tx->htp || tx->base.progress[side] < HTTP_PROGRESS_HEADERS)
        return false;
    const htp_table_t *t = headers_of(tx->htp, side);
    if (!t || i >= htp_table_size(t))
        return false;
    htp_header_t *h = htp_table_get_index(t, i, NULL);
    tx->line.len = 0;
    if (h)
        add_bstr(&tx->line, h->name);
    add(&tx->line, ": ", 2);
    if (h)
        add_bstr(&tx->line, h->value);
    if (!tx->line.p)
        return false;       /* out of memory */
    *data = tx->line.p;
    *len = tx->line.len;
    return true;
}
