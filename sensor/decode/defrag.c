/* IP fragment reassembly.  Each datagram being rebuilt is a fragment set: a
 * sorted list of non-overlapping byte ranges, found through a hash table and
 * kept on an age list (oldest first) for the timeout and the memory cap.
 *
 * Overlap policy "first" (Suricata's "first", the behaviour of Windows and
 * Solaris stacks for most cases): bytes already held are never replaced; a
 * fragment that overlaps held data contributes only the bytes that fill
 * gaps, and is counted once in frag_overlap (exact duplicates included).  A
 * second last fragment with a different end, or data beyond the known end,
 * is dropped and counted as an overlap too.
 *
 * Memory: every set and range is charged (header + bytes) against the cap;
 * a fragment that does not fit evicts the oldest other sets first, each
 * counted in frag_memcap.  Only fragments allocate; whole packets never do. */
#include "decode/defrag.h"
#include "util/siphash.h"

#include <stdlib.h>
#include <string.h>

#define DEFRAG_BUCKETS 16384u
#define DEFRAG_MAX_PIECES 1024u      /* ranges per set; beyond: frag_too_many */
#define DEFRAG_MAX_DATAGRAM 65535u

struct frag_piece {
    struct frag_piece *next;
    uint32_t start, end;
    uint8_t data[];
};

struct frag_set {
    struct frag_key key;
    struct frag_set *hnext;
    struct frag_set *older, *newer;
    uint64_t first_ts;
    uint32_t total;               /* payload length, known once the last fragment came */
    bool have_last;
    uint32_t held;                /* bytes in pieces */
    unsigned npieces;
    size_t mem;
    uint32_t hdr_len;             /* 0 until the offset-0 fragment came */
    uint8_t hdr[40];
    struct frag_piece *pieces;
};

struct defrag {
    size_t memcap, mem;
    uint64_t timeout_usec;
    size_t nsets;
    struct frag_set *oldest, *newest;
    struct hash_key hash_key;     /* random: the key fields are the sender's to choose */
    struct frag_set *buckets[DEFRAG_BUCKETS];
};

struct defrag *defrag_new(size_t memcap, uint64_t timeout_usec)
{
    struct defrag *df = calloc(1, sizeof *df);
    if (!df)
        return NULL;
    df->memcap = memcap;
    df->timeout_usec = timeout_usec;
    hash_key_random(&df->hash_key);
    return df;
}

static uint32_t key_hash(const struct defrag *df, const struct frag_key *k)
{
    return (uint32_t)(siphash13(&df->hash_key, k, sizeof *k) & (DEFRAG_BUCKETS - 1));
}

static void set_unlink(struct defrag *df, struct frag_set *s)
{
    struct frag_set **pp = &df->buckets[key_hash(df, &s->key)];
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    if (df->oldest == s)
        df->oldest = s->newer;
    else if (s->older)
        s->older->newer = s->newer;
    if (df->newest == s)
        df->newest = s->older;
    else if (s->newer)
        s->newer->older = s->older;
}

static void set_free(struct defrag *df, struct frag_set *s)
{
    set_unlink(df, s);
    for (struct frag_piece *pc = s->pieces, *next; pc; pc = next) {
        next = pc->next;
        free(pc);
    }
    df->mem -= s->mem;
    df->nsets--;
    free(s);
}

void defrag_free(struct defrag *df)
{
    if (!df)
        return;
    while (df->oldest)
        set_free(df, df->oldest);
    free(df);
}

void defrag_expire(struct defrag *df, uint64_t now_usec, struct decode_stats *stats)
{
    while (df->oldest && now_usec > df->oldest->first_ts + df->timeout_usec) {
        set_free(df, df->oldest);
        stats->errors[DECODE_ERR_FRAG_TIMEOUT]++;
    }
}

size_t defrag_memuse(const struct defrag *df) { return df->mem; }
size_t defrag_longest_chain(const struct defrag *df)
{
    size_t longest = 0;
    for (size_t i = 0; i < DEFRAG_BUCKETS; i++) {
        size_t n = 0;
        for (const struct frag_set *s = df->buckets[i]; s; s = s->hnext)
            n++;
        if (n > longest)
            longest = n;
    }
    return longest;
}

size_t defrag_sets(const struct defrag *df) { return df->nsets; }

/* Makes room for need more bytes by evicting the oldest sets other than
 * keep.  Returns 0 when it fits. */
static int make_room(struct defrag *df, size_t need, const struct frag_set *keep, struct decode_stats *stats)
{
    struct frag_set *victim = df->oldest;
    while (df->mem + need > df->memcap) {
        if (victim && victim == keep)
            victim = victim->newer;
        if (!victim)
            return -1;
        struct frag_set *next = victim->newer;
        set_free(df, victim);
        stats->errors[DECODE_ERR_FRAG_MEMCAP]++;
        victim = next;
    }
    return 0;
}

static struct frag_set *set_find(struct defrag *df, const struct frag_key *k)
{
    for (struct frag_set *s = df->buckets[key_hash(df, k)]; s; s = s->hnext)
        if (memcmp(&s->key, k, sizeof *k) == 0)
            return s;
    return NULL;
}

static struct frag_set *set_create(struct defrag *df, const struct frag_input *in, struct decode_stats *stats)
{
    if (make_room(df, sizeof(struct frag_set), NULL, stats) < 0)
        return NULL;
    struct frag_set *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->key = *in->key;
    s->first_ts = in->ts_usec;
    s->mem = sizeof *s;
    uint32_t h = key_hash(df, in->key);
    s->hnext = df->buckets[h];
    df->buckets[h] = s;
    s->older = df->newest;
    if (df->newest)
        df->newest->newer = s;
    else
        df->oldest = s;
    df->newest = s;
    df->mem += s->mem;
    df->nsets++;
    return s;
}

/* Walks the gaps of [start,end) not covered by the set's pieces, counting
 * them in *w and, with insert, filling each with a new piece copied from
 * data.  Returns whether any byte of [start,end) was already held. */
struct gap_walk {
    unsigned ngaps;
    size_t bytes;
};

static bool walk_gaps(struct frag_set *s, uint32_t start, uint32_t end, const uint8_t *data,
                      struct gap_walk *w, bool insert)
{
    bool overlap = false;
    uint32_t cur = start;
    struct frag_piece **link = &s->pieces;
    while (cur < end) {
        struct frag_piece *pc = *link;
        uint32_t gap_end = end;
        if (pc && pc->end <= cur) {
            link = &pc->next;
            continue;
        }
        if (pc && pc->start <= cur) {       /* cur is inside pc */
            overlap = true;
            cur = pc->end;
            link = &pc->next;
            continue;
        }
        if (pc && pc->start < end) {
            gap_end = pc->start;
            overlap = true;
        }
        if (insert) {
            struct frag_piece *n = malloc(sizeof *n + (gap_end - cur));
            if (!n)
                return overlap;
            n->start = cur;
            n->end = gap_end;
            memcpy(n->data, data + (cur - start), gap_end - cur);
            n->next = pc;
            *link = n;
            link = &n->next;
        }
        w->ngaps++;
        w->bytes += gap_end - cur;
        cur = gap_end;
    }
    return overlap;
}

static const struct frag_piece *last_piece(const struct frag_set *s)
{
    const struct frag_piece *pc = s->pieces;
    while (pc->next)
        pc = pc->next;
    return pc;
}

/* Whether the pieces cover [0,total) without a hole. */
static bool set_complete(const struct frag_set *s)
{
    if (!s->have_last || !s->hdr_len || s->held < s->total)
        return false;
    uint32_t cur = 0;
    for (const struct frag_piece *pc = s->pieces; pc && cur < s->total; pc = pc->next) {
        if (pc->start > cur)
            return false;
        if (pc->end > cur)
            cur = pc->end;
    }
    return cur >= s->total;
}

static void set_assemble(const struct frag_set *s, uint8_t *out, uint32_t *out_len)
{
    memcpy(out, s->hdr, s->hdr_len);
    for (const struct frag_piece *pc = s->pieces; pc && pc->start < s->total; pc = pc->next) {
        uint32_t end = pc->end < s->total ? pc->end : s->total;
        memcpy(out + s->hdr_len + pc->start, pc->data, end - pc->start);
    }
    *out_len = s->hdr_len + s->total;
}

enum frag_result defrag_add(struct defrag *df, const struct frag_input *in, uint8_t *out, size_t out_cap,
                            uint32_t *out_len, struct decode_stats *stats)
{
    defrag_expire(df, in->ts_usec, stats);
    uint32_t end = in->offset + in->len;
    if (in->hdr_len + (uint64_t)end > DEFRAG_MAX_DATAGRAM || in->hdr_len + (uint64_t)end > out_cap) {
        stats->errors[DECODE_ERR_FRAG_TOO_LARGE]++;
        return FRAG_DROPPED;
    }
    struct frag_set *s = set_find(df, in->key);
    if (!s && !(s = set_create(df, in, stats))) {
        stats->errors[DECODE_ERR_FRAG_MEMCAP]++;
        return FRAG_DROPPED;
    }
    if ((s->have_last && end > s->total) || (s->have_last && !in->more && end != s->total)) {
        stats->errors[DECODE_ERR_FRAG_OVERLAP]++;     /* the end is already known: first wins */
        return FRAG_DROPPED;
    }
    if (!in->more && !s->have_last && s->pieces && last_piece(s)->end > end) {
        stats->errors[DECODE_ERR_FRAG_OVERLAP]++;     /* data already held lies past this end */
        return FRAG_DROPPED;
    }
    struct gap_walk w = { 0, 0 };
    bool overlap = walk_gaps(s, in->offset, end, in->data, &w, false);
    if (s->npieces + w.ngaps > DEFRAG_MAX_PIECES) {
        set_free(df, s);
        stats->errors[DECODE_ERR_FRAG_TOO_MANY]++;
        return FRAG_DROPPED;
    }
    size_t need = w.ngaps * sizeof(struct frag_piece) + w.bytes;
    /* make_room may free sets but never s; w stays valid. */
    if (make_room(df, need, s, stats) < 0) {
        set_free(df, s);
        stats->errors[DECODE_ERR_FRAG_MEMCAP]++;
        return FRAG_DROPPED;
    }
    if (overlap)
        stats->errors[DECODE_ERR_FRAG_OVERLAP]++;
    struct gap_walk done = { 0, 0 };
    walk_gaps(s, in->offset, end, in->data, &done, true);
    size_t used = done.ngaps * sizeof(struct frag_piece) + done.bytes;
    s->npieces += done.ngaps;
    s->held += (uint32_t)done.bytes;
    s->mem += used;
    df->mem += used;
    if (!in->more) {
        s->have_last = true;
        s->total = end;
    }
    if (in->offset == 0 && !s->hdr_len) {
        s->hdr_len = in->hdr_len;
        memcpy(s->hdr, in->hdr, in->hdr_len);
    }
    if (!set_complete(s))
        return FRAG_HELD;
    set_assemble(s, out, out_len);
    set_free(df, s);
    return FRAG_DONE;
}
