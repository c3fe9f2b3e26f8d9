/* Client and server fingerprints from the hellos: JA3/JA3S (Salesforce:
 * MD5 of decimal field lists) and JA4 (FoxIO: a readable prefix plus
 * truncated SHA-256 of sorted hex lists).  GREASE values never count. */
#include "applayer/tls/tls.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bounded text; appends past the capacity are cut. */
struct text {
    char *buf;
    size_t cap, len;
};

static void put(struct text *t, const char *s)
{
    size_t n = strlen(s);
    if (t->len + 1 >= t->cap)
        return;
    if (n > t->cap - 1 - t->len)
        n = t->cap - 1 - t->len;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void put_dec_list(struct text *t, const uint16_t *v, unsigned n, bool skip_grease)
{
    char num[8];
    bool first = true;
    for (unsigned i = 0; i < n; i++) {
        if (skip_grease && tls_is_grease(v[i]))
            continue;
        snprintf(num, sizeof num, "%s%u", first ? "" : "-", v[i]);
        put(t, num);
        first = false;
    }
}

static void digest_hex(const EVP_MD *md, const char *text, char *out, size_t hexlen)
{
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    static const char digits[] = "0123456789abcdef";
    if (!EVP_Digest(text, strlen(text), d, &n, md, NULL)) {
        out[0] = '\0';
        return;
    }
    size_t i;
    for (i = 0; i < hexlen && i / 2 < n; i++)
        out[i] = digits[i % 2 ? d[i / 2] & 15 : d[i / 2] >> 4];
    out[i] = '\0';
}

/* An SSLv2-format hello's cipher specs, 24-bit values in decimal (what
 * Zeek's JA3 script gets for such a hello; Salesforce's reader skips it). */
static void put_specs(struct text *t, const struct tls_client_hello *ch)
{
    char num[12];
    for (unsigned i = 0; i < ch->nspecs; i++) {
        snprintf(num, sizeof num, "%s%u", i ? "-" : "", ch->specs[i]);
        put(t, num);
    }
}

void tls_fingerprint_client(struct tls_tx *tx)
{
    const struct tls_client_hello *ch = &tx->client;
    struct text t = { tx->ja3, sizeof tx->ja3, 0 };
    char num[8];
    tx->ja3[0] = '\0';
    snprintf(num, sizeof num, "%u,", ch->version);
    put(&t, num);
    if (ch->sslv2)
        put_specs(&t, ch);
    else
        put_dec_list(&t, ch->ciphers, ch->nciphers, true);
    put(&t, ",");
    put_dec_list(&t, ch->exts, ch->nexts, true);
    put(&t, ",");
    put_dec_list(&t, ch->groups, ch->ngroups, true);
    put(&t, ",");
    for (unsigned i = 0; i < ch->npoint_formats; i++) {
        snprintf(num, sizeof num, "%s%u", i ? "-" : "", ch->point_formats[i]);
        put(&t, num);
    }
    digest_hex(EVP_md5(), tx->ja3, tx->ja3_hash, 32);
    tx->ja4[0] = '\0';
    if (!ch->sslv2)         /* JA4 reads TLS ClientHello messages only */
        tls_ja4(ch, tx->ja4, false);
}

void tls_fingerprint_server(struct tls_tx *tx)
{
    const struct tls_server_hello *sh = &tx->server;
    struct text t = { tx->ja3s, sizeof tx->ja3s, 0 };
    char num[16];
    tx->ja3s[0] = '\0';
    snprintf(num, sizeof num, "%u,%u,", sh->version, sh->cipher);
    put(&t, num);
    put_dec_list(&t, sh->exts, sh->nexts, true);
    digest_hex(EVP_md5(), tx->ja3s, tx->ja3s_hash, 32);
}

/* ---- JA4 ---- */

static const char *ja4_version(const struct tls_client_hello *ch)
{
    static const struct {
        uint16_t v;
        const char *s;
    } names[] = { { 0x0304, "13" }, { 0x0303, "12" }, { 0x0302, "11" }, { 0x0301, "10" },
                  { 0x0300, "s3" }, { 0x0002, "s2" }, { 0xfeff, "d1" }, { 0xfefd, "d2" },
                  { 0xfefc, "d3" } };
    uint16_t v = 0;
    for (unsigned i = 0; i < ch->nversions; i++)
        if (!tls_is_grease(ch->versions[i]) && ch->versions[i] > v)
            v = ch->versions[i];
    if (ch->nversions == 0)
        v = ch->version;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].v == v)
            return names[i].s;
    return "00";
}

static bool alnum(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void ja4_alpn(const struct tls_client_hello *ch, char out[3])
{
    static const char digits[] = "0123456789abcdef";
    if (ch->nalpns == 0 || ch->alpn0_len == 0) {
        memcpy(out, "00", 3);
        return;
    }
    const uint8_t *a = (const uint8_t *)ch->alpns[0];
    uint8_t first = a[0], last = a[ch->alpn0_len - 1];
    if (alnum(first) && alnum(last)) {
        out[0] = (char)first;
        out[1] = (char)last;
    } else {
        out[0] = digits[first >> 4];
        out[1] = digits[last & 15];
    }
    out[2] = '\0';
}

static int cmp_u16(const void *a, const void *b)
{
    uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;
    return x < y ? -1 : x > y;
}

/* Non-GREASE values of v (minus SNI and ALPN when skip_sni_alpn), sorted
 * or as sent, as "hhhh,hhhh" into t.  Returns how many. */
static unsigned hex_list(struct text *t, const uint16_t *v, unsigned n, bool sorted,
                         bool skip_sni_alpn)
{
    uint16_t tmp[TLS_MAX_CIPHERS];
    unsigned k = 0;
    for (unsigned i = 0; i < n && k < TLS_MAX_CIPHERS; i++) {
        if (tls_is_grease(v[i]) || (skip_sni_alpn && (v[i] == 0x0000 || v[i] == 0x0010)))
            continue;
        tmp[k++] = v[i];
    }
    if (sorted)
        qsort(tmp, k, sizeof tmp[0], cmp_u16);
    char num[8];
    for (unsigned i = 0; i < k; i++) {
        snprintf(num, sizeof num, "%s%04x", i ? "," : "", tmp[i]);
        put(t, num);
    }
    return k;
}

static unsigned count_non_grease(const uint16_t *v, unsigned n)
{
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        k += !tls_is_grease(v[i]);
    return k > 99 ? 99 : k;
}

void tls_ja4(const struct tls_client_hello *ch, char out[40], bool original_order)
{
    char list[2048], b[13], c[13], alpn[3];
    struct text t = { list, sizeof list, 0 };
    bool sni = false;
    for (unsigned i = 0; i < ch->nexts; i++)
        sni |= ch->exts[i] == 0x0000;
    ja4_alpn(ch, alpn);

    list[0] = '\0';
    if (hex_list(&t, ch->ciphers, ch->nciphers, !original_order, false))
        digest_hex(EVP_sha256(), list, b, 12);
    else
        memcpy(b, "000000000000", 13);

    t.len = 0;
    list[0] = '\0';
    if (hex_list(&t, ch->exts, ch->nexts, !original_order, !original_order)) {
        if (count_non_grease(ch->sig_algs, ch->nsig_algs)) {
            put(&t, "_");
            hex_list(&t, ch->sig_algs, ch->nsig_algs, false, false);
        }
        digest_hex(EVP_sha256(), list, c, 12);
    } else {
        memcpy(c, "000000000000", 13);
    }
    snprintf(out, 40, "t%s%c%02u%02u%s_%s_%s", ja4_version(ch), sni ? 'd' : 'i',
             count_non_grease(ch->ciphers, ch->nciphers), count_non_grease(ch->exts, ch->nexts),
             alpn, b, c);
}
