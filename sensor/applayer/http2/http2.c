/* The HTTP/2 parser's row in the app-layer registry: cleartext HTTP/2 (h2c)
 * found by the client preface on any port, or after an HTTP/1.1 "Upgrade: h2c"
 * answered by 101 (the HTTP parser's tunnel hands the flow over).  Each stream
 * is a transaction (request headers + body, response headers + body); a
 * stream that carries DNS over HTTPS (RFC 8484) makes the flow "doh2". */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applayer/http2/http2_int.h"
#include "util/text.h"

const char *const http2_event_names[] = {
    [H2_EV_INVALID_FRAME_HEADER] = "invalid_frame_header",
    [H2_EV_INVALID_CLIENT_MAGIC] = "invalid_client_magic",
    [H2_EV_INVALID_FRAME_DATA] = "invalid_frame_data",
    [H2_EV_INVALID_HEADER] = "invalid_header",
    [H2_EV_INVALID_FRAME_LENGTH] = "invalid_frame_length",
    [H2_EV_EXTRA_HEADER_DATA] = "extra_header_data",
    [H2_EV_LONG_FRAME_DATA] = "long_frame_data",
    [H2_EV_STREAM_ID_REUSE] = "stream_id_reuse",
    [H2_EV_FAILED_DECOMPRESSION] = "failed_decompression",
    [H2_EV_TOO_MANY_STREAMS] = "too_many_streams",
    [H2_EV_REASSEMBLY_LIMIT_REACHED] = "reassembly_limit_reached",
    [H2_EV_HEADER_LIST_TOO_LARGE] = "header_list_too_large",
    [H2_EV_COUNT] = NULL,
};

/* --- settings ----------------------------------------------------------------------- */

#define H2_KEY "app-layer.protocols.http2."

static void *http2_config_new(const struct config *cfg, struct diag *diag)
{
    struct http2_settings *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->max_streams = (uint32_t)config_get_int(cfg, H2_KEY "max-streams", 4096, 1, 1000000, diag);
    s->max_table_size = (uint32_t)config_get_size(cfg, H2_KEY "max-table-size", 65536, 0,
                                                  16 * 1024 * 1024, diag);
    s->max_reassembly = (uint32_t)config_get_size(cfg, H2_KEY "max-reassembly-size", 102400,
                                                  1024, 64 * 1024 * 1024, diag);
    s->body_limit = (uint32_t)config_get_size(cfg, H2_KEY "body-limit", 102400, 0,
                                              64 * 1024 * 1024, diag);
    s->memcap = (uint64_t)config_get_size(cfg, H2_KEY "memcap", 4 * 1024 * 1024, 64 * 1024,
                                          (int64_t)1 << 34, diag);
    return s;
}

static void http2_config_free(void *settings)
{
    free(settings);
}

/* --- bytes, transactions ---------------------------------------------------------- */

/* Appends what fits under limit; -1 only when memory ran out. */
int http2_bytes_add(struct http2_bytes *b, const uint8_t *p, uint32_t len, uint32_t limit)
{
    if (b->len >= limit)
        return 0;
    if (len > limit - b->len)
        len = limit - b->len;
    if (len == 0)
        return 0;
    if (b->len + len > b->cap) {
        uint32_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap = cap > limit / 2 ? limit : cap * 2;
        uint8_t *n = realloc(b->p, cap);
        if (!n)
            return -1;
        b->p = n;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, len);
    b->len += len;
    return 0;
}

void http2_tx_clear_cache(struct http2_tx *tx)
{
    for (int k = 0; k < 3; k++)
        for (int s = 0; s < 2; s++) {
            tx->cache[k][s].len = 0;
            tx->cached[k][s] = false;
        }
}

static void tx_free_one(struct http2_tx *tx)
{
    for (int s = 0; s < 2; s++) {
        for (uint32_t i = 0; i < tx->nhdr[s]; i++) {
            free(tx->hdr[s][i].name);
            free(tx->hdr[s][i].value);
        }
        free(tx->hdr[s]);
        free(tx->body[s].p);
        for (int k = 0; k < 3; k++)
            free(tx->cache[k][s].p);
    }
    free(tx->dns_names.p);
    dns_message_free(tx->dns.query);
    dns_message_free(tx->dns.response);
    free(tx);
}

/* Anomalies outside a stream wait for the next transaction to carry them. */
void http2_event(struct http2_state *st, struct http2_tx *tx, enum http2_event ev)
{
    uint64_t bit = 1ull << ev;
    if (!tx) {
        st->flow_events |= bit;
        return;
    }
    if (!(tx->base.events & bit)) {
        tx->base.events |= bit;
        tx->base.changed |= 3;
    }
}

static void set_progress(struct http2_tx *tx, int side, uint8_t p)
{
    if (tx->base.progress[side] >= p)
        return;
    tx->base.progress[side] = p;
    tx->base.changed |= (uint8_t)(1u << side);
}

void http2_side_done(struct http2_tx *tx, int side)
{
    if (tx->base.progress[side] < H2_PROGRESS_DONE && tx->doh)
        http2_doh_parse(tx, side);
    set_progress(tx, side, H2_PROGRESS_DONE);
}

/* RFC 8484 section 4.1: base64url without padding; false on any other byte. */
static bool base64url_decode(const char *in, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    uint32_t acc = 0;
    int bits = 0;
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        int c = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
        if (c == '=')
            break;
        int v = text_base64_digit(c);
        if (v < 0)
            return false;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (*len == cap)
                return false;
            out[(*len)++] = (uint8_t)(acc >> bits);
        }
    }
    return true;
}

#define DOH_GET_MAX 4096    /* bytes of a DNS message taken from a URL */

void http2_doh_parse(struct http2_tx *tx, int side)
{
    struct dns_message **slot = side == 0 ? &tx->dns.query : &tx->dns.response;
    if (*slot)
        return;
    const uint8_t *msg = tx->body[side].p;
    size_t len = tx->body[side].len;
    uint8_t decoded[DOH_GET_MAX];
    const struct http2_header *m = side == 0 ? http2_header(tx, 0, ":method") : NULL;
    if (m && strcmp((const char *)m->value, "GET") == 0) {
        const struct http2_header *path = http2_header(tx, 0, ":path");
        const char *q = path ? strchr((const char *)path->value, '?') : NULL;
        const char *p = q ? (strncmp(q + 1, "dns=", 4) == 0 ? q + 1 : strstr(q, "&dns=")) : NULL;
        if (!p)
            return;
        p += p[0] == '&' ? 5 : 4;
        size_t n = strcspn(p, "&");
        if (!base64url_decode(p, n, decoded, sizeof decoded, &len))
            return;
        msg = decoded;
    } else if (tx->body_seen[side] != len) {
        return;             /* cut at body-limit: not a whole message */
    }
    if (!msg || len == 0)
        return;
    struct dns_message *dm = calloc(1, sizeof *dm);
    if (!dm)
        return;
    if (dns_message_parse(dm, msg, len) != 0) {
        dns_message_free(dm);
        return;
    }
    *slot = dm;
    tx->dns.tx_id = tx->base.id;
    tx->dns.id = dm->id;
}

struct http2_tx *http2_stream_tx(struct http2_state *st, uint32_t stream, bool create)
{
    for (size_t i = st->ntx; i > 0; i--)
        if (st->tx[i - 1]->stream_id == stream)
            return st->tx[i - 1];
    if (!create || stream == 0)
        return NULL;
    uint32_t *highest = &st->highest_stream[stream & 1];
    if (stream <= *highest) {
        /* a stream already over (reset, logged): its late frames have no transaction */
        http2_event(st, NULL, H2_EV_STREAM_ID_REUSE);
        return NULL;
    }
    if (st->ntx >= st->set->max_streams) {
        if (st->ntx > 0)
            http2_event(st, st->tx[st->ntx - 1], H2_EV_TOO_MANY_STREAMS);
        return NULL;
    }
    if (st->ntx == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        struct http2_tx **n = realloc(st->tx, cap * sizeof *n);
        if (!n)
            return NULL;
        st->tx = n;
        st->cap = cap;
    }
    struct http2_tx *tx = calloc(1, sizeof *tx);
    if (!tx)
        return NULL;
    tx->base.id = st->next_id++;
    tx->base.events = st->flow_events;
    tx->base.changed = 3;
    st->flow_events = 0;
    *highest = stream;
    tx->stream_id = stream;
    st->tx[st->ntx++] = tx;
    return tx;
}

const struct http2_header *http2_header(const struct http2_tx *tx, int side, const char *name)
{
    for (uint32_t i = 0; i < tx->nhdr[side]; i++)
        if (strcasecmp((const char *)tx->hdr[side][i].name, name) == 0)
            return &tx->hdr[side][i];
    return NULL;
}

/* RFC 8484: POST with Content-Type application/dns-message, or GET with the
 * query in a "dns" parameter. */
static bool is_doh_request(const struct http2_tx *tx)
{
    const struct http2_header *m = http2_header(tx, 0, ":method");
    if (!m)
        return false;
    if (strcmp((const char *)m->value, "POST") == 0) {
        const struct http2_header *ct = http2_header(tx, 0, "content-type");
        return ct && strncasecmp((const char *)ct->value, "application/dns-message", 23) == 0;
    }
    const struct http2_header *path = http2_header(tx, 0, ":path");
    if (strcmp((const char *)m->value, "GET") != 0 || !path)
        return false;
    const char *q = strchr((const char *)path->value, '?');
    return q && (strncmp(q + 1, "dns=", 4) == 0 || strstr(q, "&dns=") != NULL);
}

void http2_headers_done(struct http2_state *st, struct http2_tx *tx, int side)
{
    set_progress(tx, side, H2_PROGRESS_HEADERS);
    http2_tx_clear_cache(tx);
    /* a response to a request this parser never saw (the HTTP/1.1 request of
     * an Upgrade, or a stream opened before the capture): the request side is over */
    if (side == 1 && tx->base.progress[0] == H2_PROGRESS_NONE)
        set_progress(tx, 0, H2_PROGRESS_DONE);
    if (side == 0 && !tx->doh && is_doh_request(tx)) {
        tx->doh = true;
        st->doh = true;
    }
}

/* --- the row ------------------------------------------------------------------------- */

static void *http2_state_new(const void *settings, const struct flow *flow, uint64_t ts_usec)
{
    (void)flow;
    (void)ts_usec;
    struct http2_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->set = settings;
    for (int d = 0; d < 2; d++) {
        st->dir[d].max_frame = HTTP2_DEFAULT_MAX_FRAME;
        if (nghttp2_hd_inflate_new(&st->dir[d].inflater) != 0) {
            if (d == 1)
                nghttp2_hd_inflate_del(st->dir[0].inflater);
            free(st);
            return NULL;
        }
    }
    st->dir[FLOW_TOSERVER].rs = H2_READ_PREFACE;
    st->dir[FLOW_TOCLIENT].rs = H2_READ_HEADER;
    return st;
}

static void http2_state_free(void *p)
{
    struct http2_state *st = p;
    if (!st)
        return;
    for (size_t i = 0; i < st->ntx; i++)
        tx_free_one(st->tx[i]);
    free(st->tx);
    for (int d = 0; d < 2; d++) {
        nghttp2_hd_inflate_del(st->dir[d].inflater);
        free(st->dir[d].payload.p);
    }
    free(st);
}

/* At the end of a direction every stream is as complete as it will get. */
static void close_dir(struct http2_state *st, enum flow_direction dir)
{
    int side = dir == FLOW_TOSERVER ? 0 : 1;
    for (size_t i = 0; i < st->ntx; i++)
        http2_side_done(st->tx[i], side);
}

static int http2_on_data(void *p, const struct applayer_chunk *c, uint64_t ts_usec)
{
    (void)ts_usec;
    struct http2_state *st = p;
    if (c->flags & APPLAYER_CHUNK_GAP)
        return -1;          /* frames and HPACK cannot resynchronise after lost bytes */
    int rc = c->len ? http2_read(st, c->dir, c->data, c->len) : 0;
    if (c->flags & APPLAYER_CHUNK_EOF)
        close_dir(st, c->dir);
    return rc;
}

static size_t http2_tx_count(void *p)
{
    return ((struct http2_state *)p)->ntx;
}

static struct applayer_tx *http2_tx_at(void *p, size_t i)
{
    struct http2_state *st = p;
    return i < st->ntx ? &st->tx[i]->base : NULL;
}

static void http2_tx_free(void *p, struct applayer_tx *base)
{
    struct http2_state *st = p;
    for (size_t i = 0; i < st->ntx; i++) {
        if (&st->tx[i]->base != base)
            continue;
        st->kept -= st->kept >= st->tx[i]->kept ? st->tx[i]->kept : st->kept;
        tx_free_one(st->tx[i]);
        memmove(&st->tx[i], &st->tx[i + 1], (st->ntx - i - 1) * sizeof *st->tx);
        st->ntx--;
        return;
    }
}

static const char *http2_proto_name(void *p)
{
    const struct http2_state *st = p;
    return st && st->doh ? "doh2" : NULL;
}

/* To server: the client preface.  To client: the server's first frame, its
 * SETTINGS (no flags, stream 0, whole 6-byte entries); seen first when an
 * h2c upgrade's 101 is followed by the server's frames. */
static enum applayer_probe_result http2_probe(const uint8_t *data, uint32_t len,
                                              enum flow_direction dir)
{
    if (dir == FLOW_TOSERVER) {
        uint32_t n = len < HTTP2_PREFACE_LEN ? len : HTTP2_PREFACE_LEN;
        if (memcmp(data, HTTP2_PREFACE, n) != 0)
            return APPLAYER_PROBE_NO;
        return len < HTTP2_PREFACE_LEN ? APPLAYER_PROBE_MORE : APPLAYER_PROBE_YES;
    }
    static const uint8_t want[HTTP2_FRAME_HEADER] = { 0, 0, 0, H2_SETTINGS, 0, 0, 0, 0, 0 };
    for (uint32_t i = 0; i < len && i < HTTP2_FRAME_HEADER; i++)
        if (i != 1 && i != 2 && data[i] != want[i])
            return APPLAYER_PROBE_NO;
    if (len < HTTP2_FRAME_HEADER)
        return APPLAYER_PROBE_MORE;
    uint32_t flen = (uint32_t)data[1] << 8 | data[2];
    return flen % 6 == 0 && flen <= 60 ? APPLAYER_PROBE_YES : APPLAYER_PROBE_NO;
}

const struct applayer_parser applayer_http2_parser = {
    .proto = APPLAYER_HTTP2,
    .name = "http2",
    .eve_object = "http",
    .state_size = sizeof(struct http2_state),
    .tcp = true,
    .probe_outranks_ndpi = true,
    .progress_done = { H2_PROGRESS_DONE, H2_PROGRESS_DONE },
    .probe = http2_probe,
    .config_new = http2_config_new,
    .config_free = http2_config_free,
    .state_new = http2_state_new,
    .state_free = http2_state_free,
    .on_data = http2_on_data,
    .tx_count = http2_tx_count,
    .tx_at = http2_tx_at,
    .tx_free = http2_tx_free,
    .eve_write = http2_eve_write,
    .get_buffer = http2_get_buffer,
    .event_names = http2_event_names,
    .proto_name = http2_proto_name,
    .buffers_of = 1u << APPLAYER_HTTP | 1u << APPLAYER_DNS,
    .eve_write_beside = http2_eve_dns,
};
