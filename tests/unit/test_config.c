/* Unit tests of the configuration's checks and numbers: one grammar of
 * counts, sizes and durations (util/units), and unknown keys reported with
 * the closest known key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "util/text.h"
#include "util/units.h"

static double parse_ok(const char *text, enum units_kind kind)
{
    double v = -1;
    if (units_parse(text, kind, &v) != 0)
        fail_msg("'%s' did not parse", text);
    return v;
}

static void test_units(void **state)
{
    (void)state;
    /* "m" is the unit of its kind, the same in every place that reads one */
    assert_true(parse_ok("2m", UNITS_COUNT) == 2e6);
    assert_true(parse_ok("2m", UNITS_SIZE) == 2.0 * 1048576);
    assert_true(parse_ok("2m", UNITS_DURATION) == 120e6);
    assert_true(parse_ok("64KB", UNITS_SIZE) == 65536);
    assert_true(parse_ok("1 gb", UNITS_SIZE) == 1073741824.0);
    assert_true(parse_ok("3k", UNITS_COUNT) == 3000);
    assert_true(parse_ok("250us", UNITS_DURATION) == 250);
    assert_true(parse_ok("1.5s", UNITS_DURATION) == 1.5e6);
    assert_true(parse_ok("30", UNITS_DURATION) == 30e6);     /* plain = seconds */
    assert_true(parse_ok("2d", UNITS_DURATION) == 2 * 86400e6);
    double v;
    const char *bad[] = { "", "x", "-1", "5x", "1kb", "inf", "nan", "1 2" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(units_parse(bad[i], UNITS_COUNT, &v), -1);
    assert_int_equal(units_parse("10us", UNITS_SIZE, &v), -1);
    assert_int_equal(units_parse("10mb", UNITS_DURATION, &v), -1);
    assert_int_equal(units_parse(NULL, UNITS_SIZE, &v), -1);
}

static struct config *load(const char *yaml, struct diag *d)
{
    struct config *cfg = config_new();
    assert_non_null(cfg);
    assert_int_equal(config_load_buffer(cfg, "x.yaml", yaml, strlen(yaml), d), 0);
    return cfg;
}

static void test_config_numbers(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct config *cfg = load("a:\n  count: 1m\n  size: 1m\n  time: 500us\n  frac: 1.5\n", &d);
    assert_int_equal(config_get_int(cfg, "a.count", 0, 0, INT64_MAX, &d), 1000000);
    assert_int_equal(config_get_size(cfg, "a.size", 0, 0, INT64_MAX, &d), 1048576);
    assert_int_equal(config_get_duration_usec(cfg, "a.time", 0, &d), 500);
    assert_int_equal(d.errors, 0);
    assert_int_equal(config_get_int(cfg, "a.frac", 7, 0, 100, &d), 7);
    assert_int_equal(d.errors, 1);
    assert_non_null(strstr(d.last, "x.yaml:5: a.frac: '1.5' is not an integer in [0, 100]"));
    assert_int_equal(config_get_int(cfg, "a.count", 7, 0, 100, &d), 7);   /* out of range */
    assert_int_equal(d.errors, 2);
    config_free(cfg);
}

static const char *const known[] = {
    "outputs.redis.mode", "outputs.redis.port", "outputs.eve.types", "vars.address-groups.*",
    "rules.files",
};
#define NKNOWN (sizeof known / sizeof known[0])

static void test_unknown_keys(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct config *cfg = load("outputs:\n  redis:\n    modee: list\n    port: 1\n"
                              "vars:\n  address-groups:\n    MY_NET: \"[10.0.0.0/8]\"\n"
                              "rules:\n  files: [a, b, c]\n", &d);
    /* as a warning at start */
    assert_int_equal(config_check_keys(cfg, known, NKNOWN, false, &d), 1);
    assert_int_equal(d.errors, 0);
    assert_int_equal(d.warnings, 1);
    assert_string_equal(d.last, "x.yaml:3: unknown key 'outputs.redis.modee' "
                                "(did you mean 'outputs.redis.mode'?)");
    /* as an error under -T; --set keys too, and no suggestion for nonsense */
    assert_int_equal(config_set_override(cfg, "zzz=1", &d), 0);
    assert_int_equal(config_check_keys(cfg, known, NKNOWN, true, &d), 2);
    assert_int_equal(d.errors, 2);
    assert_string_equal(d.last, "--set: unknown key 'zzz'");
    /* '*' stands for one element only */
    assert_int_equal(config_set_override(cfg, "vars.address-groups.A.B=1", &d), 0);
    assert_int_equal(config_check_keys(cfg, known, NKNOWN, true, &d), 3);
    config_free(cfg);
}

static void test_text(void **state)
{
    (void)state;
    char buf[] = " \t a b \r\n";
    assert_string_equal(text_trim(buf), "a b");
    char empty[] = "   ";
    assert_string_equal(text_trim(empty), "");
    assert_int_equal(text_hex_digit('7'), 7);
    assert_int_equal(text_hex_digit('a'), 10);
    assert_int_equal(text_hex_digit('F'), 15);
    assert_int_equal(text_hex_digit('g'), -1);
    assert_int_equal(text_hex_digit(0x100 + '1'), -1);
    /* decimal fields of dates: exactly n digits, the cursor moves past them */
    const char *date = "2026-12", *p = date;
    assert_int_equal(text_decimal_digits(&p, 4), 2026);
    assert_ptr_equal(p, date + 4);
    p++;
    assert_int_equal(text_decimal_digits(&p, 2), 12);
    assert_int_equal(*p, '\0');
    p = "1a";
    assert_int_equal(text_decimal_digits(&p, 2), -1);
    p = "7";                                   /* the string ends first */
    assert_int_equal(text_decimal_digits(&p, 2), -1);
    p = "999999999";
    assert_int_equal(text_decimal_digits(&p, 9), 999999999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units),
        cmocka_unit_test(test_config_numbers),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
