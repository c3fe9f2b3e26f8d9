/* Growing arrays: one doubling rule with an overflow check (util/array.h). */
#include "util/array.h"

#include <stdint.h>
#include <stdlib.h>

void *array_grow(void *v, size_t *cap, size_t elem_size, size_t first_cap)
{
    if (*cap > SIZE_MAX / 2)
        return NULL;
    size_t want = *cap ? *cap * 2 : first_cap;
    if (want == 0 || elem_size == 0 || want > SIZE_MAX / elem_size)
        return NULL;
    void *grown = realloc(v, want * elem_size);
    if (grown)
        *cap = want;
    return grown;
}
