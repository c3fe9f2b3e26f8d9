/* HTTP/1.x through LibHTP.  LibHTP (OISF's parser, the one Suricata uses)
 * does the protocol: request and status lines, headers (folding, repeats,
 * evasions), pipelining and keep-alive, chunked and length-delimited bodies,
 * gzip/deflate/lzma decompression with bomb and time limits, URI
 * normalisation for the configured server personality, CONNECT, and the
 * anomalies it logs.  This glue feeds it the in-order bytes of both
 * directions, keeps one transaction per request/response pair with its
 * progress, the first bytes of each body (up to the configured limits), the
 * raw header blocks and the anomaly bits, tells the framework where a
 * CONNECT tunnel starts, and reads every LibHTP limit from the config. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applayer/http/http_int.h"

#define HTTP_RAW_HEADER_LIMIT_DEFAULT (16 * 1024)

const char *const http_event_names[HTTP_EV_COUNT + 1] = {
    [HTTP_EV_UNKNOWN_ERROR] = "unknown_error",
    [HTTP_EV_GZIP_DECOMPRESSION_FAILED] = "gzip_decompression_failed",
    [HTTP_EV_REQUEST_FIELD_MISSING_COLON] = "request_field_missing_colon",
    [HTTP_EV_RESPONSE_FIELD_MISSING_COLON] = "response_field_missing_colon",
    [HTTP_EV_INVALID_REQUEST_CHUNK_LEN] = "invalid_request_chunk_len",
    [HTTP_EV_INVALID_RESPONSE_CHUNK_LEN] = "invalid_response_chunk_len",
    [HTTP_EV_INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST] = "invalid_transfer_encoding_value_in_request",
    [HTTP_EV_INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE] = "invalid_transfer_encoding_value_in_response",
    [HTTP_EV_INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST] = "invalid_content_length_field_in_request",
    [HTTP_EV_INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE] = "invalid_content_length_field_in_response",
    [HTTP_EV_100_CONTINUE_ALREADY_SEEN] = "100_continue_already_seen",
    [HTTP_EV_UNABLE_TO_MATCH_RESPONSE_TO_REQUEST] = "unable_to_match_response_to_request",
    [HTTP_EV_INVALID_SERVER_PORT_IN_REQUEST] = "invalid_server_port_in_request",
    [HTTP_EV_INVALID_AUTHORITY_PORT] = "invalid_authority_port",
    [HTTP_EV_REQUEST_HEADER_INVALID] = "request_header_invalid",
    [HTTP_EV_RESPONSE_HEADER_INVALID] = "response_header_invalid",
    [HTTP_EV_MISSING_HOST_HEADER] = "missing_host_header",
    [HTTP_EV_HOST_HEADER_AMBIGUOUS] = "host_header_ambiguous",
    [HTTP_EV_INVALID_REQUEST_FIELD_FOLDING] = "invalid_request_field_folding",
    [HTTP_EV_INVALID_RESPONSE_FIELD_FOLDING] = "invalid_response_field_folding",
    [HTTP_EV_REQUEST_FIELD_TOO_LONG] = "request_field_too_long",
    [HTTP_EV_RESPONSE_FIELD_TOO_LONG] = "response_field_too_long",
    [HTTP_EV_REQUEST_SERVER_PORT_TCP_PORT_MISMATCH] = "request_server_port_tcp_port_mismatch",
    [HTTP_EV_REQUEST_URI_HOST_INVALID] = "request_uri_host_invalid",
    [HTTP_EV_REQUEST_HEADER_HOST_INVALID] = "request_header_host_invalid",
    [HTTP_EV_METHOD_DELIM_NON_COMPLIANT] = "method_delim_non_compliant",
    [HTTP_EV_URI_DELIM_NON_COMPLIANT] = "uri_delim_non_compliant",
    [HTTP_EV_REQUEST_LINE_LEADING_WHITESPACE] = "request_line_leading_whitespace",
    [HTTP_EV_TOO_MANY_ENCODING_LAYERS] = "too_many_encoding_layers",
    [HTTP_EV_ABNORMAL_CE_HEADER] = "abnormal_ce_header",
    [HTTP_EV_MULTIPART_GENERIC_ERROR] = "multipart_generic_error",
    [HTTP_EV_MULTIPART_NO_FILEDATA] = "multipart_no_filedata",
    [HTTP_EV_MULTIPART_INVALID_HEADER] = "multipart_invalid_header",
    [HTTP_EV_REQUEST_LINE_INVALID] = "request_line_invalid",
    [HTTP_EV_REQUEST_AUTH_UNRECOGNIZED] = "request_auth_unrecognized",
    [HTTP_EV_REQUEST_HEADER_REPETITION] = "request_header_repetition",
    [HTTP_EV_RESPONSE_HEADER_REPETITION] = "response_header_repetition",
    [HTTP_EV_RESPONSE_INVALID_STATUS] = "response_invalid_status",
    [HTTP_EV_REQUEST_TOO_MANY_HEADERS] = "request_too_many_headers",
    [HTTP_EV_RESPONSE_TOO_MANY_HEADERS] = "response_too_many_headers",
    [HTTP_EV_COMPRESSION_BOMB] = "compression_bomb",
    [HTTP_EV_TOO_MANY_TRANSACTIONS] = "too_many_transactions",
    [HTTP_EV_COUNT] = NULL,
};

void http_bytes_append(struct http_bytes *b, const uint8_t *data, size_t len, uint32_t limit)
{
    if (b->len >= limit || len == 0)
        return;
    if (len > limit - b->len)
        len = limit - b->len;
    if (b->len + len > b->cap) {
        uint32_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap = cap > limit / 2 ? limit : cap * 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p)
            return;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, len);
    b->len += (uint32_t)len;
}

/* --- transactions ---------------------------------------------------------------- */

static struct http_tx *tx_of(const htp_tx_t *htp)
{
    return htp ? htp_tx_get_user_data(htp) : NULL;
}

static struct http_state *state_of(const htp_tx_t *htp)
{
    return htp_connp_get_user_data(htp->connp);
}

static void set_progress(struct http_tx *tx, enum flow_direction dir, enum http_progress p)
{
    if (!tx || tx->base.progress[dir] >= p)
        return;
    tx->base.progress[dir] = (uint8_t)p;
    tx->base.changed |= (uint8_t)(1u << dir);
}

static void tx_free_one(struct http_tx *tx)
{
    if (tx->htp) {
        htp_tx_set_user_data(tx->htp, NULL);
        htp_tx_destroy(tx->htp);     /* refused (kept for connp) while incomplete */
    }
    for (int d = 0; d < 2; d++) {
        free(tx->body[d].p);
        free(tx->raw_headers[d].p);
    }
    http_tx_clear_cache(tx);
    free(tx);
}

static int on_request_start(htp_tx_t *htp)
{
    struct http_state *st = state_of(htp);
    if (!st || st->too_many_tx)
        return HTP_OK;
    if (st->ntx >= st->set->max_tx) {
        st->too_many_tx = true;
        if (st->ntx)
            st->tx[st->ntx - 1]->base.events |= 1ull << HTTP_EV_TOO_MANY_TRANSACTIONS;
        return HTP_OK;
    }
    if (st->ntx == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 4;
        struct http_tx **nv = realloc(st->tx, cap * sizeof *nv);
        if (!nv) {
            st->counts.alloc++;
            return HTP_OK;
        }
        st->tx = nv;
        st->cap = cap;
    }
    struct http_tx *tx = calloc(1, sizeof *tx);
    if (!tx) {
        st->counts.alloc++;
        return HTP_OK;
    }
    tx->state = st;
    tx->htp = htp;
    tx->base.id = st->next_id++;
    htp_tx_set_user_data(htp, tx);
    st->tx[st->ntx++] = tx;
    return HTP_OK;
}

/* LibHTP's per-transaction flags -> Suricata's event names. */
static void flags_to_events(struct http_tx *tx, enum flow_direction dir)
{
    static const struct {
        uint64_t flag;
        uint8_t request, response;
    } map[] = {
        { HTP_FIELD_UNPARSEABLE, HTTP_EV_REQUEST_FIELD_MISSING_COLON, HTTP_EV_RESPONSE_FIELD_MISSING_COLON },
        { HTP_FIELD_INVALID, HTTP_EV_REQUEST_HEADER_INVALID, HTTP_EV_RESPONSE_HEADER_INVALID },
        { HTP_INVALID_FOLDING, HTTP_EV_INVALID_REQUEST_FIELD_FOLDING, HTTP_EV_INVALID_RESPONSE_FIELD_FOLDING },
        { HTP_FIELD_LONG, HTTP_EV_REQUEST_FIELD_TOO_LONG, HTTP_EV_RESPONSE_FIELD_TOO_LONG },
        { HTP_REQUEST_INVALID_T_E, HTTP_EV_INVALID_TRANSFER_ENCODING_VALUE_IN_REQUEST, HTTP_EV_COUNT },
        { HTP_REQUEST_INVALID_C_L, HTTP_EV_INVALID_CONTENT_LENGTH_FIELD_IN_REQUEST, HTTP_EV_COUNT },
        { HTP_HOST_MISSING, HTTP_EV_MISSING_HOST_HEADER, HTTP_EV_COUNT },
        { HTP_HOST_AMBIGUOUS, HTTP_EV_HOST_HEADER_AMBIGUOUS, HTTP_EV_COUNT },
        { HTP_HOSTU_INVALID, HTTP_EV_REQUEST_URI_HOST_INVALID, HTTP_EV_COUNT },
        { HTP_HOSTH_INVALID, HTTP_EV_REQUEST_HEADER_HOST_INVALID, HTTP_EV_COUNT },
        { HTP_AUTH_INVALID, HTTP_EV_REQUEST_AUTH_UNRECOGNIZED, HTTP_EV_COUNT },
        { HTP_REQUEST_INVALID, HTTP_EV_REQUEST_LINE_INVALID, HTTP_EV_COUNT },
        { HTP_STATUS_LINE_INVALID, HTTP_EV_COUNT, HTTP_EV_RESPONSE_INVALID_STATUS },
        { HTP_HEADERS_TOO_MANY, HTTP_EV_REQUEST_TOO_MANY_HEADERS, HTTP_EV_RESPONSE_TOO_MANY_HEADERS },
        { HTP_FIELD_REPEATED, HTTP_EV_REQUEST_HEADER_REPETITION, HTTP_EV_RESPONSE_HEADER_REPETITION },
    };
    if (!tx || !tx->htp)
        return;
    uint64_t flags = tx->htp->flags;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        uint8_t ev = dir == FLOW_TOSERVER ? map[i].request : map[i].response;
        if ((flags & map[i].flag) && ev < HTTP_EV_COUNT)
            tx->base.events |= 1ull << ev;
    }
}

/* LibHTP calls one function per event and direction; these do the work for
 * either direction, the on_* callbacks below only name theirs. */
static void header_data(htp_tx_data_t *d, enum flow_direction dir)
{
    struct http_tx *tx = tx_of(d->tx);
    if (tx && d->data)
        http_bytes_append(&tx->raw_headers[dir], d->data, d->len,
                          tx->state->set->raw_header_limit);
}

static void headers_done(struct http_tx *tx, enum flow_direction dir)
{
    flags_to_events(tx, dir);
    set_progress(tx, dir, HTTP_PROGRESS_HEADERS);
}

static int on_request_line(htp_tx_t *htp)
{
    set_progress(tx_of(htp), FLOW_TOSERVER, HTTP_PROGRESS_LINE);
    return HTP_OK;
}

static int on_request_header_data(htp_tx_data_t *d)
{
    header_data(d, FLOW_TOSERVER);
    return HTP_OK;
}

static int on_request_headers(htp_tx_t *htp)
{
    headers_done(tx_of(htp), FLOW_TOSERVER);
    return HTP_OK;
}

/* A growing body is worth another inspection when it first reaches the
 * minimal inspect size, then at each inspect window beyond, and when it
 * reaches its limit (and, through the progress, when it is complete):
 * not at every segment, which would rescan the same bytes over and over. */
static bool body_step(const struct http_settings *set, enum flow_direction dir, uint32_t before,
                      uint32_t after)
{
    uint32_t min = set->body_inspect_min[dir] < set->body_limit[dir] ? set->body_inspect_min[dir]
                                                                     : set->body_limit[dir];
    uint32_t window = set->body_inspect_window[dir] ? set->body_inspect_window[dir] : 1;
    if (after == before || after < min)
        return false;
    if (before < min || after == set->body_limit[dir])
        return true;
    return (after - min) / window != (before - min) / window;
}

static void body_data(htp_tx_data_t *d, enum flow_direction dir)
{
    struct http_tx *tx = tx_of(d->tx);
    if (!tx || !d->data || d->len == 0)
        return;
    const struct http_settings *set = tx->state->set;
    uint32_t before = tx->body[dir].len;
    tx->body_seen[dir] += d->len;
    http_bytes_append(&tx->body[dir], d->data, d->len, set->body_limit[dir]);
    set_progress(tx, dir, HTTP_PROGRESS_BODY);
    if (body_step(set, dir, before, tx->body[dir].len))
        tx->base.changed |= (uint8_t)(1u << dir);
}

static int on_request_body_data(htp_tx_data_t *d)
{
    body_data(d, FLOW_TOSERVER);
    return HTP_OK;
}

static int on_request_complete(htp_tx_t *htp)
{
    struct http_tx *tx = tx_of(htp);
    flags_to_events(tx, FLOW_TOSERVER);
    set_progress(tx, FLOW_TOSERVER, HTTP_PROGRESS_DONE);
    return HTP_OK;
}

static int on_response_line(htp_tx_t *htp)
{
    set_progress(tx_of(htp), FLOW_TOCLIENT, HTTP_PROGRESS_LINE);
    return HTP_OK;
}

static int on_response_header_data(htp_tx_data_t *d)
{
    header_data(d, FLOW_TOCLIENT);
    return HTP_OK;
}

static int on_response_headers(htp_tx_t *htp)
{
    headers_done(tx_of(htp), FLOW_TOCLIENT);
    return HTP_OK;
}

static int on_response_body_data(htp_tx_data_t *d)
{
    body_data(d, FLOW_TOCLIENT);
    return HTP_OK;
}

static int on_response_complete(htp_tx_t *htp)
{
    struct http_tx *tx = tx_of(htp);
    flags_to_events(tx, FLOW_TOCLIENT);
    if (tx && tx->base.progress[FLOW_TOSERVER] < HTTP_PROGRESS_DONE &&
        htp->request_progress == HTP_REQUEST_COMPLETE)
        set_progress(tx, FLOW_TOSERVER, HTTP_PROGRESS_DONE);
    set_progress(tx, FLOW_TOCLIENT, HTTP_PROGRESS_DONE);
    return HTP_OK;
}

/* LibHTP's log messages for anomalies that leave no flag on the transaction. */
static int on_log(htp_log_t *log)
{
    static const struct {
        const char *prefix;
        uint8_t event;
    } map[] = {
        { "Request chunk encoding: Invalid chunk length", HTTP_EV_INVALID_REQUEST_CHUNK_LEN },
        { "Response chunk encoding: Invalid chunk length", HTTP_EV_INVALID_RESPONSE_CHUNK_LEN },
        { "Invalid T-E value in response", HTTP_EV_INVALID_TRANSFER_ENCODING_VALUE_IN_RESPONSE },
        { "Invalid C-L field in response", HTTP_EV_INVALID_CONTENT_LENGTH_FIELD_IN_RESPONSE },
        { "Already seen 100-Continue", HTTP_EV_100_CONTINUE_ALREADY_SEEN },
        { "Unable to match response to request", HTTP_EV_UNABLE_TO_MATCH_RESPONSE_TO_REQUEST },
        { "Request server port", HTTP_EV_REQUEST_SERVER_PORT_TCP_PORT_MISMATCH },
        { "Request line: URI contains non-compliant delimiter", HTTP_EV_URI_DELIM_NON_COMPLIANT },
        { "Request line: non-compliant delimiter between Method and URI", HTTP_EV_METHOD_DELIM_NON_COMPLIANT },
        { "Request line: leading whitespace", HTTP_EV_REQUEST_LINE_LEADING_WHITESPACE },
        { "Too many response content encoding layers", HTTP_EV_TOO_MANY_ENCODING_LAYERS },
        { "C-E gzip has abnormal value", HTTP_EV_ABNORMAL_CE_HEADER },
        { "C-E deflate has abnormal value", HTTP_EV_ABNORMAL_CE_HEADER },
        { "C-E unknown setting", HTTP_EV_ABNORMAL_CE_HEADER },
        { "GZip decompressor:", HTTP_EV_GZIP_DECOMPRESSION_FAILED },
        { "Compression bomb", HTTP_EV_COMPRESSION_BOMB },
        { "Invalid server port information in request", HTTP_EV_INVALID_SERVER_PORT_IN_REQUEST },
        { "Invalid authority port", HTTP_EV_INVALID_AUTHORITY_PORT },
    };
    if (!log || !log->msg || log->level > HTP_LOG_WARNING)
        return HTP_OK;
    struct http_tx *tx = tx_of(log->tx);
    if (!tx) {
        struct http_state *st = log->connp ? htp_connp_get_user_data(log->connp) : NULL;
        tx = st && st->ntx ? st->tx[st->ntx - 1] : NULL;
    }
    if (!tx)
        return HTP_OK;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
        if (strncmp(log->msg, map[i].prefix, strlen(map[i].prefix)) == 0) {
            tx->base.events |= 1ull << map[i].event;
            return HTP_OK;
        }
    }
    return HTP_OK;
}

/* --- settings ------------------------------------------------------------------------- */

#define HTP_KEY "app-layer.protocols.http.libhtp.default-config."

static uint32_t get_size(const struct config *cfg, const char *key, int64_t def, int64_t max,
                         struct diag *diag)
{
    return (uint32_t)config_get_size(cfg, key, def, 0, max, diag);  /* util/units.h sizes */
}

static void read_eve_settings(struct http_settings *s, const struct config *cfg, struct diag *diag)
{
    s->extended = config_get_bool(cfg, "outputs.eve.http.extended", true, diag);
    static const char *const dumps[] = { "none", "request", "response", "both", "all" };
    size_t dump = config_get_choice(cfg, "outputs.eve.http.dump-all-headers", dumps, 5, 3, diag);
    s->dump = dump == 4 ? HTTP_DUMP_BOTH : (enum http_dump_headers)dump;
    size_t n = config_list_count(cfg, "outputs.eve.http.custom");
    for (size_t i = 0; i < n && s->ncustom < HTTP_CUSTOM_MAX; i++) {
        const char *name = config_list_item(cfg, "outputs.eve.http.custom", i);
        char *copy = name ? strdup(name) : NULL;
        if (!copy)
            continue;
        for (char *c = copy; *c; c++)
            *c = *c >= 'A' && *c <= 'Z' ? (char)(*c - 'A' + 'a') : *c;
        s->custom[s->ncustom++] = copy;
    }
}

static void register_callbacks(htp_cfg_t *h)
{
    htp_config_register_request_start(h, on_request_start);
    htp_config_register_request_line(h, on_request_line);
    htp_config_register_request_header_data(h, on_request_header_data);
    htp_config_register_request_headers(h, on_request_headers);
    htp_config_register_request_body_data(h, on_request_body_data);
    htp_config_register_request_complete(h, on_request_complete);
    htp_config_register_response_line(h, on_response_line);
    htp_config_register_response_header_data(h, on_response_header_data);
    htp_config_register_response_headers(h, on_response_headers);
    htp_config_register_response_body_data(h, on_response_body_data);
    htp_config_register_response_complete(h, on_response_complete);
    htp_config_register_log(h, on_log);
}

static const struct {
    const char *name;
    enum htp_server_personality_t personality;
} personalities[] = {
    { "minimal", HTP_SERVER_MINIMAL }, { "generic", HTP_SERVER_GENERIC },
    { "ids", HTP_SERVER_IDS },         { "iis_4_0", HTP_SERVER_IIS_4_0 },
    { "iis_5_0", HTP_SERVER_IIS_5_0 }, { "iis_5_1", HTP_SERVER_IIS_5_1 },
    { "iis_6_0", HTP_SERVER_IIS_6_0 }, { "iis_7_0", HTP_SERVER_IIS_7_0 },
    { "iis_7_5", HTP_SERVER_IIS_7_5 }, { "apache_2", HTP_SERVER_APACHE_2 },
};

static void http_config_free(void *p);

static void *http_config_new(const struct config *cfg, struct diag *diag)
{
    struct http_settings *s = calloc(1, sizeof *s);
    if (!s || !(s->htp = htp_config_create())) {
        free(s);
        return NULL;
    }
    const char *names[sizeof personalities / sizeof personalities[0]];
    for (size_t i = 0; i < sizeof personalities / sizeof personalities[0]; i++)
        names[i] = personalities[i].name;
    size_t pi = config_get_choice(cfg, HTP_KEY "personality", names,
                                  sizeof personalities / sizeof personalities[0], 2, diag);
    htp_config_set_server_personality(s->htp, personalities[pi].personality);
    const int64_t big = INT64_C(1) << 30;
    s->body_limit[0] = get_size(cfg, HTP_KEY "request-body-limit", 100 * 1024, big, diag);
    s->body_limit[1] = get_size(cfg, HTP_KEY "response-body-limit", 100 * 1024, big, diag);
    s->body_inspect_min[0] = get_size(cfg, HTP_KEY "request-body-minimal-inspect-size", 32 * 1024, big, diag);
    s->body_inspect_window[0] = get_size(cfg, HTP_KEY "request-body-inspect-window", 4 * 1024, big, diag);
    s->body_inspect_min[1] = get_size(cfg, HTP_KEY "response-body-minimal-inspect-size", 40 * 1024, big, diag);
    s->body_inspect_window[1] = get_size(cfg, HTP_KEY "response-body-inspect-window", 16 * 1024, big, diag);
    s->max_tx = get_size(cfg, HTP_KEY "max-tx", 512, 1 << 20, diag);
    s->raw_header_limit = get_size(cfg, HTP_KEY "raw-header-limit", HTTP_RAW_HEADER_LIMIT_DEFAULT, big, diag);
    s->double_decode_path = config_get_bool(cfg, HTP_KEY "double-decode-path", false, diag);
    s->double_decode_query = config_get_bool(cfg, HTP_KEY "double-decode-query", false, diag);
    s->uri_include_all = config_get_bool(cfg, HTP_KEY "uri-include-all", false, diag);
    int layers = (int)config_get_int(cfg, HTP_KEY "response-body-decompress-layer-limit", 2, 0, 64, diag);
    size_t bomb = get_size(cfg, HTP_KEY "compression-bomb-limit", 1024 * 1024, big, diag);
    size_t usec = get_size(cfg, HTP_KEY "decompression-time-limit", 100000, big, diag);
    size_t field = get_size(cfg, HTP_KEY "meta-field-limit", 18 * 1024, big, diag);
    uint32_t headers = get_size(cfg, HTP_KEY "headers-limit", 1024, 1 << 20, diag);
    bool lzma = config_get_bool(cfg, HTP_KEY "lzma-enabled", true, diag);
    size_t lzma_mem = get_size(cfg, HTP_KEY "lzma-memlimit", 1024 * 1024, big, diag);
    htp_config_set_response_decompression(s->htp, 1);
    htp_config_set_response_decompression_layer_limit(s->htp, layers);
    htp_config_set_compression_bomb_limit(s->htp, bomb);
    htp_config_set_compression_time_limit(s->htp, usec);
    htp_config_set_field_limits(s->htp, field, field);
    htp_config_set_number_headers_limit(s->htp, headers);
    htp_config_set_lzma_layers(s->htp, lzma ? 1 : 0);
    htp_config_set_lzma_memlimit(s->htp, lzma_mem);
    htp_config_set_tx_auto_destroy(s->htp, 0);
    htp_config_set_log_level(s->htp, HTP_LOG_WARNING);
    /* as Suricata: '+' stays '+', a space may sit inside the URI ("GET /a b
     * HTTP/1.1"), cookies are not parsed into parameters.  Request bodies
     * are not decompressed: LibHTP 0.5.42 drops a body whose
     * Content-Encoding lies (gzip announced, plain sent), which would hide
     * it from http.request_body; later LibHTPs fall back to the raw bytes
     * (suricata-verify http-encoding-gzip-uncompressed). */
    htp_config_set_plusspace_decode(s->htp, HTP_DECODER_URLENCODED, 0);
    htp_config_set_allow_space_uri(s->htp, 1);
    htp_config_set_parse_request_cookies(s->htp, 0);
    htp_config_set_request_decompression(s->htp, 0);
    register_callbacks(s->htp);
    read_eve_settings(s, cfg, diag);
    return s;
}

static void http_config_free(void *p)
{
    struct http_settings *s = p;
    if (!s)
        return;
    htp_config_destroy(s->htp);
    for (size_t i = 0; i < s->ncustom; i++)
        free(s->custom[i]);
    free(s);
}

/* --- per flow ----------------------------------------------------------------------- */

static void to_timeval(uint64_t usec, htp_time_t *tv)
{
    tv->tv_sec = (time_t)(usec / 1000000);
    tv->tv_usec = (suseconds_t)(usec % 1000000);
}

static void addr_text(const struct ip_addr *a, char *buf, size_t len)
{
    if (!inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)len))
        buf[0] = '\0';
}

static void *http_state_new(const void *settings, const struct flow *flow, uint64_t ts_usec)
{
    const struct http_settings *set = settings;
    struct http_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->set = set;
    st->connp = htp_connp_create(set->htp);
    if (!st->connp) {
        free(st);
        return NULL;
    }
    char client[64], server[64];
    addr_text(&flow->client, client, sizeof client);
    addr_text(&flow->server, server, sizeof server);
    htp_time_t tv;
    to_timeval(ts_usec, &tv);
    htp_connp_open(st->connp, client, flow->client_port, server, flow->server_port, &tv);
    htp_connp_set_user_data(st->connp, st);
    return st;
}

/* A transaction's anomalies join the flow's counts before it goes. */
static void count_tx(struct http_state *st, const struct http_tx *tx)
{
    int events = __builtin_popcountll(tx->base.events);
    st->counts.txs++;
    st->counts.txs_with_events += events > 0;
    st->counts.events += (uint64_t)events;
}

static void http_state_free(void *p)
{
    struct http_state *st = p;
    if (!st)
        return;
    for (size_t i = 0; i < st->ntx; i++) {
        count_tx(st, st->tx[i]);
        tx_free_one(st->tx[i]);
    }
    free(st->tx);
    htp_connp_destroy_all(st->connp);
    free(st);
}

/* A successful CONNECT: LibHTP stops at the end of the 2xx response; the
 * request side ends where the request (and whatever LibHTP refused) ends. */
static void note_tunnel(struct http_state *st, uint64_t res_start)
{
    if (st->tunnel)
        return;
    st->tunnel = true;
    st->tunnel_at[FLOW_TOSERVER] = st->fed[FLOW_TOSERVER];
    st->tunnel_at[FLOW_TOCLIENT] = res_start + htp_connp_res_data_consumed(st->connp);
}

static int feed_request(struct http_state *st, const struct applayer_chunk *c, htp_time_t *tv)
{
    if (c->flags & APPLAYER_CHUNK_EOF) {
        if (c->len == 0) {
            htp_connp_req_close(st->connp, tv);
            st->closed[FLOW_TOSERVER] = true;
            return 0;
        }
    }
    int rc = htp_connp_req_data(st->connp, tv, c->data, c->len);
    if (rc == HTP_STREAM_DATA_OTHER) {
        /* bytes after a CONNECT request, before its answer: the tunnel's */
        st->fed[FLOW_TOSERVER] += htp_connp_req_data_consumed(st->connp);
        st->tunnel_at[FLOW_TOSERVER] = st->fed[FLOW_TOSERVER];
        return 0;
    }
    st->fed[FLOW_TOSERVER] += c->len;
    if (c->flags & APPLAYER_CHUNK_EOF) {
        htp_connp_req_close(st->connp, tv);
        st->closed[FLOW_TOSERVER] = true;
    }
    return rc == HTP_STREAM_ERROR ? -1 : 0;
}

static int feed_response(struct http_state *st, const struct applayer_chunk *c, htp_time_t *tv)
{
    uint64_t start = st->fed[FLOW_TOCLIENT];
    int rc = c->len ? htp_connp_res_data(st->connp, tv, c->data, c->len) : HTP_STREAM_DATA;
    st->fed[FLOW_TOCLIENT] += c->len;
    if (rc == HTP_STREAM_TUNNEL) {
        uint64_t req_end = st->tunnel_at[FLOW_TOSERVER] ? st->tunnel_at[FLOW_TOSERVER]
                                                        : st->fed[FLOW_TOSERVER];
        note_tunnel(st, start);
        st->tunnel_at[FLOW_TOSERVER] = req_end;
        return 0;
    }
    if (c->flags & APPLAYER_CHUNK_EOF) {
        htp_connp_close(st->connp, tv);
        st->closed[FLOW_TOCLIENT] = true;
    }
    return rc == HTP_STREAM_ERROR ? -1 : 0;
}

static int http_on_data(void *p, const struct applayer_chunk *c, uint64_t ts_usec)
{
    struct http_state *st = p;
    if (c->flags & APPLAYER_CHUNK_GAP) {
        st->counts.gaps++;
        return -1;          /* LibHTP cannot resynchronise after lost bytes */
    }
    if (st->tunnel || st->closed[c->dir] || st->too_many_tx)
        return 0;
    htp_time_t tv;
    to_timeval(ts_usec, &tv);
    int rc = c->dir == FLOW_TOSERVER ? feed_request(st, c, &tv) : feed_response(st, c, &tv);
    st->counts.stream_errors += rc < 0;
    for (size_t i = 0; i < st->ntx; i++)
        if (st->tx[i]->base.changed)
            http_tx_clear_cache(st->tx[i]);
    return rc;
}

static bool http_tunnel_offset(void *p, uint64_t offset[2])
{
    struct http_state *st = p;
    if (!st->tunnel)
        return false;
    offset[0] = st->tunnel_at[0];
    offset[1] = st->tunnel_at[1];
    return true;
}

static size_t http_tx_count(void *p)
{
    return ((struct http_state *)p)->ntx;
}

static struct applayer_tx *http_tx_at(void *p, size_t i)
{
    struct http_state *st = p;
    return i < st->ntx ? &st->tx[i]->base : NULL;
}

static void http_tx_free(void *p, struct applayer_tx *base)
{
    struct http_state *st = p;
    for (size_t i = 0; i < st->ntx; i++) {
        if (&st->tx[i]->base != base)
            continue;
        count_tx(st, st->tx[i]);
        tx_free_one(st->tx[i]);
        memmove(&st->tx[i], &st->tx[i + 1], (st->ntx - i - 1) * sizeof *st->tx);
        st->ntx--;
        return;
    }
}

/* --- probing --------------------------------------------------------------------------- */

static const char *const methods[] = {
    "GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
    "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "SEARCH",
    "REPORT", "CHECKOUT", "MERGE", "SUBSCRIBE", "NOTIFY", "M-SEARCH", NULL,
};

static enum applayer_probe_result prefix_probe(const uint8_t *data, uint32_t len,
                                               const char *word, char after)
{
    size_t n = strlen(word);
    size_t k = len < n ? len : n;
    if (strncasecmp((const char *)data, word, k) != 0)
        return APPLAYER_PROBE_NO;
    if (len <= n)
        return APPLAYER_PROBE_MORE;
    return data[n] == (uint8_t)after || (after == ' ' && data[n] == '\t') ? APPLAYER_PROBE_YES
                                                                 : APPLAYER_PROBE_NO;
}

static enum applayer_probe_result http_probe(const uint8_t *data, uint32_t len,
                                             enum flow_direction dir)
{
    if (dir == FLOW_TOCLIENT)
        return prefix_probe(data, len, "HTTP", '/');
    bool more = false;
    for (size_t i = 0; methods[i]; i++) {
        enum applayer_probe_result r = prefix_probe(data, len, methods[i], ' ');
        if (r == APPLAYER_PROBE_YES)
            return r;
        more |= r == APPLAYER_PROBE_MORE;
    }
    return more ? APPLAYER_PROBE_MORE : APPLAYER_PROBE_NO;
}

/* Stats: a transaction with an anomaly event (LibHTP's malformed input) or
 * a stream LibHTP gave up on is a parser error; a gap ends the flow's
 * parsing (error.http.gap). */
static const char *const http_counter_names[] = { "txs", "txs_with_events", "events",
                                                  "stream_errors", NULL };

static void http_counts(const void *p, struct applayer_counts *sum)
{
    const struct http_state *st = p;
    sum->own[0] += st->counts.txs;
    sum->own[1] += st->counts.txs_with_events;
    sum->own[2] += st->counts.events;
    sum->own[3] += st->counts.stream_errors;
    sum->parser += st->counts.txs_with_events + st->counts.stream_errors;
    sum->gap += st->counts.gaps;
    sum->alloc += st->counts.alloc;
}

static const char *const http_ndpi_names[] = { "HTTP", "HTTP_Proxy", "HTTP_Connect", NULL };

const struct applayer_parser applayer_http_parser = {
    .proto = APPLAYER_HTTP,
    .name = "http",
    .ndpi_names = http_ndpi_names,
    .state_size = sizeof(struct http_state),
    .tcp = true,
    .progress_done = { HTTP_PROGRESS_DONE, HTTP_PROGRESS_DONE },
    .probe = http_probe,
    .config_new = http_config_new,
    .config_free = http_config_free,
    .state_new = http_state_new,
    .state_free = http_state_free,
    .on_data = http_on_data,
    .tx_count = http_tx_count,
    .tx_at = http_tx_at,
    .tx_free = http_tx_free,
    .eve_write = http_eve_write,
    .get_buffer = http_get_buffer,
    .get_buffer_at = http_get_buffer_at,
    .event_names = http_event_names,
    .tunnel_offset = http_tunnel_offset,
    .counts_add = http_counts,
    .counter_names = http_counter_names,
};
