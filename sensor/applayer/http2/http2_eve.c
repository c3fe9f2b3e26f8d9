/* What an HTTP/2 stream shows: its EVE "http" object (Suricata's field names,
 * protocol "HTTP/2", the header arrays, and "http2" with the stream id and a
 * reset's error code) and the http.* sticky buffers Suricata maps onto HTTP/2
 * (pseudo-headers :path, :method, :authority, :status stand in for the
 * request and status lines). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applayer/dns/dns_eve.h"
#include "applayer/http2/http2_int.h"

static void header_field(struct json_writer *j, const char *key, const struct http2_tx *tx,
                         int side, const char *name)
{
    const struct http2_header *h = http2_header(tx, side, name);
    if (h && h->value_len)
        json_string_len(j, key, (const char *)h->value, h->value_len);
}

static void header_array(struct json_writer *j, const char *key, const struct http2_tx *tx, int side)
{
    if (tx->nhdr[side] == 0)
        return;
    json_array_begin(j, key);
    for (uint32_t i = 0; i < tx->nhdr[side]; i++) {
        const struct http2_header *h = &tx->hdr[side][i];
        json_object_begin(j, NULL);
        json_string_len(j, "name", (const char *)h->name, h->name_len);
        json_string_len(j, "value", (const char *)h->value, h->value_len);
        json_object_end(j);
    }
    json_array_end(j);
}

/* RFC 9113 section 7 names; others as hex. */
static const char *const error_names[] = {
    "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
    "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
    "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED",
};

void http2_eve_write(const void *settings, void *state, const struct applayer_tx *base,
                     struct json_writer *j)
{
    (void)settings;
    (void)state;
    const struct http2_tx *tx = (const struct http2_tx *)base;
    if (http2_header(tx, 0, ":authority"))
        header_field(j, "hostname", tx, 0, ":authority");
    else
        header_field(j, "hostname", tx, 0, "host");
    header_field(j, "url", tx, 0, ":path");
    header_field(j, "http_user_agent", tx, 0, "user-agent");
    header_field(j, "http_content_type", tx, 1, "content-type");
    header_field(j, "http_refer", tx, 0, "referer");
    header_field(j, "http_method", tx, 0, ":method");
    json_string(j, "protocol", "HTTP/2");
    const struct http2_header *st = http2_header(tx, 1, ":status");
    if (st && st->value_len == 3 && st->value[0] >= '1' && st->value[0] <= '9')
        json_int(j, "status", strtol((const char *)st->value, NULL, 10));
    header_field(j, "redirect", tx, 1, "location");
    json_uint(j, "length", tx->body_seen[1]);
    header_array(j, "request_headers", tx, 0);
    header_array(j, "response_headers", tx, 1);
    json_object_begin(j, "http2");
    json_uint(j, "stream_id", tx->stream_id);
    if (tx->rst) {
        char hex[16];
        const char *name = tx->rst_code < sizeof error_names / sizeof *error_names
                               ? error_names[tx->rst_code] : NULL;
        if (!name) {
            snprintf(hex, sizeof hex, "0x%x", tx->rst_code);
            name = hex;
        }
        json_object_begin(j, "response");
        json_string(j, "error_code", name);
        json_object_end(j);
    }
    json_object_end(j);
}

#define DERIVED_LIMIT (256 * 1024)

static bool bytes(const struct http2_bytes *b, const uint8_t **data, uint32_t *len);

void http2_eve_dns(const void *settings, void *state, const struct applayer_tx *base,
                   struct json_writer *j)
{
    (void)settings;
    (void)state;
    const struct http2_tx *tx = (const struct http2_tx *)base;
    if (!tx->doh)
        return;
    struct dns_eve_options opt = DNS_EVE_DEFAULTS;
    if (!dns_eve_write(j, &tx->dns, true, &opt))
        dns_eve_write(j, &tx->dns, false, &opt);
}

/* Names one per line, as the DNS parser's buffers: every question's, or
 * every answer record's. */
static bool dns_names(struct http2_tx *tx, const struct dns_message *m, bool answers,
                      const uint8_t **data, uint32_t *len)
{
    struct http2_bytes *b = &tx->dns_names;
    b->len = 0;
    unsigned count = m ? (answers ? m->nrecords : m->nqueries) : 0;
    for (unsigned i = 0; i < count; i++) {
        if (answers && m->records[i].section != DNS_SECTION_ANSWER)
            continue;
        const char *name = answers ? m->records[i].rrname : m->queries[i].rrname;
        if (b->len)
            http2_bytes_add(b, (const uint8_t *)"\n", 1, DERIVED_LIMIT);
        http2_bytes_add(b, (const uint8_t *)name, (uint32_t)strlen(name), DERIVED_LIMIT);
    }
    return b->len > 0 && bytes(b, data, len);
}

/* dns.query (the first question's name), dns.queries.rrname (the query's,
 * else the response's questions) and dns.answer.name of a DoH stream. */
static bool dns_buffer(struct http2_tx *tx, enum detect_buffer buffer, const uint8_t **data,
                       uint32_t *len)
{
    const struct dns_message *m = tx->dns.query ? tx->dns.query : tx->dns.response;
    if (buffer == BUF_DNS_ANSWER_NAME)
        return dns_names(tx, tx->dns.response, true, data, len);
    if (buffer == BUF_DNS_QUERIES_RRNAME)
        return dns_names(tx, m, false, data, len);
    if (!m || m->nqueries == 0)
        return false;
    *data = (const uint8_t *)m->queries[0].rrname;
    *len = (uint32_t)strlen(m->queries[0].rrname);
    return *len > 0;
}

/* --- sticky buffers ------------------------------------------------------------------ */

enum { CACHE_HEADER, CACHE_HEADER_NAMES, CACHE_START };

static bool text(const struct http2_header *h, const uint8_t **data, uint32_t *len)
{
    if (!h)
        return false;
    *data = h->value;
    *len = h->value_len;
    return true;
}

static bool bytes(const struct http2_bytes *b, const uint8_t **data, uint32_t *len)
{
    *data = b->p ? b->p : (const uint8_t *)"";
    *len = b->len;
    return true;
}

/* http.header: "name: value\r\n" per regular header (no pseudo-headers, no
 * cookies, as Suricata); http.header_names: "\r\n" + "name\r\n" each + "\r\n";
 * http.start: a synthesised start line, then the headers and an empty line. */
static void build(struct http2_tx *tx, int kind, int side)
{
    struct http2_bytes *b = &tx->cache[kind][side];
    b->len = 0;
    if (kind == CACHE_HEADER_NAMES)
        http2_bytes_add(b, (const uint8_t *)"\r\n", 2, DERIVED_LIMIT);
    if (kind == CACHE_START) {
        const char *parts[3] = { ":method", ":path", NULL };
        if (side == 1)
            parts[0] = NULL;
        if (side == 0)
            for (int i = 0; parts[i]; i++) {
                const struct http2_header *h = http2_header(tx, 0, parts[i]);
                if (h)
                    http2_bytes_add(b, h->value, h->value_len, DERIVED_LIMIT);
                http2_bytes_add(b, (const uint8_t *)" ", 1, DERIVED_LIMIT);
            }
        const struct http2_header *st = side == 1 ? http2_header(tx, 1, ":status") : NULL;
        http2_bytes_add(b, (const uint8_t *)"HTTP/2", 6, DERIVED_LIMIT);
        if (st) {
            http2_bytes_add(b, (const uint8_t *)" ", 1, DERIVED_LIMIT);
            http2_bytes_add(b, st->value, st->value_len, DERIVED_LIMIT);
        }
        http2_bytes_add(b, (const uint8_t *)"\r\n", 2, DERIVED_LIMIT);
    }
    for (uint32_t i = 0; i < tx->nhdr[side]; i++) {
        const struct http2_header *h = &tx->hdr[side][i];
        if (h->name_len && h->name[0] == ':')
            continue;
        bool cookie = strcmp((const char *)h->name, side == 0 ? "cookie" : "set-cookie") == 0;
        if (kind == CACHE_HEADER && cookie)
            continue;
        http2_bytes_add(b, h->name, h->name_len, DERIVED_LIMIT);
        if (kind != CACHE_HEADER_NAMES) {
            http2_bytes_add(b, (const uint8_t *)": ", 2, DERIVED_LIMIT);
            http2_bytes_add(b, h->value, h->value_len, DERIVED_LIMIT);
        }
        http2_bytes_add(b, (const uint8_t *)"\r\n", 2, DERIVED_LIMIT);
    }
    if (kind != CACHE_HEADER)
        http2_bytes_add(b, (const uint8_t *)"\r\n", 2, DERIVED_LIMIT);
    tx->cached[kind][side] = true;
}

static bool derived(struct http2_tx *tx, int kind, int side, const uint8_t **data, uint32_t *len)
{
    if (!tx->cached[kind][side])
        build(tx, kind, side);
    return bytes(&tx->cache[kind][side], data, len);
}

static const char *header_name(enum detect_buffer b, int side)
{
    switch (b) {
    case BUF_HTTP_URI: case BUF_HTTP_URI_RAW: return ":path";
    case BUF_HTTP_METHOD: return ":method";
    case BUF_HTTP_HOST: case BUF_HTTP_HOST_RAW: return ":authority";
    case BUF_HTTP_USER_AGENT: return "user-agent";
    case BUF_HTTP_COOKIE: return side == 0 ? "cookie" : "set-cookie";
    case BUF_HTTP_REFERER: return "referer";
    case BUF_HTTP_CONTENT_TYPE: return "content-type";
    case BUF_HTTP_CONTENT_LEN: return "content-length";
    case BUF_HTTP_ACCEPT: return "accept";
    case BUF_HTTP_ACCEPT_ENC: return "accept-encoding";
    case BUF_HTTP_ACCEPT_LANG: return "accept-language";
    case BUF_HTTP_STAT_CODE: return ":status";
    case BUF_HTTP_LOCATION: return "location";
    case BUF_HTTP_SERVER: return "server";
    default: return NULL;
    }
}

/* Which side a buffer reads: the request's, the response's, or by direction. */
static int side_of(enum detect_buffer b, enum flow_direction dir)
{
    switch (b) {
    case BUF_HTTP_STAT_CODE: case BUF_HTTP_LOCATION: case BUF_HTTP_SERVER:
    case BUF_HTTP_RESPONSE_BODY:
        return 1;
    case BUF_HTTP_COOKIE: case BUF_HTTP_CONTENT_TYPE: case BUF_HTTP_CONTENT_LEN:
    case BUF_HTTP_HEADER: case BUF_HTTP_HEADER_RAW: case BUF_HTTP_HEADER_NAMES:
    case BUF_HTTP_START: case BUF_FILE_DATA: case BUF_HTTP_PROTOCOL:
        return dir == FLOW_TOSERVER ? 0 : 1;
    default:
        return 0;
    }
}

bool http2_get_buffer(void *state, const struct applayer_tx *base, enum detect_buffer buffer,
                      enum flow_direction dir, const uint8_t **data, uint32_t *len)
{
    (void)state;
    struct http2_tx *tx = (struct http2_tx *)base;
    if (buffer == BUF_DNS_QUERY || buffer == BUF_DNS_ANSWER_NAME || buffer == BUF_DNS_QUERIES_RRNAME)
        return dns_buffer(tx, buffer, data, len);
    int side = side_of(buffer, dir);
    bool body = buffer == BUF_HTTP_REQUEST_BODY || buffer == BUF_HTTP_RESPONSE_BODY ||
                buffer == BUF_FILE_DATA;
    if (tx->base.progress[side] < (body ? H2_PROGRESS_DONE : H2_PROGRESS_HEADERS))
        return false;
    if (body)
        return tx->body[side].len > 0 && bytes(&tx->body[side], data, len);
    switch (buffer) {
    case BUF_HTTP_HEADER: case BUF_HTTP_HEADER_RAW:
        return derived(tx, CACHE_HEADER, side, data, len);
    case BUF_HTTP_HEADER_NAMES:
        return derived(tx, CACHE_HEADER_NAMES, side, data, len);
    case BUF_HTTP_START:
        return derived(tx, CACHE_START, side, data, len);
    case BUF_HTTP_PROTOCOL:
        *data = (const uint8_t *)"HTTP/2";
        *len = 6;
        return true;
    default:
        break;
    }
    const char *name = header_name(buffer, side);
    if (!name)
        return false;
    if (buffer == BUF_HTTP_HOST || buffer == BUF_HTTP_HOST_RAW)
        return text(http2_header(tx, 0, ":authority"), data, len) ||
               text(http2_header(tx, 0, "host"), data, len);
    return text(http2_header(tx, side, name), data, len);
}
