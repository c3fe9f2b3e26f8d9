/* X.509 certificates through OpenSSL's libcrypto, which reads RSA, ECDSA
 * and SM2 keys and SM2-with-SM3 signatures: subject, issuer, serial, SHA-1
 * fingerprint, validity, key and signature algorithms, SANs.  Names print
 * in Suricata's form "C=CN, O=..., CN=..." with UTF-8 kept as UTF-8. */
#include "applayer/tls/tls.h"
#include "util/siphash.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static void name_text(const X509_NAME *name, char *out, size_t cap)
{
    out[0] = '\0';
    BIO *bio = BIO_new(BIO_s_mem());
    if (!bio)
        return;
    unsigned long flags = XN_FLAG_SEP_CPLUS_SPC | XN_FLAG_FN_SN | ASN1_STRFLGS_UTF8_CONVERT |
                          ASN1_STRFLGS_ESC_CTRL;
    if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
        int n = BIO_read(bio, out, (int)cap - 1);
        out[n > 0 ? n : 0] = '\0';
    }
    BIO_free(bio);
}

static void hex_colon(const unsigned char *p, size_t n, char *out, size_t cap, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    size_t k = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && k + 3 < cap; i++) {
        if (i)
            out[k++] = ':';
        out[k++] = digits[p[i] >> 4];
        out[k++] = digits[p[i] & 15];
    }
    out[k] = '\0';
}

static void serial_text(const X509 *x, char *out, size_t cap)
{
    const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
    hex_colon(ASN1_STRING_get0_data(sn), (size_t)ASN1_STRING_length(sn), out, cap, true);
}

static void time_text(const ASN1_TIME *t, char out[20], time_t *when)
{
    struct tm tm;
    out[0] = '\0';
    *when = 0;
    if (!t || !ASN1_TIME_to_tm(t, &tm))
        return;
    strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
    *when = timegm(&tm);
}

static void key_text(X509 *x, struct tls_cert *c)
{
    EVP_PKEY *key = X509_get0_pubkey(x);
    if (!key) {
        snprintf(c->key_alg, sizeof c->key_alg, "unknown");
        return;
    }
    c->key_bits = (unsigned)EVP_PKEY_get_bits(key);
    char group[64] = "";
    size_t glen = 0;
    if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &glen) == 1)
        snprintf(c->curve, sizeof c->curve, "%s", group);
    if (EVP_PKEY_is_a(key, "RSA"))
        snprintf(c->key_alg, sizeof c->key_alg, "RSA");
    else if (EVP_PKEY_is_a(key, "SM2") || strcmp(c->curve, "SM2") == 0)
        snprintf(c->key_alg, sizeof c->key_alg, "SM2");
    else if (EVP_PKEY_is_a(key, "EC"))
        snprintf(c->key_alg, sizeof c->key_alg, "EC");
    else
        snprintf(c->key_alg, sizeof c->key_alg, "%s", OBJ_nid2sn(EVP_PKEY_get_base_id(key)));
}

static void sans(X509 *x, struct tls_cert *c)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    if (!names)
        return;
    for (int i = 0; i < sk_GENERAL_NAME_num(names) && c->nsans < TLS_MAX_SANS; i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        char *out = c->sans[c->nsans];
        if (g->type == GEN_DNS) {
            const ASN1_IA5STRING *s = g->d.dNSName;
            int n = ASN1_STRING_length(s);
            if (n < 0 || n > 255)
                continue;
            memcpy(out, ASN1_STRING_get0_data(s), (size_t)n);
            out[n] = '\0';
            if (strlen(out) != (size_t)n)
                continue;           /* an embedded NUL: not a name */
        } else if (g->type == GEN_IPADD) {
            const unsigned char *p = ASN1_STRING_get0_data(g->d.iPAddress);
            int n = ASN1_STRING_length(g->d.iPAddress);
            if ((n != 4 && n != 16) || !inet_ntop(n == 4 ? AF_INET : AF_INET6, p, out, 256))
                continue;
        } else {
            continue;
        }
        c->nsans++;
    }
    GENERAL_NAMES_free(names);
}

int tls_cert_parse(struct tls_cert *c, const uint8_t *der, uint32_t len)
{
    memset(c, 0, sizeof *c);
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, len);
    if (!x)
        return -1;
    if (p != der + len) {           /* trailing bytes: not one certificate */
        X509_free(x);
        return -1;
    }
    name_text(X509_get_subject_name(x), c->subject, sizeof c->subject);
    name_text(X509_get_issuer_name(x), c->issuer, sizeof c->issuer);
    serial_text(x, c->serial, sizeof c->serial);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (X509_digest(x, EVP_sha1(), md, &mdlen))
        hex_colon(md, mdlen, c->fingerprint, sizeof c->fingerprint, false);
    time_text(X509_get0_notBefore(x), c->notbefore, &c->notbefore_t);
    time_text(X509_get0_notAfter(x), c->notafter, &c->notafter_t);
    key_text(x, c);
    int sig = X509_get_signature_nid(x);
    snprintf(c->sig_alg, sizeof c->sig_alg, "%s", sig != NID_undef ? OBJ_nid2ln(sig) : "unknown");
    c->sm2 = strcmp(c->key_alg, "SM2") == 0 || sig == NID_SM2_with_SM3;
    c->self_issued = X509_check_issued(x, x) == X509_V_OK;
    sans(x, c);
    X509_free(x);
    return 0;
}

/* ---- the certificate cache ---- */

#define CERT_CACHE_MAX_DER (64u * 1024u)
/* Entries per set.  Direct mapping (one per set) made two certificates
 * that share a slot evict each other on every connection: on the nDPI
 * corpus 61 distinct certificates in 256 slots collided often enough that
 * one lookup in thirteen went back to libcrypto. */
#define CERT_CACHE_WAYS 8u

struct cache_entry {
    uint64_t hash;
    uint64_t used;              /* the cache's clock at the last hit or fill */
    uint32_t len;               /* 0: empty */
    bool ok;                    /* libcrypto read it (else c is unused) */
    uint8_t *der;
    struct tls_cert cert;
};

struct tls_cert_cache {
    pthread_mutex_t lock;
    uint32_t n, ways, sets;     /* n = ways * sets entries */
    uint64_t hits, misses, clock;
    struct hash_key key;        /* random: senders cannot aim certificates at one set */
    struct cache_entry *e;
};

struct tls_cert_cache *tls_cert_cache_new(uint32_t entries)
{
    if (entries == 0)
        return NULL;
    struct tls_cert_cache *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->e = calloc(entries, sizeof *c->e);
    if (!c->e || pthread_mutex_init(&c->lock, NULL) != 0) {
        free(c->e);
        free(c);
        return NULL;
    }
    hash_key_random(&c->key);
    c->n = entries;
    c->ways = entries < CERT_CACHE_WAYS ? entries : CERT_CACHE_WAYS;
    c->sets = entries / c->ways;    /* a remainder of entries stays unused */
    return c;
}

void tls_cert_cache_free(struct tls_cert_cache *c)
{
    if (!c)
        return;
    for (uint32_t i = 0; i < c->n; i++)
        free(c->e[i].der);
    free(c->e);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void tls_cert_cache_stats(struct tls_cert_cache *c, uint64_t *hits, uint64_t *misses)
{
    *hits = *misses = 0;
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    *hits = c->hits;
    *misses = c->misses;
    pthread_mutex_unlock(&c->lock);
}

/* Set-associative: a certificate may sit in any of its set's ways; a miss
 * fills an empty way or the least recently used one.  A hit needs the same
 * bytes, not just the same hash. */
static struct cache_entry *find(struct tls_cert_cache *c, uint64_t h, const uint8_t *der,
                                uint32_t len, struct cache_entry **victim)
{
    struct cache_entry *set = &c->e[(size_t)(h % c->sets) * c->ways];
    *victim = &set[0];
    for (uint32_t w = 0; w < c->ways; w++) {
        struct cache_entry *e = &set[w];
        if (e->len == len && e->hash == h && memcmp(e->der, der, len) == 0)
            return e;
        if ((*victim)->len != 0 && (e->len == 0 || e->used < (*victim)->used))
            *victim = e;
    }
    return NULL;
}

int tls_cert_parse_cached(struct tls_cert_cache *c, struct tls_cert *out, const uint8_t *der,
                          uint32_t len)
{
    if (!c || len == 0 || len > CERT_CACHE_MAX_DER)
        return tls_cert_parse(out, der, len);
    uint64_t h = siphash13(&c->key, der, len);
    struct cache_entry *victim;
    pthread_mutex_lock(&c->lock);
    struct cache_entry *e = find(c, h, der, len, &victim);
    if (e) {
        c->hits++;
        e->used = ++c->clock;
        bool ok = e->ok;
        if (ok)
            *out = e->cert;
        pthread_mutex_unlock(&c->lock);
        return ok ? 0 : -1;
    }
    c->misses++;
    pthread_mutex_unlock(&c->lock);
    int rc = tls_cert_parse(out, der, len);
    uint8_t *copy = malloc(len);
    if (!copy)
        return rc;
    memcpy(copy, der, len);
    pthread_mutex_lock(&c->lock);
    /* another worker may have changed the set meanwhile: choose again */
    if (find(c, h, der, len, &victim) != NULL) {
        pthread_mutex_unlock(&c->lock);
        free(copy);
        return rc;
    }
    free(victim->der);
    victim->der = copy;
    victim->len = len;
    victim->hash = h;
    victim->used = ++c->clock;
    victim->ok = rc == 0;
    if (rc == 0)
        victim->cert = *out;
    pthread_mutex_unlock(&c->lock);
    return rc;
}
