/* The packed metadata blob: a presence mask, one 16-bit slot per present
 * field, then (8-aligned) the pointers to interned strings, then the inline
 * NUL-terminated strings.  A slot below 0x8000 is the offset of an inline
 * string; 0x8000|k names pointer k.  Equal inline strings (a DNS query is
 * also the flow's hostname) are stored once. */
#include "classify/meta.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct flow_meta {
    uint16_t present;       /* bit per enum flow_meta_field */
    uint16_t size;          /* whole blob */
    uint16_t slot[];        /* one per present field, in field order */
};

#define SLOT_POOLED 0x8000u

/* Fields whose values repeat across flows (many connections to one server
 * name, one client's JA3 and user agent): worth a pointer, not a copy.
 * The URL is the one field that is mostly unique. */
#define SHARED_FIELDS (((1u << META_FIELD_COUNT) - 1u) & ~(1u << META_HTTP_URL))

/* ---- the pool ------------------------------------------------------------ */

#define POOL_CHUNK 4096u

struct pool_chunk {
    struct pool_chunk *next;
    size_t used;
    char data[POOL_CHUNK];
};

struct meta_pool {
    const char **slots;     /* open addressing, linear probing */
    uint32_t *hashes;
    size_t nslots, count;
    struct pool_chunk *chunks;
    size_t bytes, max_bytes;
};

struct meta_pool *meta_pool_new(size_t max_bytes)
{
    struct meta_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->nslots = 64;
    p->slots = calloc(p->nslots, sizeof *p->slots);
    p->hashes = calloc(p->nslots, sizeof *p->hashes);
    if (!p->slots || !p->hashes) {
        meta_pool_free(p);
        return NULL;
    }
    p->max_bytes = max_bytes;
    p->bytes = p->nslots * (sizeof *p->slots + sizeof *p->hashes);
    return p;
}

void meta_pool_free(struct meta_pool *p)
{
    if (!p)
        return;
    while (p->chunks) {
        struct pool_chunk *next = p->chunks->next;
        free(p->chunks);
        p->chunks = next;
    }
    free(p->slots);
    free(p->hashes);
    free(p);
}

size_t meta_pool_bytes(const struct meta_pool *p)
{
    return p ? p->bytes : 0;
}

static uint32_t str_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;       /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h | 1u;                  /* 0 marks an empty slot */
}

static bool pool_grow(struct meta_pool *p)
{
    size_t n = p->nslots * 2;
    size_t extra = p->nslots * (sizeof *p->slots + sizeof *p->hashes);
    if (p->bytes + extra > p->max_bytes)
        return false;
    const char **slots = calloc(n, sizeof *slots);
    uint32_t *hashes = calloc(n, sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return false;
    }
    for (size_t i = 0; i < p->nslots; i++) {
        if (!p->hashes[i])
            continue;
        size_t j = p->hashes[i] & (n - 1);
        while (hashes[j])
            j = (j + 1) & (n - 1);
        hashes[j] = p->hashes[i];
        slots[j] = p->slots[i];
    }
    free(p->slots);
    free(p->hashes);
    p->slots = slots, p->hashes = hashes, p->nslots = n;
    p->bytes += extra;
    return true;
}

static char *pool_store(struct meta_pool *p, const char *s, size_t n)
{
    struct pool_chunk *c = p->chunks;
    if (!c || c->used + n + 1 > POOL_CHUNK) {
        if (p->bytes + sizeof *c > p->max_bytes)
            return NULL;
        c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->next = p->chunks, c->used = 0;
        p->chunks = c;
        p->bytes += sizeof *c;
    }
    char *d = c->data + c->used;
    memcpy(d, s, n);
    d[n] = '\0';
    c->used += n + 1;
    return d;
}

/* The pooled copy of s, or NULL when the pool is full. */
static const char *pool_intern(struct meta_pool *p, const char *s, size_t n)
{
    uint32_t h = str_hash(s, n);
    size_t i = h & (p->nslots - 1);
    for (; p->hashes[i]; i = (i + 1) & (p->nslots - 1))
        if (p->hashes[i] == h && strncmp(p->slots[i], s, n) == 0 && p->slots[i][n] == '\0')
            return p->slots[i];
    if ((p->count + 1) * 2 > p->nslots) {
        if (!pool_grow(p))
            return NULL;
        for (i = h & (p->nslots - 1); p->hashes[i]; i = (i + 1) & (p->nslots - 1))
            ;
    }
    char *d = pool_store(p, s, n);
    if (!d)
        return NULL;
    p->hashes[i] = h;
    p->slots[i] = d;
    p->count++;
    return d;
}

/* ---- the blob ------------------------------------------------------------ */

void meta_builder_init(struct meta_builder *b, struct meta_pool *pool)
{
    memset(b, 0, sizeof *b);
    b->pool = pool;
}

void meta_builder_add(struct meta_builder *b, enum flow_meta_field field, const char *s)
{
    if ((unsigned)field >= META_FIELD_COUNT || !s || !*s)
        return;
    b->str[field] = s;
    b->len[field] = (uint16_t)strnlen(s, META_MAX_FIELD);
}

static size_t align8(size_t n)
{
    return (n + 7u) & ~(size_t)7u;
}

struct flow_meta *meta_builder_finish(struct meta_builder *b)
{
    unsigned count = 0, npooled = 0;
    size_t bytes = 0;
    const char *pooled[META_FIELD_COUNT];
    for (int i = 0; i < META_FIELD_COUNT; i++) {
        pooled[i] = NULL;
        if (!b->str[i])
            continue;
        count++;
        /* a pointer costs 8 bytes: short strings stay inline */
        if (b->pool && (SHARED_FIELDS & (1u << i)) && b->len[i] >= sizeof(char *))
            pooled[i] = pool_intern(b->pool, b->str[i], b->len[i]);
        if (pooled[i])
            npooled++;
        else
            bytes += b->len[i] + 1u;
    }
    if (!count)
        return NULL;
    size_t ptrs_at = npooled ? align8(sizeof(struct flow_meta) + count * sizeof(uint16_t))
                             : sizeof(struct flow_meta) + count * sizeof(uint16_t);
    size_t head = ptrs_at + npooled * sizeof(const char *);
    struct flow_meta *m = malloc(head + bytes);     /* bounded: 13 * 513 + head */
    if (!m)
        return NULL;
    char *data = (char *)m;
    size_t at = head;
    unsigned k = 0, kp = 0;
    m->present = 0;
    for (int i = 0; i < META_FIELD_COUNT; i++) {
        if (!b->str[i])
            continue;
        m->present |= (uint16_t)(1u << i);
        if (pooled[i]) {
            memcpy(data + ptrs_at + kp * sizeof(const char *), &pooled[i], sizeof pooled[i]);
            m->slot[k++] = (uint16_t)(SLOT_POOLED | kp++);
            continue;
        }
        size_t off = 0;
        for (unsigned j = 0; j < k; j++) {
            if (m->slot[j] & SLOT_POOLED)
                continue;
            const char *prev = data + m->slot[j];
            if (strlen(prev) == b->len[i] && memcmp(prev, b->str[i], b->len[i]) == 0) {
                off = m->slot[j];
                break;
            }
        }
        if (!off) {
            off = at;
            memcpy(data + at, b->str[i], b->len[i]);
            data[at + b->len[i]] = '\0';
            at += b->len[i] + 1u;
        }
        m->slot[k++] = (uint16_t)off;
    }
    m->size = (uint16_t)at;
    if (at < head + bytes) {        /* give back what de-duplication saved */
        struct flow_meta *shrunk = realloc(m, at);
        if (shrunk)
            m = shrunk;
    }
    return m;
}

uint32_t meta_size(const struct flow_meta *m)
{
    return m ? m->size : 0;
}

const char *flow_meta_get(const struct flow_meta *m, enum flow_meta_field field, uint32_t *len)
{
    if (!m || (unsigned)field >= META_FIELD_COUNT || !(m->present & (1u << field)))
        return NULL;
    unsigned count = (unsigned)__builtin_popcount(m->present);
    unsigned idx = (unsigned)__builtin_popcount(m->present & ((1u << field) - 1u));
    uint16_t slot = m->slot[idx];
    const char *s;
    if (slot & SLOT_POOLED) {
        size_t ptrs_at = align8(sizeof(struct flow_meta) + count * sizeof(uint16_t));
        memcpy(&s, (const char *)m + ptrs_at + (slot & ~SLOT_POOLED) * sizeof(const char *),
               sizeof s);
    } else {
        s = (const char *)m + slot;
    }
    if (len)
        *len = (uint32_t)strlen(s);
    return s;
}
