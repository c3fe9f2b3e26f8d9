/* SipHash-1-3 (Aumasson and Bernstein; the variant Rust's HashMap and
 * CPython use for the same job) and the random keys of the tables that use
 * it.  See siphash.h for why. */
#include "util/siphash.h"

#include <stdint.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

void hash_key_random(struct hash_key *key)
{
    if (getrandom(key->k, sizeof key->k, GRND_NONBLOCK) == (ssize_t)sizeof key->k)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    key->k[0] = ((uint64_t)ts.tv_sec << 32 ^ (uint64_t)ts.tv_nsec) ^ (uintptr_t)key;
    key->k[1] = ((uint64_t)getpid() << 32 ^ (uint64_t)time(NULL)) * 0x9E3779B97F4A7C15ull;
}

static inline uint64_t rotl64(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

static inline void sipround(uint64_t v[4])
{
    v[0] += v[1]; v[1] = rotl64(v[1], 13); v[1] ^= v[0]; v[0] = rotl64(v[0], 32);
    v[2] += v[3]; v[3] = rotl64(v[3], 16); v[3] ^= v[2];
    v[0] += v[3]; v[3] = rotl64(v[3], 21); v[3] ^= v[0];
    v[2] += v[1]; v[1] = rotl64(v[1], 17); v[1] ^= v[2]; v[2] = rotl64(v[2], 32);
}

static inline uint64_t read_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t siphash13(const struct hash_key *key, const void *data, size_t len)
{
    const uint8_t *in = data;
    uint64_t v[4] = {0x736f6d6570736575ull ^ key->k[0], 0x646f72616e646f6dull ^ key->k[1],
                     0x6c7967656e657261ull ^ key->k[0], 0x7465646279746573ull ^ key->k[1]};
    size_t full = len & ~(size_t)7;
    for (size_t i = 0; i < full; i += 8) {
        uint64_t m = read_le64(in + i);
        v[3] ^= m;
        sipround(v);
        v[0] ^= m;
    }
    uint64_t last = (uint64_t)len << 56;
    for (size_t i = 0; i < (len & 7); i++)
        last |= (uint64_t)in[full + i] << (8 * i);
    v[3] ^= last;
    sipround(v);
    v[0] ^= last;
    v[2] ^= 0xff;
    sipround(v);
    sipround(v);
    sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}
