/* The HTTP/2 frame reader of one direction: the client preface, 9-byte frame
 * headers, whole control and header frames (bounded), DATA streamed through
 * without buffering, padding, CONTINUATION, SETTINGS that change the other
 * direction's limits, and HPACK decoding with libnghttp2's inflater. */
#include <stdlib.h>
#include <string.h>

#include "applayer/http2/http2_int.h"

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void kill_dir(struct http2_dir *d)
{
    d->rs = H2_READ_DEAD;
}

/* A header the inflater emitted: kept on the side while the side's bound allows. */
static void keep_header(struct http2_state *st, struct http2_tx *tx, int side, const nghttp2_nv *nv)
{
    if (!tx)
        return;
    uint64_t need = (uint64_t)tx->hdr_bytes[side] + nv->namelen + nv->valuelen;
    if (need > st->set->max_reassembly ||
        st->kept + nv->namelen + nv->valuelen > st->set->memcap) {
        http2_event(st, tx, H2_EV_HEADER_LIST_TOO_LARGE);
        return;
    }
    if (tx->nhdr[side] == tx->hdr_cap[side]) {
        uint32_t cap = tx->hdr_cap[side] ? tx->hdr_cap[side] * 2 : 8;
        struct http2_header *h = realloc(tx->hdr[side], cap * sizeof *h);
        if (!h)
            return;
        tx->hdr[side] = h;
        tx->hdr_cap[side] = cap;
    }
    struct http2_header *h = &tx->hdr[side][tx->nhdr[side]];
    h->name = malloc(nv->namelen + 1);
    h->value = malloc(nv->valuelen + 1);
    if (!h->name || !h->value) {
        free(h->name);
        free(h->value);
        return;
    }
    memcpy(h->name, nv->name, nv->namelen);
    h->name[nv->namelen] = 0;
    memcpy(h->value, nv->value, nv->valuelen);
    h->value[nv->valuelen] = 0;
    h->name_len = (uint32_t)nv->namelen;
    h->value_len = (uint32_t)nv->valuelen;
    tx->nhdr[side]++;
    tx->hdr_bytes[side] = (uint32_t)need;
    tx->kept += nv->namelen + nv->valuelen;
    st->kept += nv->namelen + nv->valuelen;
}

/* One fragment of a header block.  Decoded even when no transaction keeps
 * the headers: HPACK's dynamic table must see every block. */
static int inflate_block(struct http2_state *st, struct http2_dir *d, struct http2_tx *tx, int side,
                         const uint8_t *in, uint32_t len, bool final)
{
    for (;;) {
        nghttp2_nv nv;
        int flags = 0;
        ssize_t used = nghttp2_hd_inflate_hd2(d->inflater, &nv, &flags, in, len, final ? 1 : 0);
        if (used < 0 || (size_t)used > len) {
            http2_event(st, tx, H2_EV_FAILED_DECOMPRESSION);
            return -1;
        }
        in += used;
        len -= (uint32_t)used;
        if (flags & NGHTTP2_HD_INFLATE_EMIT)
            keep_header(st, tx, side, &nv);
        if (flags & NGHTTP2_HD_INFLATE_FINAL) {
            nghttp2_hd_inflate_end_headers(d->inflater);
            return 0;
        }
        if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && len == 0)
            return 0;
    }
}

/* Strips the pad length byte and padding of a PADDED frame's payload. */
static int unpad(struct http2_state *st, struct http2_dir *d, const uint8_t **p, uint32_t *n)
{
    if (!(d->flags & H2_PADDED))
        return 0;
    if (*n < 1 || (*p)[0] > *n - 1) {
        http2_event(st, NULL, H2_EV_INVALID_FRAME_LENGTH);
        return -1;
    }
    uint32_t pad = (*p)[0];
    *p += 1;
    *n -= 1 + pad;
    return 0;
}

static int block_start(struct http2_state *st, struct http2_dir *d, uint32_t tx_stream, int side,
                       bool end_stream, const uint8_t *p, uint32_t n)
{
    struct http2_tx *tx = tx_stream ? http2_stream_tx(st, tx_stream, true) : NULL;
    bool final = d->flags & H2_END_HEADERS;
    if (!final) {
        d->cont_stream = d->stream;
        d->cont_tx_stream = tx_stream;
        d->cont_side = side;
        d->cont_end_stream = end_stream;
    }
    if (inflate_block(st, d, tx, side, p, n, final) < 0)
        return -1;
    if (final && tx) {
        http2_headers_done(st, tx, side);
        if (end_stream)
            http2_side_done(tx, side);
    }
    return 0;
}

static int on_headers(struct http2_state *st, struct http2_dir *d, int side, const uint8_t *p,
                      uint32_t n)
{
    if (unpad(st, d, &p, &n) < 0)
        return -1;          /* the block's bounds are unknown: HPACK would lose step */
    if (d->flags & H2_PRIORITY_FLAG) {
        if (n < 5) {
            http2_event(st, NULL, H2_EV_INVALID_FRAME_LENGTH);
            return -1;
        }
        p += 5;
        n -= 5;
    }
    if (d->stream == 0)
        http2_event(st, NULL, H2_EV_INVALID_FRAME_HEADER);
    return block_start(st, d, d->stream, side, d->flags & H2_END_STREAM, p, n);
}

static int on_push_promise(struct http2_state *st, struct http2_dir *d, const uint8_t *p, uint32_t n)
{
    if (unpad(st, d, &p, &n) < 0)
        return -1;
    if (n < 4) {
        http2_event(st, NULL, H2_EV_INVALID_FRAME_LENGTH);
        return -1;
    }
    uint32_t promised = be32(p) & 0x7fffffffu;
    struct http2_tx *tx = promised ? http2_stream_tx(st, promised, true) : NULL;
    if (tx)
        tx->pushed = true;
    /* the promised request: headers only, never a body */
    return block_start(st, d, promised, 0, true, p + 4, n - 4);
}

static int on_continuation(struct http2_state *st, struct http2_dir *d, const uint8_t *p, uint32_t n)
{
    struct http2_tx *tx = d->cont_tx_stream ? http2_stream_tx(st, d->cont_tx_stream, false) : NULL;
    bool final = d->flags & H2_END_HEADERS;
    if (inflate_block(st, d, tx, d->cont_side, p, n, final) < 0)
        return -1;
    if (!final)
        return 0;
    d->cont_stream = 0;
    if (tx) {
        http2_headers_done(st, tx, d->cont_side);
        if (d->cont_end_stream)
            http2_side_done(tx, d->cont_side);
    }
    return 0;
}

/* SETTINGS sent in direction dir bound what the other direction carries. */
static void on_settings(struct http2_state *st, struct http2_dir *d, struct http2_dir *other,
                        const uint8_t *p, uint32_t n)
{
    if (d->stream != 0 || ((d->flags & H2_ACK) && n != 0) || n % 6 != 0) {
        http2_event(st, NULL, H2_EV_INVALID_FRAME_LENGTH);
        return;
    }
    for (uint32_t i = 0; i + 6 <= n; i += 6) {
        uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);
        uint32_t v = be32(p + i + 2);
        if (id == 1) {          /* SETTINGS_HEADER_TABLE_SIZE */
            uint32_t size = v < st->set->max_table_size ? v : st->set->max_table_size;
            if (other->inflater && nghttp2_hd_inflate_change_table_size(other->inflater, size) != 0)
                http2_event(st, NULL, H2_EV_INVALID_FRAME_DATA);
        } else if (id == 5) {   /* SETTINGS_MAX_FRAME_SIZE */
            if (v < HTTP2_DEFAULT_MAX_FRAME || v > HTTP2_LARGEST_MAX_FRAME)
                http2_event(st, NULL, H2_EV_INVALID_FRAME_DATA);
            else
                other->max_frame = v;
        }
    }
}

static void on_rst_stream(struct http2_state *st, struct http2_dir *d, const uint8_t *p, uint32_t n)
{
    if (n != 4 || d->stream == 0) {
        http2_event(st, NULL, H2_EV_INVALID_FRAME_LENGTH);
        return;
    }
    struct http2_tx *tx = http2_stream_tx(st, d->stream, false);
    if (!tx)
        return;
    tx->rst = true;
    tx->rst_code = be32(p);
    http2_side_done(tx, 0);
    http2_side_done(tx, 1);
}

/* The fixed lengths of the small control frames (RFC 9113 section 6). */
static bool control_length_ok(uint8_t type, uint32_t n)
{
    switch (type) {
    case H2_PRIORITY: return n == 5;
    case H2_PING: return n == 8;
    case H2_WINDOW_UPDATE: return n == 4;
    case H2_GOAWAY: return n >= 8;
    default: return true;
    }
}

static int frame_done(struct http2_state *st, enum flow_direction dir)
{
    struct http2_dir *d = &st->dir[dir], *other = &st->dir[!dir];
    static const uint8_t empty[1];
    const uint8_t *p = d->payload.p ? d->payload.p : empty;   /* never NULL + 0 */
    uint32_t n = d->payload.len;
    int side = dir == FLOW_TOSERVER ? 0 : 1;
    d->rs = H2_READ_HEADER;
    if (!control_length_ok(d->type, n))
        http2_event(st, NULL, H2_EV_INVALID_FRAME_LENGTH);
    switch (d->type) {
    case H2_HEADERS:
        return on_headers(st, d, side, p, n);
    case H2_CONTINUATION:
        return on_continuation(st, d, p, n);
    case H2_PUSH_PROMISE:
        if (dir == FLOW_TOSERVER)
            http2_event(st, NULL, H2_EV_INVALID_FRAME_HEADER);
        return on_push_promise(st, d, p, n);
    case H2_SETTINGS:
        on_settings(st, d, other, p, n);
        return 0;
    case H2_RST_STREAM:
        on_rst_stream(st, d, p, n);
        return 0;
    case H2_GOAWAY:
        st->goaway[dir] = true;
        return 0;
    default:
        return 0;       /* PING, PRIORITY, WINDOW_UPDATE, unknown types: nothing to keep */
    }
}

static void data_bytes(struct http2_state *st, struct http2_dir *d, int side, const uint8_t *p,
                       uint32_t n)
{
    struct http2_tx *tx = http2_stream_tx(st, d->stream, false);
    if (!tx || n == 0)
        return;
    tx->body_seen[side] += n;
    uint64_t room = st->set->memcap > st->kept ? st->set->memcap - st->kept : 0;
    uint32_t before = tx->body[side].len, take = n < room ? n : (uint32_t)room;
    if (before < st->set->body_limit && take > 0)
        http2_bytes_add(&tx->body[side], p, take, st->set->body_limit);
    tx->kept += tx->body[side].len - before;
    st->kept += tx->body[side].len - before;
    tx->base.changed |= (uint8_t)(1u << side);
    http2_tx_clear_cache(tx);
}

static void data_end(struct http2_state *st, struct http2_dir *d, int side)
{
    struct http2_tx *tx = http2_stream_tx(st, d->stream, false);
    if (tx && (d->flags & H2_END_STREAM))
        http2_side_done(tx, side);
    d->rs = d->pad ? H2_READ_SKIP : H2_READ_HEADER;
    d->left = d->pad;
}

/* A complete frame header: checks, then how the payload is read. */
static int frame_begin(struct http2_state *st, struct http2_dir *d, int side)
{
    const uint8_t *h = d->head;
    d->len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
    d->type = h[3];
    d->flags = h[4];
    d->stream = be32(h + 5) & 0x7fffffffu;
    d->left = d->len;
    d->pad = 0;
    d->payload.len = 0;
    if (d->cont_stream && (d->type != H2_CONTINUATION || d->stream != d->cont_stream)) {
        http2_event(st, NULL, H2_EV_INVALID_FRAME_HEADER);
        return -1;      /* a header block cut short: the HPACK state is lost */
    }
    if (!d->cont_stream && d->type == H2_CONTINUATION) {
        http2_event(st, NULL, H2_EV_INVALID_FRAME_HEADER);
        d->rs = H2_READ_SKIP;
        return 0;
    }
    if (d->len > d->max_frame)
        http2_event(st, NULL, d->type == H2_DATA ? H2_EV_LONG_FRAME_DATA : H2_EV_INVALID_FRAME_LENGTH);
    if (d->type == H2_DATA) {
        if (d->stream == 0)
            http2_event(st, NULL, H2_EV_INVALID_FRAME_HEADER);
        if (d->len == 0) {
            data_end(st, d, side);
            return 0;
        }
        d->rs = (d->flags & H2_PADDED) ? H2_READ_DATA_PAD : H2_READ_DATA;
        return 0;
    }
    bool block = d->type == H2_HEADERS || d->type == H2_CONTINUATION || d->type == H2_PUSH_PROMISE;
    if (d->len > st->set->max_reassembly) {
        http2_event(st, NULL, H2_EV_REASSEMBLY_LIMIT_REACHED);
        if (block)
            return -1;  /* cannot skip a header block without losing HPACK's step */
        d->rs = H2_READ_SKIP;
        return 0;
    }
    d->rs = H2_READ_PAYLOAD;
    return 0;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* One step of the reader over the front of data; returns the bytes used, or -1. */
static int64_t step(struct http2_state *st, enum flow_direction dir, const uint8_t *data, uint32_t len)
{
    struct http2_dir *d = &st->dir[dir];
    int side = dir == FLOW_TOSERVER ? 0 : 1;
    uint32_t take;
    switch (d->rs) {
    case H2_READ_PREFACE:
        take = min_u32(len, HTTP2_PREFACE_LEN - d->preface_have);
        if (memcmp(data, &HTTP2_PREFACE[d->preface_have], take) != 0) {
            http2_event(st, NULL, H2_EV_INVALID_CLIENT_MAGIC);
            kill_dir(d);
            return len;
        }
        d->preface_have += take;
        if (d->preface_have == HTTP2_PREFACE_LEN)
            d->rs = H2_READ_HEADER;
        return take;
    case H2_READ_HEADER:
        take = min_u32(len, HTTP2_FRAME_HEADER - d->head_have);
        memcpy(d->head + d->head_have, data, take);
        d->head_have += take;
        if (d->head_have == HTTP2_FRAME_HEADER) {
            d->head_have = 0;
            if (frame_begin(st, d, side) < 0)
                return -1;
            if (d->rs == H2_READ_PAYLOAD && d->left == 0 && frame_done(st, dir) < 0)
                return -1;
        }
        return take;
    case H2_READ_PAYLOAD:
        take = min_u32(len, d->left);
        if (http2_bytes_add(&d->payload, data, take, st->set->max_reassembly) < 0)
            return -1;
        d->left -= take;
        if (d->left == 0 && frame_done(st, dir) < 0)
            return -1;
        return take;
    case H2_READ_DATA_PAD:
        d->pad = data[0];
        d->left--;
        if (d->pad > d->left) {
            http2_event(st, NULL, H2_EV_INVALID_FRAME_LENGTH);
            d->pad = d->left;
        }
        d->left -= d->pad;
        d->rs = H2_READ_DATA;
        if (d->left == 0)
            data_end(st, d, side);
        return 1;
    case H2_READ_DATA:
        take = min_u32(len, d->left);
        data_bytes(st, d, side, data, take);
        d->left -= take;
        if (d->left == 0)
            data_end(st, d, side);
        return take;
    case H2_READ_SKIP:
        if (d->left == 0) {         /* an empty frame skipped: nothing to consume */
            d->rs = H2_READ_HEADER;
            return 0;
        }
        take = min_u32(len, d->left);
        d->left -= take;
        if (d->left == 0)
            d->rs = H2_READ_HEADER;
        return take;
    case H2_READ_DEAD:
    default:
        return len;
    }
}

int http2_read(struct http2_state *st, enum flow_direction dir, const uint8_t *data, uint32_t len)
{
    struct http2_dir *d = &st->dir[dir];
    while (len > 0 && d->rs != H2_READ_DEAD) {
        int64_t used = step(st, dir, data, len);
        if (used < 0) {
            kill_dir(d);
            return -1;
        }
        data += used;
        len -= (uint32_t)used;
    }
    return 0;
}
