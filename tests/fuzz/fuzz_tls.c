/* Fuzz target: the TLS/TLCP parser over chunks of both directions (format
 * in proto_chunks.h).  Properties: no crash or leak; the EVE "tls" and
 * "tls_info" objects parse as JSON at every step; the same chunks fed one
 * byte at a time give the same fingerprints, certificates and counters.
 * fuzz-needs: tls_parse tls_eve_write */
#include <stdint.h>
#include <string.h>

#include "applayer/tls/tls.h"
#include "applayer/tls/tls_eve.h"
#include "fuzz_util.h"
#include "json_check.h"
#include "proto_chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_INITIALIZE_QUIET

#define CHECK FUZZ_CHECK

static void check_eve(const struct tls_tx *tx)
{
    struct json_writer w;
    json_init(&w);
    json_object_begin(&w, NULL);
    tls_eve_write(&w, tx);
    tls_eve_write_info(&w, tx);
    json_object_end(&w);
    CHECK(json_ok(&w), "writer failed");
    size_t bad;
    CHECK(json_check_object(w.buf, w.len, &bad), "bad JSON at %zu: %s", bad, w.buf);
    json_free(&w);
}

static void on_progress(void *ctx, const struct tls_tx *tx, enum tls_progress what,
                        enum flow_direction dir)
{
    (void)ctx;
    (void)what;
    (void)dir;
    check_eve(tx);
}

static void run(struct tls_state *st, const uint8_t *data, size_t size, bool bytewise)
{
    struct tls_sink sink = { on_progress, NULL };
    tls_state_init(st, &sink);
    struct chunk c;
    while (chunk_next(&data, &size, &c)) {
        if (!bytewise || c.len == 0) {
            tls_parse(st, c.dir, c.data, c.len, c.flags);
            continue;
        }
        for (uint32_t i = 0; i < c.len; i++)
            tls_parse(st, c.dir, c.data + i, 1,
                      (i == 0 ? c.flags & PDU_CHUNK_GAP : 0u) |
                          (i + 1 == c.len ? c.flags & PDU_CHUNK_EOF : 0u));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct tls_state a, b;
    run(&a, data, size, false);
    run(&b, data, size, true);
    check_eve(&a.tx);
    CHECK(a.tx.progress == b.tx.progress, "progress %x != %x", a.tx.progress, b.tx.progress);
    CHECK(strcmp(a.tx.ja3, b.tx.ja3) == 0, "ja3");
    CHECK(strcmp(a.tx.ja4, b.tx.ja4) == 0, "ja4 %s != %s", a.tx.ja4, b.tx.ja4);
    CHECK(strcmp(a.tx.ja3s, b.tx.ja3s) == 0, "ja3s");
    CHECK(a.tx.ncerts == b.tx.ncerts, "ncerts");
    for (unsigned i = 0; i < a.tx.ncerts; i++)
        CHECK(strcmp(a.tx.certs[i].fingerprint, b.tx.certs[i].fingerprint) == 0, "cert %u", i);
    /* tls.certs: each certificate's DER inside the kept list, the same both ways */
    CHECK(a.tx.nder == b.tx.nder, "nder %u != %u", a.tx.nder, b.tx.nder);
    for (unsigned i = 0; i < a.tx.nder; i++)
        CHECK(a.tx.der_len[i] == b.tx.der_len[i] &&
                  memcmp(a.tx.der + a.tx.der_off[i], b.tx.der + b.tx.der_off[i], a.tx.der_len[i]) == 0,
              "der %u", i);
    CHECK(memcmp(&a.counters.malformed, &b.counters.malformed, sizeof a.counters.malformed) == 0,
          "malformed counters differ");
    tls_state_free(&a);
    tls_state_free(&b);
    return 0;
}
