/* IP fragment reassembly for IPv4 and IPv6: fragment sets keyed by
 * (addresses, id, protocol, VLAN), bounded by a memory cap and a timeout.
 * Overlap policy "first": bytes already held are never replaced. */
#ifndef XIEZHI_DEFRAG_H
#define XIEZHI_DEFRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/decode.h"

struct frag_key {
    uint8_t src[16], dst[16];
    uint32_t id;
    uint16_t vlan[2];
    uint8_t family, proto;
    uint8_t pad[2];           /* zeroed: keys compare with memcmp */
};

struct frag_input {
    const struct frag_key *key;
    uint64_t ts_usec;
    const uint8_t *hdr;       /* this fragment's fixed IP header (kept from offset 0) */
    uint32_t hdr_len;         /* 20 or 40 */
    uint32_t offset;          /* payload offset in bytes */
    bool more;                /* more fragments follow */
    const uint8_t *data;      /* fragment payload */
    uint32_t len;
};

enum frag_result { FRAG_HELD, FRAG_DROPPED, FRAG_DONE };

struct defrag;

struct defrag *defrag_new(size_t memcap, uint64_t timeout_usec);
void defrag_free(struct defrag *df);
/* Adds a fragment.  FRAG_DONE: out holds the first fragment's fixed header
 * then the whole payload, *out_len bytes in all (the caller fixes length and
 * fragment fields).  Drops are counted in stats->errors. */
enum frag_result defrag_add(struct defrag *df, const struct frag_input *in, uint8_t *out, size_t out_cap,
                            uint32_t *out_len, struct decode_stats *stats);
/* Drops sets whose first fragment is older than the timeout (FRAG_TIMEOUT). */
void defrag_expire(struct defrag *df, uint64_t now_usec, struct decode_stats *stats);
/* Bytes currently held and sets alive, for tests and stats. */
size_t defrag_memuse(const struct defrag *df);
size_t defrag_sets(const struct defrag *df);
/* The most sets in one hash bucket (walks every bucket: tests only). */
size_t defrag_longest_chain(const struct defrag *df);

#endif
