/* The HTTP/2 parser's row fed hand-built frames: a GET decoded from HPACK
 * (static table, literals, the dynamic table across requests), the same fed
 * one byte at a time, CONTINUATION and padding, DoH recognition, limits
 * (streams, bodies, oversized frames), resets, and hostile frames: a bad
 * preface, a pad longer than its frame, an interrupted header block, HPACK
 * that does not decode. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "applayer/http2/http2_int.h"
#include "config/config.h"

static const struct applayer_parser *P = &applayer_http2_parser;

struct buf {
    uint8_t b[200000];
    size_t n;
};

static void put(struct buf *o, const void *p, size_t n)
{
    assert_true(o->n + n <= sizeof o->b);
    memcpy(o->b + o->n, p, n);
    o->n += n;
}

static void frame(struct buf *o, uint8_t type, uint8_t flags, uint32_t stream, const void *p,
                  uint32_t n)
{
    uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
                     (uint8_t)(stream >> 24), (uint8_t)(stream >> 16), (uint8_t)(stream >> 8),
                     (uint8_t)stream };
    put(o, h, 9);
    put(o, p, n);
}

/* HPACK literal without indexing, new name, short strings (< 127). */
static void lit(struct buf *o, const char *name, const char *value, bool index)
{
    uint8_t b = index ? 0x40 : 0x00;
    put(o, &b, 1);
    b = (uint8_t)strlen(name);
    put(o, &b, 1);
    put(o, name, strlen(name));
    b = (uint8_t)strlen(value);
    put(o, &b, 1);
    put(o, value, strlen(value));
}

static void idx(struct buf *o, uint8_t i)
{
    uint8_t b = 0x80 | i;
    put(o, &b, 1);
}

static void preface(struct buf *o)
{
    put(o, HTTP2_PREFACE, HTTP2_PREFACE_LEN);
    frame(o, H2_SETTINGS, 0, 0, NULL, 0);
}

static void get(struct buf *o, uint32_t stream, const char *path, bool end_stream)
{
    struct buf *h = calloc(1, sizeof *h);
    idx(h, 2);                  /* :method GET */
    idx(h, 6);                  /* :scheme http */
    lit(h, ":path", path, false);
    lit(h, ":authority", "a.example", false);
    frame(o, H2_HEADERS, (uint8_t)(H2_END_HEADERS | (end_stream ? H2_END_STREAM : 0)), stream,
          h->b, (uint32_t)h->n);
    free(h);
}

static void *settings_with(const char *const *overrides)
{
    struct config *cfg = config_new();
    struct diag d = { .quiet = 1 };
    for (size_t i = 0; overrides && overrides[i]; i++)
        assert_int_equal(config_set_override(cfg, overrides[i], &d), 0);
    void *s = P->config_new(cfg, &d);
    config_free(cfg);
    assert_non_null(s);
    return s;
}

static int feed(void *st, enum flow_direction dir, const struct buf *o, bool bytewise)
{
    uint64_t off = 0;
    size_t step = bytewise ? 1 : o->n;
    for (size_t i = 0; i < o->n; i += step) {
        size_t n = o->n - i < step ? o->n - i : step;
        struct applayer_chunk c = { dir, o->b + i, (uint32_t)n, off, 0 };
        off += n;
        if (P->on_data(st, &c, 0) < 0)
            return -1;
    }
    return 0;
}

static struct http2_tx *tx_at(void *st, size_t i)
{
    return (struct http2_tx *)P->tx_at(st, i);
}

static const char *hval(struct http2_tx *tx, int side, const char *name)
{
    const struct http2_header *h = http2_header(tx, side, name);
    return h ? (const char *)h->value : NULL;
}

static bool has_event(struct http2_tx *tx, enum http2_event ev)
{
    return tx->base.events & (1ull << ev);
}

static void session_once(bool bytewise)
{
    void *set = settings_with(NULL);
    void *st = P->state_new(set, NULL, 0);
    struct buf *c = calloc(1, sizeof *c), *s = calloc(1, sizeof *s);
    preface(c);
    /* stream 1: the user agent enters the dynamic table */
    struct buf *h = calloc(1, sizeof *h);
    idx(h, 2);
    idx(h, 6);
    lit(h, ":path", "/one", false);
    lit(h, ":authority", "a.example", false);
    lit(h, "user-agent", "ua-1", true);
    frame(c, H2_HEADERS, H2_END_HEADERS | H2_END_STREAM, 1, h->b, (uint32_t)h->n);
    /* stream 3: padded + priority HEADERS, continued; index 62 = user-agent ua-1 */
    h->n = 0;
    idx(h, 3);                  /* POST */
    lit(h, ":path", "/two", false);
    idx(h, 62);
    lit(h, "x-long", "0123456789abcdef", false);
    uint8_t head[64 + 16];
    size_t first = 10;
    head[0] = 4;                /* pad length */
    memset(head + 1, 0, 5);     /* stream dependency + weight */
    memcpy(head + 6, h->b, first);
    memset(head + 6 + first, 0, 4);
    frame(c, H2_HEADERS, H2_PADDED | H2_PRIORITY_FLAG, 3, head, (uint32_t)(6 + first + 4));
    frame(c, H2_CONTINUATION, H2_END_HEADERS, 3, h->b + first, (uint32_t)(h->n - first));
    uint8_t body[] = "\x02" "abc=1\0\0";
    frame(c, H2_DATA, H2_PADDED | H2_END_STREAM, 3, body, 8);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, bytewise), 0);
    frame(s, H2_SETTINGS, 0, 0, NULL, 0);
    h->n = 0;
    idx(h, 8);                  /* :status 200 */
    lit(h, "content-type", "text/plain", false);
    frame(s, H2_HEADERS, H2_END_HEADERS, 1, h->b, (uint32_t)h->n);
    frame(s, H2_DATA, H2_END_STREAM, 1, "hello", 5);
    uint8_t code[4] = { 0, 0, 0, 8 };   /* CANCEL */
    frame(s, H2_RST_STREAM, 0, 3, code, 4);
    assert_int_equal(feed(st, FLOW_TOCLIENT, s, bytewise), 0);

    assert_int_equal(P->tx_count(st), 2);
    struct http2_tx *a = tx_at(st, 0), *b = tx_at(st, 1);
    assert_int_equal(a->stream_id, 1);
    assert_string_equal(hval(a, 0, ":method"), "GET");
    assert_string_equal(hval(a, 0, ":scheme"), "http");
    assert_string_equal(hval(a, 0, ":path"), "/one");
    assert_string_equal(hval(a, 0, "user-agent"), "ua-1");
    assert_string_equal(hval(a, 1, ":status"), "200");
    assert_int_equal(a->body[1].len, 5);
    assert_memory_equal(a->body[1].p, "hello", 5);
    assert_int_equal(a->base.progress[0], H2_PROGRESS_DONE);
    assert_int_equal(a->base.progress[1], H2_PROGRESS_DONE);
    assert_int_equal(b->stream_id, 3);
    assert_string_equal(hval(b, 0, ":method"), "POST");
    assert_string_equal(hval(b, 0, "user-agent"), "ua-1");
    assert_string_equal(hval(b, 0, "x-long"), "0123456789abcdef");
    assert_int_equal(b->body[0].len, 5);
    assert_memory_equal(b->body[0].p, "abc=1", 5);
    assert_true(b->rst);
    assert_int_equal(b->rst_code, 8);
    assert_int_equal(b->base.progress[1], H2_PROGRESS_DONE);
    assert_null(P->proto_name(st));
    /* the http.* buffers */
    const uint8_t *d;
    uint32_t n;
    assert_true(P->get_buffer(st, &a->base, BUF_HTTP_URI, FLOW_TOSERVER, &d, &n));
    assert_int_equal(n, 4);
    assert_memory_equal(d, "/one", 4);
    assert_true(P->get_buffer(st, &a->base, BUF_HTTP_HOST, FLOW_TOSERVER, &d, &n));
    assert_memory_equal(d, "a.example", 9);
    assert_true(P->get_buffer(st, &b->base, BUF_HTTP_HEADER, FLOW_TOSERVER, &d, &n));
    const char want[] = "user-agent: ua-1\r\nx-long: 0123456789abcdef\r\n";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(d, want, n);
    assert_true(P->get_buffer(st, &a->base, BUF_FILE_DATA, FLOW_TOCLIENT, &d, &n));
    assert_memory_equal(d, "hello", 5);
    assert_false(P->get_buffer(st, &b->base, BUF_HTTP_STAT_CODE, FLOW_TOCLIENT, &d, &n));
    P->state_free(st);
    P->config_free(set);
    free(c);
    free(s);
    free(h);
}

static void session(void **unused)
{
    (void)unused;
    session_once(false);
    session_once(true);
}

static void doh(void **unused)
{
    (void)unused;
    static const char *const paths[] = { "/dns-query?dns=AAAB", "/q?x=1&dns=AAAB", "/q?nodns=1",
                                         "/dns-query" };
    static const bool want[] = { true, true, false, false };
    for (size_t i = 0; i < 4; i++) {
        void *set = settings_with(NULL);
        void *st = P->state_new(set, NULL, 0);
        struct buf *c = calloc(1, sizeof *c);
        preface(c);
        get(c, 1, paths[i], true);
        assert_int_equal(feed(st, FLOW_TOSERVER, c, false), 0);
        const char *name = P->proto_name(st);
        if (want[i])
            assert_string_equal(name, "doh2");
        else
            assert_null(name);
        P->state_free(st);
        P->config_free(set);
        free(c);
    }
    /* the DNS message of a GET: base64url in the dns parameter, served as dns.query */
    {
        void *set = settings_with(NULL);
        void *st = P->state_new(set, NULL, 0);
        struct buf *c = calloc(1, sizeof *c);
        preface(c);
        get(c, 1, "/dns-query?ct&dns=AAABAAABAAAAAAAAA3gteQdleGFtcGxlAmNuAAAQAAE&x=1", true);
        get(c, 3, "/dns-query?dns=AA*B", true);     /* not base64url: no message */
        assert_int_equal(feed(st, FLOW_TOSERVER, c, false), 0);
        struct http2_tx *t = tx_at(st, 0);
        assert_non_null(t->dns.query);
        assert_int_equal(t->dns.query->nqueries, 1);
        assert_int_equal(t->dns.query->queries[0].rrtype, 16);
        const uint8_t *d;
        uint32_t n;
        assert_true(P->get_buffer(st, &t->base, BUF_DNS_QUERY, FLOW_TOSERVER, &d, &n));
        assert_int_equal(n, 14);
        assert_memory_equal(d, "x-y.example.cn", 14);
        assert_true(P->get_buffer(st, &t->base, BUF_DNS_QUERIES_RRNAME, FLOW_TOSERVER, &d, &n));
        assert_memory_equal(d, "x-y.example.cn", 14);
        assert_false(P->get_buffer(st, &t->base, BUF_DNS_ANSWER_NAME, FLOW_TOCLIENT, &d, &n));
        assert_true(tx_at(st, 1)->doh);
        assert_null(tx_at(st, 1)->dns.query);
        assert_false(P->get_buffer(st, &tx_at(st, 1)->base, BUF_DNS_QUERY, FLOW_TOSERVER, &d, &n));
        P->state_free(st);
        P->config_free(set);
        free(c);
    }
    /* POST with the DNS media type */
    void *set = settings_with(NULL);
    void *st = P->state_new(set, NULL, 0);
    struct buf *c = calloc(1, sizeof *c), *h = calloc(1, sizeof *h);
    preface(c);
    idx(h, 3);
    lit(h, ":path", "/dns-query", false);
    lit(h, "content-type", "application/dns-message", false);
    frame(c, H2_HEADERS, H2_END_HEADERS, 1, h->b, (uint32_t)h->n);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), 0);
    assert_string_equal(P->proto_name(st), "doh2");
    assert_true(tx_at(st, 0)->doh);
    P->state_free(st);
    P->config_free(set);
    free(c);
    free(h);
}

static void limits(void **unused)
{
    (void)unused;
    static const char *const small[] = { "app-layer.protocols.http2.max-streams=2",
                                         "app-layer.protocols.http2.body-limit=10",
                                         "app-layer.protocols.http2.max-reassembly-size=2kb",
                                         NULL };
    void *set = settings_with(small);
    void *st = P->state_new(set, NULL, 0);
    struct buf *c = calloc(1, sizeof *c);
    preface(c);
    get(c, 1, "/a", false);
    get(c, 3, "/b", true);
    get(c, 5, "/c", true);              /* one stream too many: decoded, not kept */
    frame(c, H2_DATA, H2_END_STREAM, 1, "0123456789ABCDEF", 16);
    static uint8_t big[3000];
    frame(c, 0x42, 0, 0, big, sizeof big);  /* unknown type above the limit: skipped */
    get(c, 7, "/d", true);              /* still parsed after it; (1 and 3 live: no room) */
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), 0);
    assert_int_equal(P->tx_count(st), 2);
    struct http2_tx *a = tx_at(st, 0), *b = tx_at(st, 1);
    assert_int_equal(a->body[0].len, 10);
    assert_int_equal(a->body_seen[0], 16);
    assert_true(has_event(b, H2_EV_TOO_MANY_STREAMS));
    /* a freed slot takes the next stream; the skipped frame's event rides on it */
    P->tx_free(st, &a->base);
    struct buf *c2 = calloc(1, sizeof *c2);
    get(c2, 9, "/e", true);
    struct applayer_chunk ch = { FLOW_TOSERVER, c2->b, (uint32_t)c2->n, c->n, 0 };
    assert_int_equal(P->on_data(st, &ch, 0), 0);
    assert_int_equal(P->tx_count(st), 2);
    assert_string_equal(hval(tx_at(st, 1), 0, ":path"), "/e");
    assert_true(has_event(tx_at(st, 1), H2_EV_REASSEMBLY_LIMIT_REACHED));
    /* a header frame above the limit cannot be skipped: the flow is left */
    c2->n = 0;
    frame(c2, H2_HEADERS, H2_END_HEADERS, 11, big, sizeof big);
    struct applayer_chunk ch2 = { FLOW_TOSERVER, c2->b, (uint32_t)c2->n, c->n + ch.len, 0 };
    assert_int_equal(P->on_data(st, &ch2, 0), -1);
    P->state_free(st);
    P->config_free(set);
    free(c);
    free(c2);
}

/* The flow-wide memcap: the second stream's body is kept only up to it,
 * and a freed stream gives its bytes back. */
static void memcap(void **unused)
{
    (void)unused;
    static const char *const small[] = { "app-layer.protocols.http2.memcap=64kb",
                                         "app-layer.protocols.http2.body-limit=60kb", NULL };
    void *set = settings_with(small);
    void *st = P->state_new(set, NULL, 0);
    struct buf *c = calloc(1, sizeof *c);
    static uint8_t body[40000];
    memset(body, 'x', sizeof body);
    preface(c);
    get(c, 1, "/a", false);
    get(c, 3, "/b", false);
    frame(c, H2_DATA, H2_END_STREAM, 1, body, 16000);
    frame(c, H2_DATA, H2_END_STREAM, 3, body, 16000);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), 0);
    c->n = 0;
    for (int i = 0; i < 4; i++)     /* more DATA on both, up to the stream's max frame */
        frame(c, H2_DATA, 0, (uint32_t)(1 + 2 * (i & 1)), body, 12000);
    struct applayer_chunk ch = { FLOW_TOSERVER, c->b, (uint32_t)c->n, 0, 0 };
    assert_int_equal(P->on_data(st, &ch, 0), 0);
    struct http2_tx *a = tx_at(st, 0), *b = tx_at(st, 1);
    uint64_t hdrs = a->kept + b->kept - a->body[0].len - b->body[0].len;
    assert_int_equal(a->body_seen[0] + b->body_seen[0], 2 * 16000 + 4 * 12000);
    assert_int_equal(a->body[0].len + b->body[0].len + hdrs, 64 * 1024);
    assert_true(b->body[0].len < b->body_seen[0]);
    P->tx_free(st, &a->base);
    c->n = 0;
    frame(c, H2_DATA, 0, 3, body, 1000);
    ch = (struct applayer_chunk){ FLOW_TOSERVER, c->b, (uint32_t)c->n, 0, 0 };
    uint32_t before = tx_at(st, 0)->body[0].len;
    assert_int_equal(P->on_data(st, &ch, 0), 0);
    assert_int_equal(tx_at(st, 0)->body[0].len, before + 1000);
    P->state_free(st);
    P->config_free(set);
    free(c);
}

static void hostile(void **unused)
{
    (void)unused;
    void *set = settings_with(NULL);
    struct buf *c = calloc(1, sizeof *c);
    /* not the preface: the direction is no longer read, nothing kept */
    void *st = P->state_new(set, NULL, 0);
    put(c, "PRI * HTTP/1.1\r\n\r\n", 18);
    get(c, 1, "/x", true);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), 0);
    assert_int_equal(P->tx_count(st), 0);
    P->state_free(st);
    /* a pad length beyond the frame */
    st = P->state_new(set, NULL, 0);
    c->n = 0;
    preface(c);
    uint8_t padded[4] = { 200, 0x82, 0x86, 0x84 };
    frame(c, H2_HEADERS, H2_PADDED | H2_END_HEADERS, 1, padded, 4);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), -1);
    P->state_free(st);
    /* a header block interrupted by another frame */
    st = P->state_new(set, NULL, 0);
    c->n = 0;
    preface(c);
    frame(c, H2_HEADERS, 0, 1, "\x82", 1);
    frame(c, H2_PING, 0, 0, "12345678", 8);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), -1);
    P->state_free(st);
    /* HPACK that does not decode: index 0 and an index past both tables */
    st = P->state_new(set, NULL, 0);
    c->n = 0;
    preface(c);
    frame(c, H2_HEADERS, H2_END_HEADERS, 1, "\x82\xff\x7f", 3);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), -1);
    assert_true(has_event(tx_at(st, 0), H2_EV_FAILED_DECOMPRESSION));
    P->state_free(st);
    /* bad SETTINGS values and wrong control frame lengths are counted, not fatal */
    st = P->state_new(set, NULL, 0);
    c->n = 0;
    preface(c);
    uint8_t bad_max_frame[6] = { 0, 5, 0, 0, 0, 1 };
    frame(c, H2_SETTINGS, 0, 0, bad_max_frame, 6);
    frame(c, H2_PING, 0, 0, "123", 3);
    frame(c, H2_CONTINUATION, H2_END_HEADERS, 1, "\x82", 1);
    get(c, 1, "/after", true);
    assert_int_equal(feed(st, FLOW_TOSERVER, c, false), 0);
    struct http2_tx *t = tx_at(st, 0);
    assert_string_equal(hval(t, 0, ":path"), "/after");
    assert_true(has_event(t, H2_EV_INVALID_FRAME_DATA));
    assert_true(has_event(t, H2_EV_INVALID_FRAME_LENGTH));
    assert_true(has_event(t, H2_EV_INVALID_FRAME_HEADER));
    P->state_free(st);
    P->config_free(set);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(session),
        cmocka_unit_test(doh),
        cmocka_unit_test(limits),
        cmocka_unit_test(memcap),
        cmocka_unit_test(hostile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
