/* The EVE JSON writer: its integers (written without snprintf), and its
 * escaping of network strings: control characters (C0, DEL and the C1
 * range U+0080-U+009F that terminals act on), quotes, backslashes and
 * invalid UTF-8 escaped; other UTF-8 kept as it is. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "event/json.h"

/* The writer's output for one string value. */
static void check(const char *in, size_t len, const char *want)
{
    struct json_writer w;
    json_init(&w);
    json_escape(&w, in, len);
    assert_false(w.failed);
    assert_string_equal(w.buf, want);
    json_free(&w);
}

static void test_c1_controls_escaped(void **state)
{
    (void)state;
    check("a\xc2\x9b" "31mb", 7, "a\\u009b31mb");            /* 8-bit CSI */
    check("\xc2\x80\xc2\x85\xc2\x9f", 6, "\\u0080\\u0085\\u009f");
    check("\xc2\xa0\xc2\xa9", 4, "\xc2\xa0\xc2\xa9");           /* NBSP, (c): printable, kept */
    check("\xc3\xa9t\xc3\xa9", 5, "\xc3\xa9t\xc3\xa9");
    check("\xe2\x80\x8b", 3, "\xe2\x80\x8b");
}

static void test_c0_del_quotes_invalid(void **state)
{
    (void)state;
    check("\x1b[31m\x7f", 6, "\\u001b[31m\\u007f");
    check("q\"b\\", 4, "q\\\"b\\\\");
    check("\n\r\t", 3, "\\n\\r\\t");
    check("\x9b\xff", 2, "\\u009b\\u00ff");                     /* lone bytes: escaped */
    check("\xc2", 1, "\\u00c2");                                 /* cut sequence */
}

/* Numbers are written without snprintf: the extremes, zero and signs. */
static void test_integers(void **state)
{
    (void)state;
    struct json_writer w;
    json_init(&w);
    json_array_begin(&w, NULL);
    json_uint(&w, NULL, 0);
    json_uint(&w, NULL, 7);
    json_uint(&w, NULL, 1234567890);
    json_uint(&w, NULL, UINT64_MAX);
    json_int(&w, NULL, 0);
    json_int(&w, NULL, -1);
    json_int(&w, NULL, 10);
    json_int(&w, NULL, INT64_MAX);
    json_int(&w, NULL, INT64_MIN);
    json_array_end(&w);
    assert_false(w.failed);
    assert_string_equal(w.buf, "[0,7,1234567890,18446744073709551615,0,-1,10,"
                               "9223372036854775807,-9223372036854775808]");
    json_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_c1_controls_escaped),
        cmocka_unit_test(test_c0_del_quotes_invalid),
        cmocka_unit_test(test_integers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
