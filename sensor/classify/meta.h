/* The packed metadata blob (struct flow_meta): one allocation holding the
 * strings nDPI extracted for a flow, built field by field at the end of
 * detection.  Values that repeat across flows (JA3 hashes, user agents, TLS
 * versions, certificate issuers...) are interned once in a bounded
 * per-classifier pool and the blob only points at them.  Internal to
 * classify. */
#ifndef XIEZHI_CLASSIFY_META_H
#define XIEZHI_CLASSIFY_META_H

#include <stddef.h>
#include <stdint.h>

#include "classify/result.h"

/* Longest string kept per field; longer ones are cut (certificate DNs and
 * URLs can be long, and a flow must stay small). */
#define META_MAX_FIELD 512

/* Interned strings: append-only, freed with the classifier, so every blob
 * pointing into it must be released first.  Once full, values are stored
 * inline in the blobs instead. */
struct meta_pool;

struct meta_pool *meta_pool_new(size_t max_bytes);
void meta_pool_free(struct meta_pool *p);
size_t meta_pool_bytes(const struct meta_pool *p);

struct meta_builder {
    struct meta_pool *pool;
    const char *str[META_FIELD_COUNT];
    uint16_t len[META_FIELD_COUNT];
    uint16_t shared;        /* fields to intern */
};

void meta_builder_init(struct meta_builder *b, struct meta_pool *pool);
/* Empty or NULL strings are not stored. */
void meta_builder_add(struct meta_builder *b, enum flow_meta_field field, const char *s);
/* NULL when nothing was added or memory ran out. */
struct flow_meta *meta_builder_finish(struct meta_builder *b);
uint32_t meta_size(const struct flow_meta *m);

#endif
