/* TLS and TLCP (GB/T 38636-2020) handshake parser: records and handshake
 * messages reassembled across segments and records, ClientHello (versions,
 * cipher suites, extensions, SNI, ALPN, groups, signature algorithms),
 * ServerHello, the Certificate chain (with TLCP's signing + encryption
 * certificates), the key exchanges, and the switch to ciphertext after
 * ChangeCipherSpec.  Hand-written because no Debian library parses TLS
 * passively (OpenSSL only parses what its own endpoint receives); the
 * certificates themselves are X.509 and go to OpenSSL's libcrypto
 * (tls_x509.c).  Bounded: record and message sizes are capped, lists are
 * capped, malformed input is counted and ends parsing of that direction. */
#ifndef XIEZHI_APPLAYER_TLS_H
#define XIEZHI_APPLAYER_TLS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "applayer/pdu_buf.h"
#include "flow/flow.h"

#define TLS_VERSION_TLCP 0x0101
#define TLS_MAX_CIPHERS 128
#define TLS_MAX_EXTS 64
#define TLS_MAX_LIST 64             /* groups, point formats, sig algs, versions */
#define TLS_MAX_ALPNS 8
#define TLS_MAX_CERTS 8
#define TLS_MAX_SANS 16
#define TLS_SNI_MAX 255
#define TLS_RECORD_MAX (16384u + 2048u + 5u)
#define TLS_HANDSHAKE_MAX (128u * 1024u)
#define TLS_JA3_MAX 2048

/* One X.509 certificate, as libcrypto read it (tls_x509.c). */
struct tls_cert {
    char subject[512], issuer[512];
    char serial[132];               /* "00:1A:..." */
    char fingerprint[60];           /* SHA-1, "ab:cd:..." */
    char notbefore[20], notafter[20];   /* "YYYY-MM-DDTHH:MM:SS" (UTC) */
    time_t notbefore_t, notafter_t;
    char key_alg[24];               /* "RSA", "EC", "SM2", or the OID's name */
    unsigned key_bits;
    char curve[24];                 /* "prime256v1", "SM2" */
    char sig_alg[48];               /* "sha256WithRSAEncryption", "SM2-with-SM3" */
    bool self_issued;               /* issuer is its own subject and key */
    bool sm2;                       /* SM2 key or SM2-with-SM3 signature */
    uint8_t nsans;
    char sans[TLS_MAX_SANS][256];
};

struct tls_client_hello {
    uint16_t version;               /* legacy_version */
    uint16_t ciphers[TLS_MAX_CIPHERS];
    uint16_t exts[TLS_MAX_EXTS];
    uint16_t groups[TLS_MAX_LIST];
    uint8_t point_formats[TLS_MAX_LIST];
    uint16_t sig_algs[TLS_MAX_LIST];
    uint16_t versions[TLS_MAX_LIST];    /* supported_versions */
    uint8_t nciphers, nexts, ngroups, npoint_formats, nsig_algs, nversions;
    bool has_sni;
    char sni[TLS_SNI_MAX + 1];
    uint8_t nalpns;
    char alpns[TLS_MAX_ALPNS][256];
    uint8_t alpn0_len;                  /* the first ALPN's length in bytes */
    /* An SSLv2-format CLIENT-HELLO (RFC 5246 E.2, the 2-byte header with the
     * high bit set): its 3-byte cipher specs in order (ciphers[] holds those
     * that are TLS suites, 0x00XXXX), the challenge's length. */
    bool sslv2;
    uint8_t nspecs, challenge_len;
    uint32_t specs[TLS_MAX_CIPHERS];
};

struct tls_server_hello {
    uint16_t version;               /* legacy_version */
    uint16_t selected_version;      /* supported_versions, 0 when absent */
    uint16_t cipher;
    uint16_t exts[TLS_MAX_EXTS];
    uint8_t nexts;
    char alpn[256];
};

enum tls_progress {
    TLS_CLIENT_HELLO = 1 << 0,
    TLS_SERVER_HELLO = 1 << 1,
    TLS_CERTIFICATE = 1 << 2,
    TLS_SERVER_KEYX = 1 << 3,
    TLS_SERVER_DONE = 1 << 4,
    TLS_CLIENT_KEYX = 1 << 5,
    TLS_HANDSHAKE_DONE = 1 << 6,    /* both directions are ciphertext */
};

/* The handshake of one connection. */
struct tls_tx {
    unsigned progress;              /* enum tls_progress bits seen */
    struct tls_client_hello client;
    struct tls_server_hello server;
    struct tls_cert *certs;         /* the server's chain, as sent */
    uint8_t ncerts;
    uint32_t chain_len;             /* certificates sent (may pass TLS_MAX_CERTS) */
    char ja3[TLS_JA3_MAX], ja3_hash[33];
    char ja3s[TLS_JA3_MAX], ja3s_hash[33];
    char ja4[40];
};

enum tls_malformed {
    TLS_BAD_RECORD,         /* unknown content type or version, length past the limit */
    TLS_BAD_HANDSHAKE,      /* message length past the limit or its record type */
    TLS_BAD_HELLO,          /* hello fields past their message */
    TLS_BAD_EXTENSION,      /* extension data past its extension */
    TLS_BAD_CERTIFICATE,    /* certificate list framing, or DER libcrypto rejects */
    TLS_GAP,                /* bytes missing in the stream */
    TLS_MALFORMED_KINDS
};

struct tls_counters {
    uint64_t records, handshakes, certificates;
    uint64_t malformed[TLS_MALFORMED_KINDS];
    uint64_t oom;
};

/* Told when a part of the handshake completes (one bit of enum
 * tls_progress), in the direction that carried it. */
struct tls_sink {
    void (*progress)(void *ctx, const struct tls_tx *tx, enum tls_progress what,
                     enum flow_direction dir);
    void *ctx;
};

struct tls_dir {
    struct pdu_buf records, handshake;
    bool encrypted;                 /* ChangeCipherSpec (or TLS 1.3 keys) seen */
    bool dead;                      /* not TLS, or framing lost */
    bool started;                   /* a record was framed (SSLv2 hellos come first only) */
    bool sslv2_session;             /* the server answered in SSL 2.0: not parsed further */
    uint64_t ciphertext_bytes;      /* application data after the handshake */
};

struct tls_cert_cache;

struct tls_state {
    struct tls_sink sink;
    struct tls_cert_cache *cache;   /* shared certificate cache, or NULL (set after init) */
    struct tls_tx tx;
    struct tls_dir dir[2];
    struct tls_counters counters;
};

void tls_state_init(struct tls_state *s, const struct tls_sink *sink);
void tls_state_free(struct tls_state *s);
/* A chunk of one direction (flags: PDU_CHUNK_GAP/EOF).  0, or -1 once the
 * direction is no longer parsed (not TLS, malformed, gap: counted). */
int tls_parse(struct tls_state *s, enum flow_direction dir, const uint8_t *data, uint32_t len,
              unsigned flags);
static inline bool tls_encrypted(const struct tls_state *s, enum flow_direction dir)
{
    return s->dir[dir == FLOW_TOCLIENT].encrypted;
}

/* The negotiated version: the server's choice when seen, else the client's
 * highest offer. */
uint16_t tls_tx_version(const struct tls_tx *tx);
/* "TLS 1.2", "TLS 1.3", "SSLv3", "TLCP 1.1", ... or "UNDETERMINED". */
const char *tls_version_name(uint16_t version);
/* Suricata's ssl_version words: "sslv3", "tls1.0".."tls1.3", "tlcp". */
const char *tls_version_keyword(uint16_t version);

/* Cipher suite names: IANA's ("TLS_AES_128_GCM_SHA256"), or GB/T 38636's
 * for TLCP ("ECC_SM4_CBC_SM3"); NULL when unknown.  (tls_suites.c) */
const char *tls_cipher_name(uint16_t suite);
/* Weak suites: NULL, EXPORT, anonymous, RC4, DES/3DES, MD5 MACs. */
bool tls_cipher_weak(uint16_t suite);
static inline bool tls_is_grease(uint16_t v) { return (v & 0x0F0F) == 0x0A0A && (v >> 8) == (v & 0xFF); }

/* Fingerprints of the hellos (tls_fingerprint.c): fill tx->ja3/ja3_hash/ja4
 * and tx->ja3s/ja3s_hash.  ja4_original: JA4_o (original order) instead. */
void tls_fingerprint_client(struct tls_tx *tx);
void tls_fingerprint_server(struct tls_tx *tx);
void tls_ja4(const struct tls_client_hello *ch, char out[40], bool original_order);

/* One DER certificate into c (tls_x509.c): 0, or -1 when libcrypto cannot
 * read it. */
int tls_cert_parse(struct tls_cert *c, const uint8_t *der, uint32_t len);

/* libcrypto takes hundreds of microseconds to read one certificate (its
 * public key goes through OpenSSL 3's decoders), while most connections
 * show certificates seen before.  The cache keeps what was read, keyed by
 * the DER bytes themselves (compared whole), for every worker (a mutex
 * guards it); results are the same with or without it. */
struct tls_cert_cache *tls_cert_cache_new(uint32_t entries);
void tls_cert_cache_free(struct tls_cert_cache *cache);
/* tls_cert_parse through the cache (cache may be NULL). */
int tls_cert_parse_cached(struct tls_cert_cache *cache, struct tls_cert *out, const uint8_t *der,
                          uint32_t len);
void tls_cert_cache_stats(struct tls_cert_cache *cache, uint64_t *hits, uint64_t *misses);

#endif
