/* util/path: the one path join, for absolute names, empty or missing
 * directories, a trailing '/', and an output buffer too small. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "util/path.h"

static void test_relative_under_dir(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(path_join(out, sizeof out, "/etc/xiezhi", "rules/a.rules"), 0);
    assert_string_equal(out, "/etc/xiezhi/rules/a.rules");
    assert_int_equal(path_join(out, sizeof out, "/", "x.rules"), 0);
    assert_string_equal(out, "/x.rules");
    assert_int_equal(path_join(out, sizeof out, "out/", "eve.json"), 0);
    assert_string_equal(out, "out/eve.json");
}

static void test_name_alone(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(path_join(out, sizeof out, "/etc/xiezhi", "/var/lib/x.lst"), 0);
    assert_string_equal(out, "/var/lib/x.lst");
    assert_int_equal(path_join(out, sizeof out, NULL, "a.rules"), 0);
    assert_string_equal(out, "a.rules");
    assert_int_equal(path_join(out, sizeof out, "", "a.rules"), 0);
    assert_string_equal(out, "a.rules");
    assert_int_equal(path_join(out, sizeof out, "rules", ""), 0);
    assert_string_equal(out, "rules/");
}

static void test_too_small(void **state)
{
    (void)state;
    char out[8];
    assert_int_equal(path_join(out, sizeof out, "rules", "a"), 0);      /* 8 bytes with NUL */
    assert_string_equal(out, "rules/a");
    assert_int_equal(path_join(out, sizeof out, "rules", "ab"), -1);
    assert_int_equal(path_join(out, sizeof out, NULL, "12345678"), -1);
}

static void test_alloc(void **state)
{
    (void)state;
    char *p = path_join_alloc("spool", "0001.seg");
    assert_non_null(p);
    assert_string_equal(p, "spool/0001.seg");
    free(p);
    p = path_join_alloc(NULL, "/abs");
    assert_non_null(p);
    assert_string_equal(p, "/abs");
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relative_under_dir),
        cmocka_unit_test(test_name_alone),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
