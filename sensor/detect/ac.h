/* Aho-Corasick multi-pattern matcher for the rule prefilter.  Text and
 * patterns are folded to lower case inside the automaton; case-sensitive
 * patterns are verified byte for byte on each hit, so one automaton serves
 * both.  Built once at load, then shared read-only by worker threads. */
#ifndef XIEZHI_DETECT_AC_H
#define XIEZHI_DETECT_AC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ac;

struct ac *ac_new(void);
void ac_free(struct ac *ac);
/* Adds a pattern (copied) with the caller's id.  -1 on out of memory. */
int ac_add(struct ac *ac, const uint8_t *pat, uint32_t len, bool nocase, uint32_t id);
/* Compiles the automaton; no ac_add afterwards.  -1 on out of memory. */
int ac_build(struct ac *ac);
size_t ac_pattern_count(const struct ac *ac);
size_t ac_state_count(const struct ac *ac);

/* Calls hit(ctx, id) for every occurrence of every pattern in text (ids may
 * repeat).  Returns the number of hits reported. */
typedef void (*ac_hit_fn)(void *ctx, uint32_t id);
size_t ac_scan(const struct ac *ac, const uint8_t *text, size_t len, ac_hit_fn hit, void *ctx);

#endif
