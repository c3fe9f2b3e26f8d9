/* Growing arrays, written once: the doubling rule and its overflow check
 * that the parsers' tables, the spool and the capture file list share. */
#ifndef XIEZHI_UTIL_ARRAY_H
#define XIEZHI_UTIL_ARRAY_H

#include <stddef.h>

/* Makes room for more elements of elem_size bytes in v, which holds *cap:
 * first_cap of them when *cap is 0, twice as many after.  Returns the
 * (maybe moved) array with *cap raised, or NULL with v and *cap unchanged
 * when out of memory or the size would overflow.  Callers grow when their
 * count reaches *cap. */
void *array_grow(void *v, size_t *cap, size_t elem_size, size_t first_cap);

#endif
