/* Fuzz target: the SSH parser over chunks of both directions (format in
 * proto_chunks.h).  Properties: no crash or leak; the EVE "ssh" object
 * parses as JSON; fed one byte at a time the same chunks give the same
 * banners, HASSH and counters.
 * fuzz-needs: ssh_parse ssh_eve_write */
#include <stdint.h>
#include <string.h>

#include "applayer/ssh/ssh.h"
#include "applayer/ssh/ssh_eve.h"
#include "fuzz_util.h"
#include "json_check.h"
#include "proto_chunks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_INITIALIZE_QUIET

#define CHECK FUZZ_CHECK

static void run(struct ssh_state *st, const uint8_t *data, size_t size, bool bytewise)
{
    ssh_state_init(st, NULL);
    struct chunk c;
    while (chunk_next(&data, &size, &c)) {
        if (!bytewise || c.len == 0) {
            ssh_parse(st, c.dir, c.data, c.len, c.flags);
            continue;
        }
        for (uint32_t i = 0; i < c.len; i++)
            ssh_parse(st, c.dir, c.data + i, 1,
                      (i == 0 ? c.flags & PDU_CHUNK_GAP : 0u) |
                          (i + 1 == c.len ? c.flags & PDU_CHUNK_EOF : 0u));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ssh_state a, b;
    run(&a, data, size, false);
    run(&b, data, size, true);
    struct json_writer w;
    json_init(&w);
    json_object_begin(&w, NULL);
    ssh_eve_write(&w, &a);
    json_object_end(&w);
    CHECK(json_ok(&w), "writer failed");
    size_t bad;
    CHECK(json_check_object(w.buf, w.len, &bad), "bad JSON at %zu: %s", bad, w.buf);
    json_free(&w);
    for (int d = 0; d < 2; d++) {
        CHECK(a.side[d].banner == b.side[d].banner, "banner");
        CHECK(strcmp(a.side[d].software_version, b.side[d].software_version) == 0, "software");
        CHECK(strcmp(a.side[d].hassh, b.side[d].hassh) == 0, "hassh");
        CHECK(a.side[d].newkeys == b.side[d].newkeys, "newkeys");
    }
    CHECK(memcmp(&a.counters.malformed, &b.counters.malformed, sizeof a.counters.malformed) == 0,
          "malformed counters differ");
    ssh_state_free(&a);
    ssh_state_free(&b);
    return 0;
}
