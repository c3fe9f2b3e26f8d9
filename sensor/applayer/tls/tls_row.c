/* The TLS/TLCP parser's row in the app-layer registry: one transaction per
 * connection, the handshake, complete when both directions are ciphertext
 * (or at flow end).  Progress per direction: 1 = its hello, 2 = ciphertext. */
#include <stdlib.h>
#include <string.h>

#include "applayer/applayer.h"
#include "applayer/one_tx.h"
#include "applayer/tls/tls.h"
#include "applayer/tls/tls_eve.h"
#include "applayer/tls/tls_row.h"

struct tls_settings {
    struct tls_cert_cache *cache;
};

static void *tls_config_new(const struct config *cfg, struct diag *diag)
{
    struct tls_settings *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    int64_t n = config_get_int(cfg, "app-layer.protocols.tls.cert-cache", 256, 0, 1 << 20, diag);
    set->cache = tls_cert_cache_new((uint32_t)n);
    if (n > 0 && !set->cache) {
        free(set);
        return NULL;
    }
    return set;
}

static void tls_config_free(void *settings)
{
    struct tls_settings *set = settings;
    tls_cert_cache_free(set->cache);
    free(set);
}

struct tls_row {
    struct one_tx tx;               /* first: the row is found from its transaction */
    struct tls_state tls;
    char cipher_buf[8];             /* "0xHHHH" of an unnamed suite, for its buffer */
};

static void *tls_row_new(const void *settings, const struct flow *flow, uint64_t ts_usec)
{
    (void)flow;
    (void)ts_usec;
    const struct tls_settings *set = settings;
    struct tls_row *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    tls_state_init(&r->tls, NULL);
    r->tls.cache = set ? set->cache : NULL;
    return r;
}

static void tls_row_free(void *state)
{
    struct tls_row *r = state;
    tls_state_free(&r->tls);
    free(r);
}

/* The transaction's progress and events from the parser's state. */
static void update(struct tls_row *r)
{
    const struct tls_tx *tx = &r->tls.tx;
    if (r->tx.done || !(tx->progress & (TLS_CLIENT_HELLO | TLS_SERVER_HELLO)))
        return;
    r->tx.live = true;
    uint8_t p[2] = { tx->progress & TLS_CLIENT_HELLO ? 1 : 0,
                     tx->progress & TLS_SERVER_HELLO ? 1 : 0 };
    for (int d = 0; d < 2; d++)
        if (r->tls.dir[d].encrypted)
            p[d] = 2;
    one_tx_set_progress(&r->tx, p);
    one_tx_set_events(&r->tx, r->tls.counters.malformed, TLS_MALFORMED_KINDS);
}

static int tls_row_data(void *state, const struct applayer_chunk *c, uint64_t ts_usec)
{
    (void)ts_usec;
    struct tls_row *r = state;
    int rc = tls_parse(&r->tls, c->dir, c->data, c->len, c->flags);
    update(r);
    /* A direction that stopped is not a reason to drop the other one. */
    bool other_alive = !r->tls.dir[c->dir == FLOW_TOSERVER].dead;
    return rc < 0 && !other_alive ? -1 : 0;
}

const struct tls_tx *tls_row_tx(const struct applayer_tx *base)
{
    const struct tls_row *r = (const struct tls_row *)base;
    return &r->tls.tx;
}

static void tls_row_eve(const void *settings, void *state, const struct applayer_tx *base,
                        struct json_writer *j)
{
    (void)settings;
    (void)state;
    tls_eve_members(j, tls_row_tx(base));
}

static void tls_row_eve_beside(const void *settings, void *state, const struct applayer_tx *base,
                               struct json_writer *j)
{
    (void)settings;
    (void)state;
    tls_eve_write_info(j, tls_row_tx(base));
}

static bool text(const char *s, const uint8_t **data, uint32_t *len)
{
    if (!s[0])
        return false;
    *data = (const uint8_t *)s;
    *len = (uint32_t)strlen(s);
    return true;
}

/* The i-th certificate's DER, as sent. */
static bool cert_der(const struct tls_tx *tx, uint32_t i, const uint8_t **data, uint32_t *len)
{
    if (!tx->der || i >= tx->nder)
        return false;
    *data = tx->der + tx->der_off[i];
    *len = tx->der_len[i];
    return true;
}

static bool tls_row_buffer(void *state, const struct applayer_tx *base, enum detect_buffer buffer,
                           enum flow_direction dir, const uint8_t **data, uint32_t *len)
{
    (void)state;
    (void)dir;
    const struct tls_tx *tx = tls_row_tx(base);
    switch (buffer) {
    case BUF_TLS_SNI:
        return tx->client.has_sni && text(tx->client.sni, data, len);
    case BUF_TLS_CERT_SUBJECT:
        return tx->ncerts > 0 && text(tx->certs[0].subject, data, len);
    case BUF_TLS_CERT_ISSUER:
        return tx->ncerts > 0 && text(tx->certs[0].issuer, data, len);
    case BUF_JA3_HASH:
        return (tx->progress & TLS_CLIENT_HELLO) && text(tx->ja3_hash, data, len);
    case BUF_JA3S_HASH:
        return (tx->progress & TLS_SERVER_HELLO) && text(tx->ja3s_hash, data, len);
    case BUF_JA3_STRING:
        return (tx->progress & TLS_CLIENT_HELLO) && text(tx->ja3, data, len);
    case BUF_JA3S_STRING:
        return (tx->progress & TLS_SERVER_HELLO) && text(tx->ja3s, data, len);
    case BUF_JA4_HASH:
        return (tx->progress & TLS_CLIENT_HELLO) && text(tx->ja4, data, len);
    case BUF_TLS_CERT_SERIAL:
        return tx->ncerts > 0 && text(tx->certs[0].serial, data, len);
    case BUF_TLS_CERT_FINGERPRINT:
        return tx->ncerts > 0 && text(tx->certs[0].fingerprint, data, len);
    case BUF_TLS_CERTS:
        return cert_der(tx, 0, data, len);
    case BUF_TLS_CIPHER_SUITE: {
        struct tls_row *r = state;
        const char *name = tls_tx_cipher_name(tx, r->cipher_buf);
        return name && text(name, data, len);
    }
    default:
        return false;
    }
}

/* tls.certs: each certificate of the chain, DER; the other buffers have
 * instance 0 only. */
static bool tls_row_buffer_at(void *state, const struct applayer_tx *base,
                              enum detect_buffer buffer, enum flow_direction dir, uint32_t i,
                              const uint8_t **data, uint32_t *len)
{
    if (buffer != BUF_TLS_CERTS)
        return i == 0 && tls_row_buffer(state, base, buffer, dir, data, len);
    return cert_der(tls_row_tx(base), i, data, len);
}

/* A handshake record of a known version carrying the hello of its side:
 * ClientHello to the server, ServerHello to the client.  A first segment of
 * only 2-5 bytes (a hello split right after its record type and major
 * version) is taken on those bytes: the next segment starts inside the
 * record, where nothing can be recognised any more. */
/* An SSLv2-format CLIENT-HELLO (RFC 5246 E.2): a 2-byte header with the high
 * bit set, message type 1, version SSL 2.0 or 3.0 .. TLS 1.3. */
static enum applayer_probe_result sslv2_probe(const uint8_t *data, uint32_t len,
                                              enum flow_direction dir)
{
    if (dir != FLOW_TOSERVER)
        return APPLAYER_PROBE_NO;
    if (len < 5)
        return APPLAYER_PROBE_MORE;
    uint16_t version = (uint16_t)(data[3] << 8 | data[4]);
    bool known = version == 0x0002 || (version >= 0x0300 && version <= 0x0304);
    return data[2] == 1 && known ? APPLAYER_PROBE_YES : APPLAYER_PROBE_NO;
}

static enum applayer_probe_result tls_probe(const uint8_t *data, uint32_t len,
                                            enum flow_direction dir)
{
    if (data[0] & 0x80)
        return sslv2_probe(data, len, dir);
    if (data[0] != 22)
        return APPLAYER_PROBE_NO;
    if (len < 2)
        return APPLAYER_PROBE_MORE;
    if (data[1] != 3 && data[1] != 1)
        return APPLAYER_PROBE_NO;
    if (len < 3)
        return APPLAYER_PROBE_YES;
    bool tls = data[1] == 3 && data[2] <= 4, tlcp = data[1] == 1 && data[2] == 1;
    if (!tls && !tlcp)
        return APPLAYER_PROBE_NO;
    if (len < 6)
        return APPLAYER_PROBE_YES;
    return data[5] == (dir == FLOW_TOSERVER ? 1 : 2) ? APPLAYER_PROBE_YES : APPLAYER_PROBE_NO;
}

/* Stats: the parser's counters of the flow; a gap is error.tls.gap, the
 * other malformed kinds parser errors. */
static const char *const tls_counter_names[] = {
    "records", "handshakes", "certificates", "malformed_record", "malformed_handshake",
    "malformed_hello", "malformed_extension", "malformed_certificate", NULL
};

static void tls_row_counts(const void *state, struct applayer_counts *sum)
{
    const struct tls_counters *c = &((const struct tls_row *)state)->tls.counters;
    const uint64_t own[] = { c->records, c->handshakes, c->certificates,
                             c->malformed[TLS_BAD_RECORD], c->malformed[TLS_BAD_HANDSHAKE],
                             c->malformed[TLS_BAD_HELLO], c->malformed[TLS_BAD_EXTENSION],
                             c->malformed[TLS_BAD_CERTIFICATE] };
    _Static_assert(sizeof own / sizeof own[0] == sizeof tls_counter_names / sizeof tls_counter_names[0] - 1,
                   "a name per counter");
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        sum->own[i] += own[i];
    for (int k = 0; k < TLS_MALFORMED_KINDS; k++)
        if (k != TLS_GAP)
            sum->parser += c->malformed[k];
    sum->gap += c->malformed[TLS_GAP];
    sum->alloc += c->oom;
}

static const char *const tls_ndpi_names[] = { "TLS", NULL };
/* bit i = enum tls_malformed i */
static const char *const tls_event_names[] = { "invalid_record", "invalid_handshake",
                                               "invalid_hello", "invalid_extension",
                                               "invalid_certificate", "stream_gap", NULL };

const struct applayer_parser applayer_tls_parser = {
    .proto = APPLAYER_TLS,
    .name = "tls",
    .ndpi_names = tls_ndpi_names,
    .state_size = sizeof(struct tls_row),
    .tcp = true,
    .progress_done = { 2, 2 },
    .probe = tls_probe,
    .config_new = tls_config_new,
    .config_free = tls_config_free,
    .state_new = tls_row_new,
    .state_free = tls_row_free,
    .on_data = tls_row_data,
    .tx_count = one_tx_count,
    .tx_at = one_tx_at,
    .tx_free = one_tx_free,
    .eve_write = tls_row_eve,
    .get_buffer = tls_row_buffer,
    .get_buffer_at = tls_row_buffer_at,
    .event_names = tls_event_names,
    .eve_write_beside = tls_row_eve_beside,
    .counts_add = tls_row_counts,
    .counter_names = tls_counter_names,
};
