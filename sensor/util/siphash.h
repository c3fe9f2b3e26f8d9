/* Keyed hashing for tables whose keys come off the wire: SipHash-1-3 with a
 * 128-bit key drawn at random for each table, so that nobody outside the
 * process can pick keys that land in one bucket (hash flooding).  Where an
 * output must be the same on every run (flow_id), use a fixed derivation
 * instead, never this. */
#ifndef XIEZHI_SIPHASH_H
#define XIEZHI_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct hash_key {
    uint64_t k[2];
};

/* Fills key from getrandom(); if the kernel cannot give random bytes yet,
 * from the clock, the process id and the key's address (weaker, but never
 * a constant). */
void hash_key_random(struct hash_key *key);
uint64_t siphash13(const struct hash_key *key, const void *data, size_t len);

#endif
