/* The prefilter's multi-pattern matcher, in two parts.  Patterns of four
 * bytes or more go through a window filter: with L the shortest of them,
 * every occurrence covers a four-byte window that starts at a multiple of
 * L - 3, so only those windows are read, case-folded, and tested in a
 * blocked Bloom filter (four bits of one 64-bit word); the few that pass
 * are looked up in a hash table of (window, pattern, offset) and verified.
 * The windows are independent, so the CPU pipelines the scan.  Shorter
 * patterns go into an Aho-Corasick automaton, a full DFA over a compressed
 * alphabet (only the case-folded bytes that occur in patterns get a
 * column), with outputs chained by dictionary links. */
#include "detect/ac.h"
#include "util/array.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define AC_NONE UINT32_MAX
/* The automaton holds at most this many leading bytes of each pattern; the
 * rest is verified on a hit.  Shallow tries share most states, so thousands
 * of patterns stay a table that fits the cache. */
#define AC_PREFIX_MAX 3
/* Set in a transition when the target state reports something. */
#define AC_OUT_FLAG 0x80000000u

struct ac_pattern {
    uint8_t *pat;
    uint32_t len;
    uint32_t depth;         /* bytes in the automaton: min(len, AC_PREFIX_MAX) */
    uint32_t id;
    uint32_t next;          /* next pattern ending in the same state */
    bool nocase;
};

struct window_entry {
    uint32_t key;           /* the window's four bytes, case-folded, as loaded */
    uint32_t pattern;
    uint32_t offset;        /* where the window sits in the pattern */
    uint32_t next;          /* next entry in the bucket */
};

#define WIN 4                   /* patterns this long or longer use the window filter */
/* The longest stride of the window filter: a pattern enters the filter
 * under this many windows at most. */
#define STEP_MAX 8

struct ac {
    uint64_t *bloom;        /* blocked Bloom filter: four bits in one word per window */
    uint32_t bloom_shift;   /* 64 - log2(words) */
    uint32_t *bucket;       /* heads of entry chains, AC_NONE if empty */
    uint32_t bucket_shift;  /* 64 - log2(buckets) */
    uint32_t step;          /* the filter looks at every step-th window only */
    struct window_entry *went;  /* (window, pattern, offset) triples */
    size_t nwent, went_cap;
    size_t nlong;
    struct ac_pattern *pats;
    size_t npats, pats_cap;
    uint8_t cls[256];       /* byte -> column */
    uint32_t ncls;
    uint32_t *delta;        /* nstates * ncls */
    uint16_t *delta16;      /* the same, when the states fit 15 bits (cache) */
    uint32_t *out;          /* first pattern ending here, AC_NONE if none */
    uint32_t *dict;         /* nearest proper suffix state with output, 0 if none */
    uint32_t *fail;
    size_t nstates, states_cap;
    bool built;
};

struct ac *ac_new(void)
{
    return calloc(1, sizeof(struct ac));
}

void ac_free(struct ac *ac)
{
    if (!ac)
        return;
    for (size_t i = 0; i < ac->npats; i++)
        free(ac->pats[i].pat);
    free(ac->pats);
    free(ac->bloom);
    free(ac->bucket);
    free(ac->went);
    free(ac->delta);
    free(ac->delta16);
    free(ac->out);
    free(ac->dict);
    free(ac->fail);
    free(ac);
}

int ac_add(struct ac *ac, const uint8_t *pat, uint32_t len, bool nocase, uint32_t id)
{
    if (ac->built || len == 0)
        return -1;
    if (ac->npats == ac->pats_cap) {
        struct ac_pattern *np = array_grow(ac->pats, &ac->pats_cap, sizeof *np, 64);
        if (!np)
            return -1;
        ac->pats = np;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, pat, len);
    uint32_t depth = len < AC_PREFIX_MAX ? len : AC_PREFIX_MAX;
    ac->pats[ac->npats++] = (struct ac_pattern){ copy, len, depth, id, AC_NONE, nocase };
    return 0;
}

size_t ac_pattern_count(const struct ac *ac) { return ac->npats; }
size_t ac_state_count(const struct ac *ac) { return ac->nstates; }

static int ac_new_state(struct ac *ac, uint32_t *out_state)
{
    if (ac->nstates == ac->states_cap) {
        size_t cap = ac->states_cap ? ac->states_cap * 2 : 256;
        uint32_t *nd = realloc(ac->delta, cap * ac->ncls * sizeof *nd);
        if (!nd)
            return -1;
        ac->delta = nd;
        uint32_t *no = realloc(ac->out, cap * sizeof *no);
        if (!no)
            return -1;
        ac->out = no;
        ac->states_cap = cap;
    }
    uint32_t s = (uint32_t)ac->nstates++;
    for (uint32_t c = 0; c < ac->ncls; c++)
        ac->delta[(size_t)s * ac->ncls + c] = AC_NONE;
    ac->out[s] = AC_NONE;
    *out_state = s;
    return 0;
}

static void ac_alphabet(struct ac *ac)
{
    bool used[256] = { false };
    for (size_t i = 0; i < ac->npats; i++)
        for (uint32_t j = 0; j < ac->pats[i].depth && ac->pats[i].len < WIN; j++)
            used[tolower(ac->pats[i].pat[j])] = true;
    uint8_t lower_cls[256] = { 0 };
    uint32_t n = 1;
    for (int b = 0; b < 256; b++)
        if (used[b])
            lower_cls[b] = (uint8_t)n++;
    for (int b = 0; b < 256; b++)
        ac->cls[b] = lower_cls[tolower(b)];
    ac->ncls = n;
}

static uint32_t load32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Setting bit 5 of every byte folds letters to lower case; it merges a few
 * other byte pairs too, which only costs a verification. */
#define FOLD4 0x20202020u

static inline uint64_t window_hash(uint32_t folded)
{
    return (uint64_t)folded * 0x9e3779b97f4a7c15ull;
}

/* The filter's bits come from the middle of the product, its word and
 * bucket from the top: the low bits of a multiplicative hash are weak. */
static inline uint64_t bloom_bits(uint64_t h)
{
    return (1ull << ((h >> 20) & 63)) | (1ull << ((h >> 26) & 63)) | (1ull << ((h >> 32) & 63)) |
           (1ull << ((h >> 38) & 63));
}

static int window_add(struct ac *ac, uint32_t pattern, uint32_t offset)
{
    if (ac->nwent == ac->went_cap) {
        struct window_entry *nv = array_grow(ac->went, &ac->went_cap, sizeof *nv, 256);
        if (!nv)
            return -1;
        ac->went = nv;
    }
    uint32_t key = load32(ac->pats[pattern].pat + offset) | FOLD4;
    uint64_t h = window_hash(key);
    ac->bloom[h >> ac->bloom_shift] |= bloom_bits(h);
    uint32_t b = (uint32_t)(h >> ac->bucket_shift);
    ac->went[ac->nwent] = (struct window_entry){ key, pattern, offset, ac->bucket[b] };
    ac->bucket[b] = (uint32_t)ac->nwent++;
    return 0;
}

static uint32_t log2_at_least(size_t n, uint32_t lo, uint32_t hi)
{
    uint32_t b = lo;
    while (b < hi && ((size_t)1 << b) < n)
        b++;
    return b;
}

/* Every pattern is at least step + WIN - 1 bytes long, so each occurrence
 * covers a window starting at a multiple of step: the scan looks only at
 * those, and each pattern enters the filter under its first step windows.
 * An occurrence is found exactly once, through the one window of it that
 * is aligned. */
static int build_window(struct ac *ac)
{
    ac->step = STEP_MAX;
    for (size_t i = 0; i < ac->npats; i++) {
        uint32_t len = ac->pats[i].len;
        if (len < WIN)
            continue;
        if (len - WIN + 1 < ac->step)
            ac->step = len - WIN + 1;
        ac->nlong++;
    }
    size_t entries = ac->nlong * ac->step;
    /* about two windows (eight bits) per 64-bit word, a chain of one per
     * bucket: a false positive costs two cache misses, so the filter is
     * sized for fewer than one in a thousand windows */
    uint32_t word_bits = log2_at_least(entries / 2, 6, 20);
    uint32_t bucket_bits = log2_at_least(entries, 8, 22);
    ac->bloom_shift = 64 - word_bits;
    ac->bucket_shift = 64 - bucket_bits;
    ac->bloom = calloc((size_t)1 << word_bits, sizeof *ac->bloom);
    ac->bucket = malloc(((size_t)1 << bucket_bits) * sizeof *ac->bucket);
    if (!ac->bloom || !ac->bucket)
        return -1;
    memset(ac->bucket, 0xff, ((size_t)1 << bucket_bits) * sizeof *ac->bucket);
    /* Insert in reverse so each chain lists patterns in the order added. */
    for (size_t i = ac->npats; i-- > 0;) {
        if (ac->pats[i].len < WIN)
            continue;
        for (uint32_t k = ac->step; k-- > 0;)
            if (window_add(ac, (uint32_t)i, k) < 0)
                return -1;
    }
    return 0;
}

int ac_build(struct ac *ac)
{
    if (ac->built)
        return 0;
    if (build_window(ac) < 0)
        return -1;
    ac_alphabet(ac);
    uint32_t root;
    if (ac_new_state(ac, &root) < 0)
        return -1;
    for (size_t i = 0; i < ac->npats; i++) {
        uint32_t s = root;
        const struct ac_pattern *p = &ac->pats[i];
        if (p->len >= WIN)
            continue;       /* window filter */
        for (uint32_t j = 0; j < p->depth; j++) {
            size_t cell = (size_t)s * ac->ncls + ac->cls[p->pat[j]];
            if (ac->delta[cell] == AC_NONE) {
                uint32_t ns;
                if (ac_new_state(ac, &ns) < 0)
                    return -1;
                ac->delta[(size_t)s * ac->ncls + ac->cls[p->pat[j]]] = ns;
            }
            s = ac->delta[(size_t)s * ac->ncls + ac->cls[p->pat[j]]];
        }
        ac->pats[i].next = ac->out[s];
        ac->out[s] = (uint32_t)i;
    }
    ac->fail = calloc(ac->nstates, sizeof *ac->fail);
    ac->dict = calloc(ac->nstates, sizeof *ac->dict);
    uint32_t *queue = malloc(ac->nstates * sizeof *queue);
    if (!ac->fail || !ac->dict || !queue) {
        free(queue);
        return -1;
    }
    size_t head = 0, tail = 0;
    for (uint32_t c = 0; c < ac->ncls; c++) {
        uint32_t *d = &ac->delta[c];
        if (*d == AC_NONE) {
            *d = 0;
        } else {
            ac->fail[*d] = 0;
            queue[tail++] = *d;
        }
    }
    while (head < tail) {
        uint32_t s = queue[head++];
        uint32_t f = ac->fail[s];
        ac->dict[s] = ac->out[f] != AC_NONE ? f : ac->dict[f];
        for (uint32_t c = 0; c < ac->ncls; c++) {
            uint32_t *d = &ac->delta[(size_t)s * ac->ncls + c];
            uint32_t via_fail = ac->delta[(size_t)f * ac->ncls + c];
            if (*d == AC_NONE) {
                *d = via_fail;
            } else {
                ac->fail[*d] = via_fail;
                queue[tail++] = *d;
            }
        }
    }
    free(queue);
    /* Flag every transition into a state that reports (its own output or a
     * dictionary link), so the scan loop tests the value it already has. */
    size_t cells = ac->nstates * ac->ncls;
    for (size_t i = 0; i < cells; i++) {
        uint32_t t = ac->delta[i];
        if (ac->out[t] != AC_NONE || ac->dict[t] != 0)
            ac->delta[i] = t | AC_OUT_FLAG;
    }
    if (cells > 0 && ac->nstates < 0x8000) {
        ac->delta16 = malloc(cells * sizeof *ac->delta16);
        if (!ac->delta16)
            return -1;
        for (size_t i = 0; i < cells; i++) {
            uint32_t t = ac->delta[i];
            ac->delta16[i] = (uint16_t)((t & ~AC_OUT_FLAG) | ((t & AC_OUT_FLAG) ? 0x8000u : 0));
        }
        free(ac->delta);
        ac->delta = NULL;
    }
    ac->built = true;
    return 0;
}

static bool verify(const struct ac_pattern *p, const uint8_t *at)
{
    if (!p->nocase)
        return memcmp(at, p->pat, p->len) == 0;
    for (uint32_t i = 0; i < p->len; i++)
        if (tolower(at[i]) != tolower(p->pat[i]))
            return false;
    return true;
}

static size_t ac_report(const struct ac *ac, uint32_t s, const uint8_t *text, size_t len,
                        size_t end, ac_hit_fn hit, void *ctx)
{
    size_t hits = 0;
    for (; s != 0; s = ac->dict[s]) {
        for (uint32_t p = ac->out[s]; p != AC_NONE; p = ac->pats[p].next) {
            const struct ac_pattern *pat = &ac->pats[p];
            size_t start = end + 1 - pat->depth;
            if (start + pat->len > len || !verify(pat, text + start))
                continue;
            hit(ctx, pat->id);
            hits++;
        }
    }
    return hits;
}

static size_t window_verify(const struct ac *ac, uint32_t e, uint32_t key, const uint8_t *text,
                            size_t len, size_t at, ac_hit_fn hit, void *ctx)
{
    size_t hits = 0;
    for (; e != AC_NONE; e = ac->went[e].next) {
        const struct window_entry *we = &ac->went[e];
        if (we->key != key || we->offset > at)
            continue;
        const struct ac_pattern *pat = &ac->pats[we->pattern];
        size_t start = at - we->offset;
        if (start + pat->len > len || !verify(pat, text + start))
            continue;
        hit(ctx, pat->id);
        hits++;
    }
    return hits;
}

/* One load of the filter per looked-at window, with no branch but the
 * rarely taken one: the iterations are independent and pipeline. */
static size_t window_scan(const struct ac *ac, const uint8_t *text, size_t len, ac_hit_fn hit,
                          void *ctx)
{
    if (ac->nlong == 0 || len < WIN)
        return 0;
    const uint64_t *bloom = ac->bloom;
    const uint32_t shift = ac->bloom_shift, step = ac->step;
    size_t hits = 0;
    for (size_t at = 0; at + WIN <= len; at += step) {
        uint32_t key = load32(text + at) | FOLD4;
        uint64_t h = window_hash(key), bits = bloom_bits(h);
        if ((bloom[h >> shift] & bits) != bits)
            continue;
        hits += window_verify(ac, ac->bucket[h >> ac->bucket_shift], key, text, len, at, hit,
                              ctx);
    }
    return hits;
}

size_t ac_scan(const struct ac *ac, const uint8_t *text, size_t len, ac_hit_fn hit, void *ctx)
{
    if (!ac->built || ac->npats == 0)
        return 0;
    size_t hits = window_scan(ac, text, len, hit, ctx);
    if (ac->npats == ac->nlong)
        return hits;
    const uint8_t *cls = ac->cls;
    const uint32_t ncls = ac->ncls;
    uint32_t s = 0;
    if (ac->delta16) {
        const uint16_t *d16 = ac->delta16;
        for (size_t i = 0; i < len; i++) {
            uint32_t t = d16[s * ncls + cls[text[i]]];
            s = t & 0x7fffu;
            if (t & 0x8000u)
                hits += ac_report(ac, s, text, len, i, hit, ctx);
        }
        return hits;
    }
    const uint32_t *delta = ac->delta;
    for (size_t i = 0; i < len; i++) {
        uint32_t t = delta[(size_t)s * ncls + cls[text[i]]];
        s = t & ~AC_OUT_FLAG;
        if (t & AC_OUT_FLAG)
            hits += ac_report(ac, s, text, len, i, hit, ctx);
    }
    return hits;
}
