/* Internal to sensor/applayer/http: the HTTP parser's settings, per-flow
 * state and transaction, shared by the LibHTP glue (http.c), the sticky
 * buffers (http_buffers.c) and the EVE writer (http_eve.c). */
#ifndef XIEZHI_APPLAYER_HTTP_INT_H
#define XIEZHI_APPLAYER_HTTP_INT_H

#include <htp/htp.h>
#include <stdbool.h>
#include <stdint.h>

#include "applayer/applayer.h"

/* Progress of each direction of a transaction (applayer_tx.progress). */
enum http_progress {
    HTTP_PROGRESS_NONE,
    HTTP_PROGRESS_LINE,         /* request line / status line parsed */
    HTTP_PROGRESS_HEADERS,      /* headers complete */
    HTTP_PROGRESS_BODY,         /* body bytes are arriving */
    HTTP_PROGRESS_DONE,         /* message complete */
};

enum http_dump_headers { HTTP_DUMP_NONE, HTTP_DUMP_REQUEST, HTTP_DUMP_RESPONSE, HTTP_DUMP_BOTH };

#define HTTP_CUSTOM_MAX 32

/* Everything read from app-layer.protocols.http and outputs.eve.http. */
struct http_settings {
    htp_cfg_t *htp;                     /* LibHTP's configuration, callbacks registered */
    uint32_t body_limit[2];             /* bytes of a body kept for inspection, per direction */
    uint32_t body_inspect_min[2];       /* inspect a body once this much arrived (or it ended) */
    uint32_t body_inspect_window[2];
    uint32_t max_tx;                    /* live transactions per flow before the parser stops */
    uint32_t raw_header_limit;          /* bytes of raw header block kept */
    bool double_decode_path, double_decode_query;
    bool uri_include_all;
    /* EVE */
    bool extended;
    enum http_dump_headers dump;
    char *custom[HTTP_CUSTOM_MAX];      /* extra header names to log (lower case) */
    size_t ncustom;
};

/* Buffers assembled from several LibHTP fields (cached per transaction). */
enum http_derived { HTTP_DERIVED_URI, HTTP_DERIVED_HEADER, HTTP_DERIVED_HEADER_NAMES,
                    HTTP_DERIVED_START, HTTP_DERIVED_COUNT };

struct http_bytes {
    uint8_t *p;
    uint32_t len, cap;
};

struct http_state;

struct http_tx {
    struct applayer_tx base;            /* first member: the framework's view */
    struct http_state *state;
    htp_tx_t *htp;                      /* NULL once LibHTP has dropped it */
    struct http_bytes body[2];          /* request / response body (dechunked, decompressed) */
    uint64_t body_seen[2];              /* body bytes LibHTP gave, kept or not */
    struct http_bytes raw_headers[2];   /* header block as sent */
    struct http_bytes cache[HTTP_DERIVED_COUNT][2];  /* built on first use, per side */
    bool cached[HTTP_DERIVED_COUNT][2];
};

struct http_state {
    const struct http_settings *set;
    htp_connp_t *connp;
    struct http_tx **tx;                /* live transactions, oldest first */
    size_t ntx, cap;
    uint64_t next_id;
    uint64_t fed[2];                    /* bytes given to LibHTP per direction */
    uint64_t tunnel_at[2];              /* CONNECT: where the tunnel starts per direction */
    bool tunnel;
    bool closed[2];
    bool too_many_tx;
    struct {                            /* for stats (http_counts) */
        uint64_t txs, txs_with_events, events, stream_errors, gaps, alloc;
    } counts;
};

/* An event name's bit (index in http_event_names), for applayer_tx.events. */
enum http_event {
    HTTP_EV_UNKNOWN_ERROR,
    HTTP_EV_GZIP_DECOMPRESSION_FAILED,
    HTTP_EV_REQUEST_FIELD_MISSING_COLON,
    HTTP_EV_RESPONSE_FIELD_MISSING_COLON,
    HTTP_EV_INVALID_REQUEST_CHUNK_LEN,
    HTTP_EV_INVALID_RESPONSE_CHUNK_LEN,
    HTTP_EV_INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST,
    HTTP_EV_INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE,
    HTTP_EV_INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST,
    HTTP_EV_INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE,
    HTTP_EV_100_CONTINUE_ALREADY_SEEN,
    HTTP_EV_UNABLE_TO_MATCH_RESPONSE_TO_REQUEST,
    HTTP_EV_INVALID_SERVER_PORT_IN_REQUEST,
    HTTP_EV_INVALID_AUTHORITY_PORT,
    HTTP_EV_REQUEST_HEADER_INVALID,
    HTTP_EV_RESPONSE_HEADER_INVALID,
    HTTP_EV_MISSING_HOST_HEADER,
    HTTP_EV_HOST_HEADER_AMBIGUOUS,
    HTTP_EV_INVALID_REQUEST_FIELD_FOLDING,
    HTTP_EV_INVALID_RESPONSE_FIELD_FOLDING,
    HTTP_EV_REQUEST_FIELD_TOO_LONG,
    HTTP_EV_RESPONSE_FIELD_TOO_LONG,
    HTTP_EV_REQUEST_SERVER_PORT_TCP_PORT_MISMATCH,
    HTTP_EV_REQUEST_URI_HOST_INVALID,
    HTTP_EV_REQUEST_HEADER_HOST_INVALID,
    HTTP_EV_METHOD_DELIM_NON_COMPLIANT,
    HTTP_EV_URI_DELIM_NON_COMPLIANT,
    HTTP_EV_REQUEST_LINE_LEADING_WHITESPACE,
    HTTP_EV_TOO_MANY_ENCODING_LAYERS,
    HTTP_EV_ABNORMAL_CE_HEADER,
    HTTP_EV_MULTIPART_GENERIC_ERROR,
    HTTP_EV_MULTIPART_NO_FILEDATA,
    HTTP_EV_MULTIPART_INVALID_HEADER,
    HTTP_EV_REQUEST_LINE_INVALID,
    HTTP_EV_REQUEST_AUTH_UNRECOGNIZED,
    HTTP_EV_REQUEST_HEADER_REPETITION,
    HTTP_EV_RESPONSE_HEADER_REPETITION,
    HTTP_EV_RESPONSE_INVALID_STATUS,
    HTTP_EV_REQUEST_TOO_MANY_HEADERS,
    HTTP_EV_RESPONSE_TOO_MANY_HEADERS,
    HTTP_EV_COMPRESSION_BOMB,
    HTTP_EV_TOO_MANY_TRANSACTIONS,
    HTTP_EV_COUNT
};

extern const char *const http_event_names[HTTP_EV_COUNT + 1];

/* http_buffers.c */
bool http_get_buffer(void *state, const struct applayer_tx *tx, enum detect_buffer buffer,
                     enum flow_direction dir, const uint8_t **data, uint32_t *len);
void http_tx_clear_cache(struct http_tx *tx);
/* A header's value by name (case-insensitive), from direction dir; NULL if absent. */
const bstr *http_header_value(const htp_tx_t *htp, enum flow_direction dir, const char *name);
/* The normalised URI as Suricata builds it (path?query#fragment); false if none. */
bool http_tx_uri(struct http_tx *tx, const uint8_t **data, uint32_t *len);

/* http_eve.c */
void http_eve_write(const void *settings, void *state, const struct applayer_tx *tx,
                    struct json_writer *j);

/* http.c: appends to a bounded byte buffer; the excess is dropped. */
void http_bytes_append(struct http_bytes *b, const uint8_t *data, size_t len, uint32_t limit);

#endif
