/* TLS/TLCP records -> handshake messages -> the transaction's fields.
 * Hand-written (see tls.h): a passive parser sees both directions, trusts
 * no length, and must stop quietly where the traffic is not TLS. */
#include "applayer/tls/tls.h"

#include <stdlib.h>
#include <string.h>

enum { REC_CCS = 20, REC_ALERT = 21, REC_HANDSHAKE = 22, REC_APPDATA = 23, REC_HEARTBEAT = 24,
       REC_TLCP_SITE2SITE = 80 };
enum { HS_CLIENT_HELLO = 1, HS_SERVER_HELLO = 2, HS_CERTIFICATE = 11, HS_SERVER_KEYX = 12,
       HS_SERVER_DONE = 14, HS_CLIENT_KEYX = 16 };
enum { EXT_SNI = 0, EXT_GROUPS = 10, EXT_POINT_FORMATS = 11, EXT_SIG_ALGS = 13, EXT_ALPN = 16,
       EXT_VERSIONS = 43 };

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be24(const uint8_t *p) { return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]; }

/* A bounds-checked reader over one message: every take fails once past
 * the end, and stays failed, so a parse checks r.bad once at the end. */
struct reader {
    const uint8_t *p;
    uint32_t len, off;
    bool bad;
};

static bool need(struct reader *r, uint32_t n)
{
    if (r->bad || r->len - r->off < n) {
        r->bad = true;
        return false;
    }
    return true;
}

static uint32_t take_u8(struct reader *r) { return need(r, 1) ? r->p[r->off++] : 0; }

static uint32_t take_u16(struct reader *r)
{
    if (!need(r, 2))
        return 0;
    r->off += 2;
    return be16(r->p + r->off - 2);
}

static uint32_t take_u24(struct reader *r)
{
    if (!need(r, 3))
        return 0;
    r->off += 3;
    return be24(r->p + r->off - 3);
}

/* A sub-reader over the next n bytes, which the outer reader skips. */
static struct reader take_sub(struct reader *r, uint32_t n)
{
    struct reader sub = { NULL, 0, 0, true };
    if (!need(r, n))
        return sub;
    sub = (struct reader){ r->p + r->off, n, 0, false };
    r->off += n;
    return sub;
}

static bool at_end(const struct reader *r) { return r->bad || r->off == r->len; }

/* ---- ClientHello / ServerHello extensions ---- */

static void u16_list(struct reader *ext, uint32_t len_bytes, uint16_t *out, uint8_t *n)
{
    struct reader l = take_sub(ext, len_bytes == 1 ? take_u8(ext) : take_u16(ext));
    while (!at_end(&l)) {
        uint16_t v = (uint16_t)take_u16(&l);
        if (!l.bad && *n < TLS_MAX_LIST)
            out[(*n)++] = v;
    }
    ext->bad |= l.bad;
}

static void ext_sni(struct reader *ext, struct tls_client_hello *ch)
{
    struct reader list = take_sub(ext, take_u16(ext));
    while (!at_end(&list)) {
        uint32_t type = take_u8(&list);
        struct reader name = take_sub(&list, take_u16(&list));
        if (list.bad || type != 0 || ch->has_sni)
            continue;
        uint32_t n = name.len > TLS_SNI_MAX ? TLS_SNI_MAX : name.len;
        memcpy(ch->sni, name.p, n);
        ch->sni[n] = '\0';
        ch->has_sni = true;
    }
    ext->bad |= list.bad;
}

static void ext_alpn(struct reader *ext, char (*alpns)[256], uint8_t *n, uint8_t max,
                     uint8_t *first_len)
{
    struct reader list = take_sub(ext, take_u16(ext));
    while (!at_end(&list)) {
        struct reader proto = take_sub(&list, take_u8(&list));
        if (list.bad || *n >= max)
            continue;
        if (*n == 0 && first_len)
            *first_len = (uint8_t)proto.len;
        memcpy(alpns[*n], proto.p, proto.len);
        alpns[*n][proto.len] = '\0';
        (*n)++;
    }
    ext->bad |= list.bad;
}

static void client_ext(struct tls_client_hello *ch, uint16_t type, struct reader *ext)
{
    switch (type) {
    case EXT_SNI:
        ext_sni(ext, ch);
        break;
    case EXT_GROUPS:
        u16_list(ext, 2, ch->groups, &ch->ngroups);
        break;
    case EXT_POINT_FORMATS: {
        struct reader l = take_sub(ext, take_u8(ext));
        while (!at_end(&l)) {
            uint8_t v = (uint8_t)take_u8(&l);
            if (!l.bad && ch->npoint_formats < TLS_MAX_LIST)
                ch->point_formats[ch->npoint_formats++] = v;
        }
        break;
    }
    case EXT_SIG_ALGS:
        u16_list(ext, 2, ch->sig_algs, &ch->nsig_algs);
        break;
    case EXT_ALPN:
        ext_alpn(ext, ch->alpns, &ch->nalpns, TLS_MAX_ALPNS, &ch->alpn0_len);
        break;
    case EXT_VERSIONS:
        u16_list(ext, 1, ch->versions, &ch->nversions);
        break;
    default:
        return;
    }
}

/* Extensions: every type kept in order (JA3/JA4 need them as sent); the
 * ones that matter parsed.  Returns false on broken framing. */
static bool parse_exts(struct reader *r, uint16_t *exts, uint8_t *nexts,
                       void (*each)(void *, uint16_t, struct reader *), void *ctx)
{
    if (at_end(r))
        return true;                /* extensions are optional */
    struct reader all = take_sub(r, take_u16(r));
    while (!all.bad && !at_end(&all)) {
        uint16_t type = (uint16_t)take_u16(&all);
        struct reader ext = take_sub(&all, take_u16(&all));
        if (all.bad)
            break;
        if (*nexts < TLS_MAX_EXTS)
            exts[(*nexts)++] = type;
        each(ctx, type, &ext);
        if (ext.bad)
            return false;
    }
    return !all.bad && !r->bad;
}

static void client_ext_cb(void *ctx, uint16_t type, struct reader *ext)
{
    client_ext(ctx, type, ext);
}

static void server_ext_cb(void *ctx, uint16_t type, struct reader *ext)
{
    struct tls_server_hello *sh = ctx;
    if (type == EXT_VERSIONS && ext->len == 2) {
        sh->selected_version = (uint16_t)take_u16(ext);
    } else if (type == EXT_ALPN) {
        char one[1][256];
        uint8_t n = 0;
        ext_alpn(ext, one, &n, 1, NULL);
        if (n)
            memcpy(sh->alpn, one[0], sizeof sh->alpn);
    }
}

/* ---- handshake messages ---- */

static int client_hello(struct tls_state *s, struct reader *r)
{
    struct tls_client_hello *ch = &s->tx.client;
    memset(ch, 0, sizeof *ch);
    ch->version = (uint16_t)take_u16(r);
    take_sub(r, 32);                            /* random */
    take_sub(r, take_u8(r));                    /* session id */
    struct reader suites = take_sub(r, take_u16(r));
    if (suites.len % 2)
        return TLS_BAD_HELLO + 1;
    while (!at_end(&suites)) {
        uint16_t v = (uint16_t)take_u16(&suites);
        if (ch->nciphers < TLS_MAX_CIPHERS)
            ch->ciphers[ch->nciphers++] = v;
    }
    take_sub(r, take_u8(r));                    /* compression methods */
    if (r->bad)
        return TLS_BAD_HELLO + 1;
    if (!parse_exts(r, ch->exts, &ch->nexts, client_ext_cb, ch))
        return TLS_BAD_EXTENSION + 1;
    tls_fingerprint_client(&s->tx);
    return 0;
}

static int server_hello(struct tls_state *s, struct reader *r, struct tls_dir *d)
{
    struct tls_server_hello *sh = &s->tx.server;
    memset(sh, 0, sizeof *sh);
    sh->version = (uint16_t)take_u16(r);
    take_sub(r, 32);
    take_sub(r, take_u8(r));
    sh->cipher = (uint16_t)take_u16(r);
    take_u8(r);
    if (r->bad)
        return TLS_BAD_HELLO + 1;
    if (!parse_exts(r, sh->exts, &sh->nexts, server_ext_cb, sh))
        return TLS_BAD_EXTENSION + 1;
    tls_fingerprint_server(&s->tx);
    /* TLS 1.3: everything the server sends after its hello is encrypted. */
    if (sh->selected_version == 0x0304)
        d->encrypted = true;
    return 0;
}

/* Certificate: a 3-byte list length, then each DER behind a 3-byte length.
 * TLCP sends the signing certificate, then the encryption certificate, then
 * the CA chain.  TLS 1.3 (never seen in clear) would add a context byte. */
static int certificate(struct tls_state *s, struct reader *r)
{
    struct tls_tx *tx = &s->tx;
    struct reader list = take_sub(r, take_u24(r));
    if (list.bad || !at_end(r))
        return TLS_BAD_CERTIFICATE + 1;
    if (!tx->certs) {
        tx->certs = calloc(TLS_MAX_CERTS, sizeof *tx->certs);
        if (!tx->certs) {
            s->counters.oom++;
            return 0;
        }
    }
    tx->ncerts = 0;
    tx->chain_len = 0;
    while (!at_end(&list)) {
        struct reader der = take_sub(&list, take_u24(&list));
        if (list.bad)
            return TLS_BAD_CERTIFICATE + 1;
        tx->chain_len++;
        s->counters.certificates++;
        if (tx->ncerts >= TLS_MAX_CERTS)
            continue;
        if (tls_cert_parse_cached(s->cache, &tx->certs[tx->ncerts], der.p, der.len) != 0) {
            s->counters.malformed[TLS_BAD_CERTIFICATE]++;
            continue;
        }
        tx->ncerts++;
    }
    return 0;
}

static void tell(struct tls_state *s, enum tls_progress what, enum flow_direction dir)
{
    s->tx.progress |= what;
    if (s->sink.progress)
        s->sink.progress(s->sink.ctx, &s->tx, what, dir);
}

struct hs_ctx {
    struct tls_state *s;
    enum flow_direction dir;
    bool counted;           /* the failure is counted already */
};

static int64_t handshake_messages(void *ctx, const uint8_t *data, uint32_t len)
{
    struct hs_ctx *c = ctx;
    struct tls_state *s = c->s;
    struct tls_dir *d = &s->dir[c->dir == FLOW_TOCLIENT];
    uint32_t off = 0;
    while (len - off >= 4) {
        uint8_t type = data[off];
        uint32_t mlen = be24(data + off + 1);
        if (mlen > TLS_HANDSHAKE_MAX - 4) {
            s->counters.malformed[TLS_BAD_HANDSHAKE]++;
            c->counted = true;
            return -1;
        }
        if (len - off - 4 < mlen)
            break;
        struct reader r = { data + off + 4, mlen, 0, false };
        off += 4 + mlen;
        s->counters.handshakes++;
        int rc = 0;
        enum tls_progress what = 0;
        bool toserver = c->dir == FLOW_TOSERVER;
        switch (type) {
        case HS_CLIENT_HELLO:
            if (toserver && !(s->tx.progress & TLS_CLIENT_HELLO)) {
                rc = client_hello(s, &r);
                what = TLS_CLIENT_HELLO;
            }
            break;
        case HS_SERVER_HELLO:
            if (!toserver && !(s->tx.progress & TLS_SERVER_HELLO)) {
                rc = server_hello(s, &r, d);
                what = TLS_SERVER_HELLO;
            }
            break;
        case HS_CERTIFICATE:
            if (!toserver && !(s->tx.progress & TLS_CERTIFICATE)) {
                rc = certificate(s, &r);
                what = TLS_CERTIFICATE;
            }
            break;
        case HS_SERVER_KEYX:
            what = toserver ? 0 : TLS_SERVER_KEYX;
            break;
        case HS_SERVER_DONE:
            what = toserver ? 0 : TLS_SERVER_DONE;
            break;
        case HS_CLIENT_KEYX:
            what = toserver ? TLS_CLIENT_KEYX : 0;
            break;
        default:
            break;
        }
        if (rc) {
            s->counters.malformed[rc - 1]++;
            c->counted = true;
            return -1;
        }
        if (what)
            tell(s, what, c->dir);
        if (d->encrypted)
            return len;             /* TLS 1.3: the rest is ciphertext */
    }
    return off;
}

/* ---- SSLv2-format hellos (RFC 5246 E.2; SSL 2.0 draft 02) ---- */

static void went_encrypted(struct tls_state *s, struct tls_dir *d, enum flow_direction dir);

/* The SSL 2.0 server's certificate (one DER, no chain), as certificate()
 * keeps a TLS chain's first. */
static int one_certificate(struct tls_state *s, struct reader *der)
{
    struct tls_tx *tx = &s->tx;
    if (!tx->certs && !(tx->certs = calloc(TLS_MAX_CERTS, sizeof *tx->certs))) {
        s->counters.oom++;
        return 0;
    }
    tx->ncerts = 0;
    tx->chain_len = 1;
    s->counters.certificates++;
    if (tls_cert_parse_cached(s->cache, &tx->certs[0], der->p, der->len) != 0)
        s->counters.malformed[TLS_BAD_CERTIFICATE]++;
    else
        tx->ncerts = 1;
    return 0;
}

enum { SSL2_CLIENT_HELLO = 1, SSL2_SERVER_HELLO = 4 };

/* CLIENT-HELLO body after the type byte: version, cipher_spec_length,
 * session_id_length, challenge_length, then the three fields.  A spec is 3
 * bytes; one whose first byte is 0 is a TLS cipher suite. */
static int sslv2_client_hello(struct tls_state *s, struct reader *r)
{
    struct tls_client_hello *ch = &s->tx.client;
    memset(ch, 0, sizeof *ch);
    ch->sslv2 = true;
    ch->version = (uint16_t)take_u16(r);
    uint32_t cs_len = take_u16(r), sid_len = take_u16(r), chal_len = take_u16(r);
    struct reader specs = take_sub(r, cs_len);
    take_sub(r, sid_len);
    take_sub(r, chal_len);
    if (r->bad || !at_end(r) || cs_len == 0 || cs_len % 3 || (sid_len != 0 && sid_len != 16) ||
        chal_len < 16 || chal_len > 32)
        return TLS_BAD_HELLO + 1;
    ch->challenge_len = (uint8_t)chal_len;
    while (!at_end(&specs)) {
        uint32_t v = take_u24(&specs);
        if (ch->nspecs < TLS_MAX_CIPHERS)
            ch->specs[ch->nspecs++] = v;
        if (v <= 0xFFFF && ch->nciphers < TLS_MAX_CIPHERS)
            ch->ciphers[ch->nciphers++] = (uint16_t)v;
    }
    tls_fingerprint_client(&s->tx);
    return 0;
}

/* SERVER-HELLO body after the type byte: session_id_hit, certificate_type,
 * version, and the lengths of certificate, cipher specs and connection id.
 * The server chose SSL 2.0: what follows both ways is SSL 2.0's own
 * (encrypted after CLIENT-MASTER-KEY), so the handshake is done here. */
static int sslv2_server_hello(struct tls_state *s, struct reader *r)
{
    struct tls_server_hello *sh = &s->tx.server;
    memset(sh, 0, sizeof *sh);
    take_u8(r);
    take_u8(r);
    sh->version = (uint16_t)take_u16(r);
    uint32_t cert_len = take_u16(r), cs_len = take_u16(r), cid_len = take_u16(r);
    struct reader der = take_sub(r, cert_len);
    take_sub(r, cs_len);
    take_sub(r, cid_len);
    if (r->bad || !at_end(r) || cs_len % 3)
        return TLS_BAD_HELLO + 1;
    return cert_len ? one_certificate(s, &der) : 0;
}

/* An SSLv2 record with a 2-byte header opens the direction: 0 = need more
 * bytes, -1 = bad (counted), else the bytes taken. */
static int64_t sslv2_record(struct tls_state *s, enum flow_direction dir, const uint8_t *data,
                            uint32_t len)
{
    if (len < 3)
        return 0;
    uint32_t rlen = (uint32_t)(data[0] & 0x7f) << 8 | data[1];
    bool toserver = dir == FLOW_TOSERVER;
    uint8_t want = toserver ? SSL2_CLIENT_HELLO : SSL2_SERVER_HELLO;
    if (rlen < 1 || data[2] != want) {
        s->counters.malformed[TLS_BAD_RECORD]++;
        return -1;
    }
    if (len - 2 < rlen)
        return 0;
    s->counters.records++;
    s->counters.handshakes++;
    struct reader r = { data + 3, rlen - 1, 0, false };
    int rc = toserver ? sslv2_client_hello(s, &r) : sslv2_server_hello(s, &r);
    if (rc) {
        s->counters.malformed[rc - 1]++;
        return -1;
    }
    if (toserver) {
        tell(s, TLS_CLIENT_HELLO, dir);
    } else {
        tell(s, TLS_SERVER_HELLO, dir);
        if (s->tx.chain_len)
            tell(s, TLS_CERTIFICATE, dir);
        for (int i = 0; i < 2; i++) {
            s->dir[i].sslv2_session = true;
            if (!s->dir[i].encrypted)
                went_encrypted(s, &s->dir[i], i ? FLOW_TOCLIENT : FLOW_TOSERVER);
        }
    }
    return 2 + (int64_t)rlen;
}

/* ---- records ---- */

static bool version_ok(uint16_t v)
{
    return (v >= 0x0300 && v <= 0x0304) || v == TLS_VERSION_TLCP;
}

static void went_encrypted(struct tls_state *s, struct tls_dir *d, enum flow_direction dir)
{
    d->encrypted = true;
    pdu_buf_clear(&d->handshake);
    if (s->dir[0].encrypted && s->dir[1].encrypted && !(s->tx.progress & TLS_HANDSHAKE_DONE))
        tell(s, TLS_HANDSHAKE_DONE, dir);
}

static int record(struct tls_state *s, enum flow_direction dir, uint8_t type,
                  const uint8_t *body, uint32_t len)
{
    struct tls_dir *d = &s->dir[dir == FLOW_TOCLIENT];
    s->counters.records++;
    switch (type) {
    case REC_HANDSHAKE:
        if (d->encrypted)
            return 0;               /* Finished, or TLS 1.3 keys: ciphertext */
        {
            struct hs_ctx ctx = { s, dir, false };
            if (pdu_buf_feed(&d->handshake, body, len, handshake_messages, &ctx) != 0) {
                if (!ctx.counted)
                    s->counters.malformed[TLS_BAD_HANDSHAKE]++;     /* past the buffer */
                return -1;
            }
        }
        return 0;
    case REC_CCS:
        went_encrypted(s, d, dir);
        return 0;
    case REC_APPDATA:
        d->ciphertext_bytes += len;
        if (!d->encrypted)
            went_encrypted(s, d, dir);      /* TLS 1.3 client after its hello */
        else if (s->dir[0].encrypted && s->dir[1].encrypted &&
                 !(s->tx.progress & TLS_HANDSHAKE_DONE))
            tell(s, TLS_HANDSHAKE_DONE, dir);
        return 0;
    case REC_ALERT:
    case REC_HEARTBEAT:
    case REC_TLCP_SITE2SITE:
        return 0;
    default:
        return -1;
    }
}

struct rec_ctx {
    struct tls_state *s;
    enum flow_direction dir;
};

static int64_t records(void *ctx, const uint8_t *data, uint32_t len)
{
    struct rec_ctx *c = ctx;
    struct tls_dir *d = &c->s->dir[c->dir == FLOW_TOCLIENT];
    uint32_t off = 0;
    if (d->sslv2_session) {
        d->ciphertext_bytes += len;         /* SSL 2.0's own records: not parsed */
        return len;
    }
    if (!d->started && len > 0 && (data[0] & 0x80)) {
        int64_t n = sslv2_record(c->s, c->dir, data, len);
        if (n <= 0)
            return n;
        d->started = true;
        off = (uint32_t)n;
        if (d->sslv2_session) {             /* the SERVER-HELLO: the rest is SSL 2.0's */
            d->ciphertext_bytes += len - off;
            return len;
        }
    }
    while (len - off >= 5) {
        d->started = true;
        uint8_t type = data[off];
        uint16_t version = be16(data + off + 1), rlen = be16(data + off + 3);
        if (!version_ok(version) || rlen > TLS_RECORD_MAX - 5 ||
            (type < REC_CCS || (type > REC_HEARTBEAT && type != REC_TLCP_SITE2SITE))) {
            c->s->counters.malformed[TLS_BAD_RECORD]++;
            return -1;
        }
        if (len - off - 5 < rlen)
            break;
        if (record(c->s, c->dir, type, data + off + 5, rlen) != 0)
            return -1;
        off += 5u + rlen;
    }
    return off;
}

void tls_state_init(struct tls_state *s, const struct tls_sink *sink)
{
    memset(s, 0, sizeof *s);
    s->cache = NULL;
    if (sink)
        s->sink = *sink;
    for (int i = 0; i < 2; i++) {
        pdu_buf_init(&s->dir[i].records, TLS_RECORD_MAX);
        pdu_buf_init(&s->dir[i].handshake, TLS_HANDSHAKE_MAX);
    }
}

void tls_state_free(struct tls_state *s)
{
    for (int i = 0; i < 2; i++) {
        pdu_buf_free(&s->dir[i].records);
        pdu_buf_free(&s->dir[i].handshake);
    }
    free(s->tx.certs);
    s->tx.certs = NULL;
    s->tx.ncerts = 0;
}

int tls_parse(struct tls_state *s, enum flow_direction dir, const uint8_t *data, uint32_t len,
              unsigned flags)
{
    struct tls_dir *d = &s->dir[dir == FLOW_TOCLIENT];
    if (d->dead)
        return -1;
    if (flags & PDU_CHUNK_GAP) {
        s->counters.malformed[TLS_GAP]++;
        d->dead = true;
    } else {
        struct rec_ctx ctx = { s, dir };
        if (pdu_buf_feed(&d->records, data, len, records, &ctx) != 0)
            d->dead = true;
    }
    if (d->dead) {
        pdu_buf_free(&d->records);
        pdu_buf_free(&d->handshake);
        return -1;
    }
    if (flags & PDU_CHUNK_EOF) {
        pdu_buf_free(&d->records);
        pdu_buf_free(&d->handshake);
    }
    return 0;
}

uint16_t tls_tx_version(const struct tls_tx *tx)
{
    if (tx->progress & TLS_SERVER_HELLO)
        return tx->server.selected_version ? tx->server.selected_version : tx->server.version;
    uint16_t best = 0;
    for (unsigned i = 0; i < tx->client.nversions; i++)
        if (!tls_is_grease(tx->client.versions[i]) && tx->client.versions[i] > best)
            best = tx->client.versions[i];
    return best ? best : tx->client.version;
}

static const struct {
    uint16_t version;
    const char *name, *keyword;
} versions[] = {
    { 0x0002, "SSLv2", "sslv2" },     { 0x0300, "SSLv3", "sslv3" },
    { 0x0301, "TLS 1.0", "tls1.0" },  { 0x0302, "TLS 1.1", "tls1.1" },
    { 0x0303, "TLS 1.2", "tls1.2" },  { 0x0304, "TLS 1.3", "tls1.3" },
    { TLS_VERSION_TLCP, "TLCP 1.1", "tlcp" },
};

const char *tls_version_name(uint16_t version)
{
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (versions[i].version == version)
            return versions[i].name;
    return "UNDETERMINED";
}

const char *tls_version_keyword(uint16_t version)
{
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (versions[i].version == version)
            return versions[i].keyword;
    return "unknown";
}
