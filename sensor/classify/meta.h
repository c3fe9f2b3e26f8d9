/* The packed metadata blob (struct flow_meta): one allocation holding the
 * strings nDPI extracted for a flow, built field by field at the end of
 * detection.  Internal to classify. */
#ifndef XIEZHI_CLASSIFY_META_H
#define XIEZHI_CLASSIFY_META_H

#include <stdint.h>

#include "classify/result.h"

/* Longest string kept per field; longer ones are cut (certificate DNs and
 * URLs can be long, and a flow must stay small). */
#define META_MAX_FIELD 512

struct meta_builder {
    const char *str[META_FIELD_COUNT];
    uint16_t len[META_FIELD_COUNT];
};

void meta_builder_init(struct meta_builder *b);
/* Empty or NULL strings are not stored. */
void meta_builder_add(struct meta_builder *b, enum flow_meta_field field, const char *s);
/* NULL when nothing was added or memory ran out. */
struct flow_meta *meta_builder_finish(const struct meta_builder *b);
uint32_t meta_size(const struct flow_meta *m);

#endif
