/* EVE "tls" (Suricata's names: the server certificate's fields, sni,
 * version, ja3/ja3s/ja4, ALPNs) and "tls_info" (cipher_suite, the chain,
 * and for TLCP the encryption certificate, the second of the chain). */
#include "applayer/tls/tls_eve.h"

#include <stdio.h>

const char *tls_tx_cipher_name(const struct tls_tx *tx, char buf[8])
{
    if (!(tx->progress & TLS_SERVER_HELLO) || tx->server.version == 0x0002)
        return NULL;        /* none yet, or SSL 2.0 (its client picks in CLIENT-MASTER-KEY) */
    const char *name = tls_cipher_name(tx->server.cipher);
    if (name)
        return name;
    snprintf(buf, 8, "0x%04x", tx->server.cipher);
    return buf;
}

static void write_fingerprint(struct json_writer *w, const char *key, const char *hash,
                              const char *text)
{
    json_object_begin(w, key);
    json_string(w, "hash", hash);
    json_string(w, "string", text);
    json_object_end(w);
}

void tls_eve_write(struct json_writer *w, const struct tls_tx *tx)
{
    json_object_begin(w, "tls");
    tls_eve_members(w, tx);
    json_object_end(w);
}

void tls_eve_members(struct json_writer *w, const struct tls_tx *tx)
{
    if (tx->ncerts > 0) {
        const struct tls_cert *c = &tx->certs[0];
        json_string(w, "subject", c->subject);
        json_string(w, "issuerdn", c->issuer);
        json_string(w, "serial", c->serial);
        json_string(w, "fingerprint", c->fingerprint);
        if (c->nsans) {
            json_array_begin(w, "subjectaltname");
            for (unsigned i = 0; i < c->nsans; i++)
                json_string(w, NULL, c->sans[i]);
            json_array_end(w);
        }
    }
    if (tx->client.has_sni)
        json_string(w, "sni", tx->client.sni);
    json_string(w, "version", tls_version_name(tls_tx_version(tx)));
    if (tx->ncerts > 0) {
        if (tx->certs[0].notbefore[0])
            json_string(w, "notbefore", tx->certs[0].notbefore);
        if (tx->certs[0].notafter[0])
            json_string(w, "notafter", tx->certs[0].notafter);
    }
    if (tx->progress & TLS_CLIENT_HELLO) {
        write_fingerprint(w, "ja3", tx->ja3_hash, tx->ja3);
        if (tx->ja4[0])                 /* none for an SSLv2-format hello */
            json_string(w, "ja4", tx->ja4);
        if (tx->client.nalpns) {
            json_array_begin(w, "client_alpns");
            for (unsigned i = 0; i < tx->client.nalpns; i++)
                json_string(w, NULL, tx->client.alpns[i]);
            json_array_end(w);
        }
    }
    if (tx->progress & TLS_SERVER_HELLO) {
        if (tx->ja3s_hash[0])           /* none for an SSL 2.0 SERVER-HELLO */
            write_fingerprint(w, "ja3s", tx->ja3s_hash, tx->ja3s);
        if (tx->server.alpn[0]) {
            json_array_begin(w, "server_alpns");
            json_string(w, NULL, tx->server.alpn);
            json_array_end(w);
        }
    }
}

static void write_cert(struct json_writer *w, const char *key, const struct tls_cert *c)
{
    json_object_begin(w, key);
    json_string(w, "subject", c->subject);
    json_string(w, "issuerdn", c->issuer);
    json_string(w, "serial", c->serial);
    json_string(w, "fingerprint", c->fingerprint);
    json_string(w, "notbefore", c->notbefore);
    json_string(w, "notafter", c->notafter);
    json_string(w, "key_alg", c->key_alg);
    json_string(w, "sig_alg", c->sig_alg);
    json_object_end(w);
}

void tls_eve_write_info(struct json_writer *w, const struct tls_tx *tx)
{
    char buf[8];
    json_object_begin(w, "tls_info");
    const char *suite = tls_tx_cipher_name(tx, buf);
    if (suite) {
        json_string(w, "cipher_suite", suite);
        json_bool(w, "cipher_weak", tls_cipher_weak(tx->server.cipher));
    }
    if (tx->progress & TLS_CERTIFICATE)
        json_uint(w, "chain_len", tx->chain_len);
    if (tx->ncerts > 0) {
        json_string(w, "key_alg", tx->certs[0].key_alg);
        json_string(w, "sig_alg", tx->certs[0].sig_alg);
    }
    /* TLCP: the second certificate is the server's encryption certificate. */
    if (tls_tx_version(tx) == TLS_VERSION_TLCP && tx->ncerts > 1)
        write_cert(w, "encryption_cert", &tx->certs[1]);
    json_object_end(w);
}
