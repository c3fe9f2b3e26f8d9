/* Internal to sensor/applayer/http2: the HTTP/2 parser's settings, per-flow
 * state (a frame reader and an HPACK inflater per direction) and its
 * transactions (one per stream), shared by the frame reader (http2_frame.c),
 * the registry row (http2.c) and the EVE writer (http2_eve.c). */
#ifndef XIEZHI_APPLAYER_HTTP2_INT_H
#define XIEZHI_APPLAYER_HTTP2_INT_H

#include <nghttp2/nghttp2.h>
#include <stdbool.h>
#include <stdint.h>

#include "applayer/applayer.h"
#include "applayer/dns/dns.h"

/* RFC 9113 section 3.4: what a client sends first on a prior-knowledge connection. */
#define HTTP2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define HTTP2_PREFACE_LEN 24
#define HTTP2_FRAME_HEADER 9
#define HTTP2_DEFAULT_MAX_FRAME 16384u
#define HTTP2_LARGEST_MAX_FRAME 16777215u

enum http2_frame_type {
    H2_DATA = 0, H2_HEADERS = 1, H2_PRIORITY = 2, H2_RST_STREAM = 3, H2_SETTINGS = 4,
    H2_PUSH_PROMISE = 5, H2_PING = 6, H2_GOAWAY = 7, H2_WINDOW_UPDATE = 8, H2_CONTINUATION = 9,
};

enum http2_flag {
    H2_END_STREAM = 0x1, H2_ACK = 0x1, H2_END_HEADERS = 0x4, H2_PADDED = 0x8, H2_PRIORITY_FLAG = 0x20,
};

/* Progress of each side of a stream (applayer_tx.progress). */
enum http2_progress { H2_PROGRESS_NONE, H2_PROGRESS_HEADERS, H2_PROGRESS_DONE };

/* An event name's bit (index in http2_event_names), Suricata's names. */
enum http2_event {
    H2_EV_INVALID_FRAME_HEADER, H2_EV_INVALID_CLIENT_MAGIC, H2_EV_INVALID_FRAME_DATA,
    H2_EV_INVALID_HEADER, H2_EV_INVALID_FRAME_LENGTH, H2_EV_EXTRA_HEADER_DATA,
    H2_EV_LONG_FRAME_DATA, H2_EV_STREAM_ID_REUSE, H2_EV_FAILED_DECOMPRESSION,
    H2_EV_TOO_MANY_STREAMS, H2_EV_REASSEMBLY_LIMIT_REACHED, H2_EV_HEADER_LIST_TOO_LARGE,
    H2_EV_COUNT
};
extern const char *const http2_event_names[];

/* Everything read from app-layer.protocols.http2. */
struct http2_settings {
    uint32_t max_streams;           /* live streams (transactions) per flow */
    uint32_t max_table_size;        /* largest HPACK dynamic table accepted from SETTINGS */
    uint32_t max_reassembly;        /* bytes of one non-DATA frame / decoded headers per side */
    uint32_t body_limit;            /* body bytes kept per side for inspection */
    uint64_t memcap;                /* header and body bytes kept per flow, all streams */
};

struct http2_header {
    uint8_t *name, *value;          /* NUL-terminated copies */
    uint32_t name_len, value_len;
};

struct http2_bytes {
    uint8_t *p;
    uint32_t len, cap;
};

/* Side 0 = request (client to server), 1 = response. */
struct http2_tx {
    struct applayer_tx base;        /* first member: the framework's view */
    uint32_t stream_id;
    struct http2_header *hdr[2];
    uint32_t nhdr[2], hdr_cap[2];
    uint32_t hdr_bytes[2];          /* decoded bytes kept, bounded by max_reassembly */
    struct http2_bytes body[2];     /* first body_limit bytes of DATA per side */
    uint64_t body_seen[2];
    uint32_t rst_code;              /* RST_STREAM error code (when rst) */
    bool rst;
    bool doh;                       /* DNS over HTTPS (RFC 8484) */
    struct dns_tx dns;              /* doh: the DNS query and response, parsed when there */
    struct http2_bytes dns_names;   /* doh: dns.queries.rrname / dns.answer.name, built per call */
    bool pushed;                    /* opened by PUSH_PROMISE */
    uint64_t kept;                  /* header and body bytes held, counted in the flow's memcap */
    /* derived buffers built on first use (http.header, http.header_names, http.start) */
    struct http2_bytes cache[3][2];
    bool cached[3][2];
};

/* Where one direction's frame reader is. */
enum http2_read_state {
    H2_READ_PREFACE,                /* matching the client preface (to server, first bytes) */
    H2_READ_HEADER,                 /* gathering the 9-byte frame header */
    H2_READ_PAYLOAD,                /* gathering a non-DATA frame's payload */
    H2_READ_DATA_PAD,               /* DATA: waiting for the pad length byte */
    H2_READ_DATA,                   /* DATA: streaming the data bytes */
    H2_READ_SKIP,                   /* skipping padding or a frame we do not keep */
    H2_READ_DEAD,                   /* lost: the direction is not parsed any more */
};

struct http2_dir {
    enum http2_read_state rs;
    uint32_t preface_have;
    uint8_t head[HTTP2_FRAME_HEADER];
    uint32_t head_have;
    /* the frame being read */
    uint32_t len, left, pad;
    uint8_t type, flags;
    uint32_t stream;
    struct http2_bytes payload;
    /* a header block that continues in CONTINUATION frames */
    uint32_t cont_stream;           /* 0: none expected */
    uint32_t cont_tx_stream;        /* stream whose headers the block fills (PUSH_PROMISE: promised) */
    int cont_side;
    bool cont_end_stream;
    uint32_t max_frame;             /* largest frame this direction may carry (peer's SETTINGS) */
    nghttp2_hd_inflater *inflater;
};

struct http2_state {
    const struct http2_settings *set;
    struct http2_dir dir[2];
    struct http2_tx **tx;           /* live transactions, oldest first */
    size_t ntx, cap;
    uint64_t next_id;
    uint32_t highest_stream[2];     /* highest stream id opened, even (server) / odd (client) */
    uint64_t flow_events;           /* anomalies outside any stream, put on the next tx */
    uint64_t kept;                  /* sum of the live transactions' kept bytes */
    bool doh;                       /* a stream was DNS over HTTPS: the flow is "doh2" */
    bool goaway[2];
};

/* http2_frame.c: feeds one direction's bytes; -1 when the flow cannot be
 * followed any more (HPACK state lost, memory). */
int http2_read(struct http2_state *st, enum flow_direction dir, const uint8_t *data, uint32_t len);
/* http2.c: the stream's transaction, created when create and room allows. */
struct http2_tx *http2_stream_tx(struct http2_state *st, uint32_t stream, bool create);
void http2_event(struct http2_state *st, struct http2_tx *tx, enum http2_event ev);
void http2_side_done(struct http2_tx *tx, int side);
/* doh: the DNS message of side (the ?dns= parameter of a GET, else the body). */
void http2_doh_parse(struct http2_tx *tx, int side);
void http2_headers_done(struct http2_state *st, struct http2_tx *tx, int side);
int http2_bytes_add(struct http2_bytes *b, const uint8_t *p, uint32_t len, uint32_t limit);
void http2_tx_clear_cache(struct http2_tx *tx);
/* The value of header name (lower case, HTTP/2 names are) on side, or NULL. */
const struct http2_header *http2_header(const struct http2_tx *tx, int side, const char *name);
bool http2_get_buffer(void *state, const struct applayer_tx *tx, enum detect_buffer buffer,
                      enum flow_direction dir, const uint8_t **data, uint32_t *len);
/* http2_eve.c */
void http2_eve_write(const void *settings, void *state, const struct applayer_tx *tx,
                     struct json_writer *j);
/* "dns": {...} beside "http" for a DoH stream (the response, else the query). */
void http2_eve_dns(const void *settings, void *state, const struct applayer_tx *tx,
                   struct json_writer *j);

#endif
