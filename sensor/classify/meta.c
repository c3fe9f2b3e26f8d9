/* The packed metadata blob: a presence mask, one offset per present field,
 * then the NUL-terminated strings.  Equal strings (a DNS query is also the
 * flow's hostname) are stored once.  Lengths are not stored: strlen on a
 * field of at most META_MAX_FIELD bytes is cheaper than 2 bytes per field on
 * every flow. */
#include "classify/meta.h"

#include <stdlib.h>
#include <string.h>

struct flow_meta {
    uint16_t present;       /* bit per enum flow_meta_field */
    uint16_t size;          /* whole blob, header included */
    uint16_t off[];         /* one per present field, in field order */
};

void meta_builder_init(struct meta_builder *b)
{
    memset(b, 0, sizeof *b);
}

void meta_builder_add(struct meta_builder *b, enum flow_meta_field field, const char *s)
{
    if ((unsigned)field >= META_FIELD_COUNT || !s || !*s)
        return;
    size_t n = strnlen(s, META_MAX_FIELD);
    b->str[field] = s;
    b->len[field] = (uint16_t)n;
}

struct flow_meta *meta_builder_finish(const struct meta_builder *b)
{
    unsigned count = 0;
    size_t bytes = 0;
    for (int i = 0; i < META_FIELD_COUNT; i++) {
        if (!b->str[i])
            continue;
        count++;
        bytes += b->len[i] + 1u;
    }
    if (!count)
        return NULL;
    size_t head = sizeof(struct flow_meta) + count * sizeof(uint16_t);
    struct flow_meta *m = malloc(head + bytes);     /* bounded: 13 * 513 + head */
    if (!m)
        return NULL;
    char *data = (char *)m;
    size_t at = head;
    unsigned k = 0;
    m->present = 0;
    for (int i = 0; i < META_FIELD_COUNT; i++) {
        if (!b->str[i])
            continue;
        m->present |= (uint16_t)(1u << i);
        /* reuse an earlier equal string */
        size_t off = 0;
        for (unsigned j = 0; j < k; j++) {
            const char *prev = data + m->off[j];
            if (strlen(prev) == b->len[i] && memcmp(prev, b->str[i], b->len[i]) == 0) {
                off = m->off[j];
                break;
            }
        }
        if (!off) {
            off = at;
            memcpy(data + at, b->str[i], b->len[i]);
            data[at + b->len[i]] = '\0';
            at += b->len[i] + 1u;
        }
        m->off[k++] = (uint16_t)off;
    }
    m->size = (uint16_t)at;
    /* give back what de-duplication saved */
    if (at < head + bytes) {
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
    unsigned idx = (unsigned)__builtin_popcount(m->present & ((1u << field) - 1u));
    const char *s = (const char *)m + m->off[idx];
    if (len)
        *len = (uint32_t)strlen(s);
    return s;
}
