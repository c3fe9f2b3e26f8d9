/* util/array: the one doubling rule, its first size, and the refusals that
 * leave the array and its capacity as they were. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdint.h>
#include <stdlib.h>

#include "util/array.h"

static void test_first_then_doubles(void **state)
{
    (void)state;
    uint32_t *v = NULL;
    size_t cap = 0;
    v = array_grow(v, &cap, sizeof *v, 16);
    assert_non_null(v);
    assert_int_equal(cap, 16);
    v[15] = 7;
    uint32_t *g = array_grow(v, &cap, sizeof *g, 16);
    assert_non_null(g);
    assert_int_equal(cap, 32);
    assert_int_equal(g[15], 7);     /* realloc kept what was there */
    g[31] = 9;
    free(g);
}

static void test_overflow_refused(void **state)
{
    (void)state;
    char one = 0;
    size_t cap = SIZE_MAX / 2 + 1;
    assert_null(array_grow(&one, &cap, 1, 16));
    assert_int_equal(cap, SIZE_MAX / 2 + 1);
    cap = SIZE_MAX / 16 + 1;
    assert_null(array_grow(&one, &cap, 8, 16));   /* 2 * cap * 8 > SIZE_MAX */
    assert_int_equal(cap, SIZE_MAX / 16 + 1);
    cap = 0;
    assert_null(array_grow(NULL, &cap, 8, 0));    /* no first size: nothing to make */
    assert_int_equal(cap, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_then_doubles),
        cmocka_unit_test(test_overflow_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
