/* The output set without Redis: eve.json and stdout exporters, routing by
 * event type, reopen after logrotate moved the file, and config errors
 * reported as messages (unknown type, unknown mode, unwritable file). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "exporters/exporter.h"
#include "util/log.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/xiezhi-outputs.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct output_set *open_with(const char *const *sets, struct diag *d)
{
    struct config *cfg = config_new();
    for (size_t i = 0; sets && sets[i]; i++)
        config_set_override(cfg, sets[i], d);
    struct outputs_env env = { .log_dir = dir, .sensor_id = "s1" };
    struct output_set *set = outputs_open(cfg, &env, d);
    config_free(cfg);
    return set;
}

static void emit(struct output_set *set, enum event_type type, const char *json)
{
    struct event_record ev = { type, 1, json, strlen(json) };
    outputs_write(set, &ev);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_defaults_and_routing(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct output_set *set = open_with(NULL, &d);
    assert_non_null(set);
    assert_int_equal(d.errors, 0);
    /* defaults: eve takes all four types, Redis is off */
    assert_int_equal(outputs_type_mask(set),
                     EVENT_TYPE_MASK(EVENT_ALERT) | EVENT_TYPE_MASK(EVENT_ANOMALY) |
                         EVENT_TYPE_MASK(EVENT_FLOW) | EVENT_TYPE_MASK(EVENT_STATS));
    emit(set, EVENT_ALERT, "{\"event_type\":\"alert\"}");
    emit(set, EVENT_FLOW, "{\"event_type\":\"flow\"}");
    outputs_flush(set);
    struct outputs_stats st;
    outputs_get_stats(set, &st);
    assert_int_equal(st.written, 2);
    assert_int_equal(st.delivered, 0);
    outputs_close(set);
    char path[300];
    snprintf(path, sizeof path, "%s/eve.json", dir);
    assert_string_equal(slurp(path), "{\"event_type\":\"alert\"}\n{\"event_type\":\"flow\"}\n");

    /* types [alert] on a file of another name: flow events are not written */
    const char *sets[] = { "outputs.eve.filename=alerts.json", "outputs.eve.types=[alert]", NULL };
    set = open_with(sets, &d);
    assert_int_equal(outputs_type_mask(set), EVENT_TYPE_MASK(EVENT_ALERT));
    emit(set, EVENT_FLOW, "{\"event_type\":\"flow\"}");
    emit(set, EVENT_ALERT, "{\"a\":1}");
    outputs_close(set);
    snprintf(path, sizeof path, "%s/alerts.json", dir);
    assert_string_equal(slurp(path), "{\"a\":1}\n");
}

static void test_reopen_after_rotate(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct output_set *set = open_with(NULL, &d);
    emit(set, EVENT_ALERT, "{\"n\":1}");
    outputs_flush(set);
    char path[300], rotated[300];
    snprintf(path, sizeof path, "%s/eve.json", dir);
    snprintf(rotated, sizeof rotated, "%s/eve.json.1", dir);
    assert_int_equal(rename(path, rotated), 0);
    emit(set, EVENT_ALERT, "{\"n\":2}");     /* still goes to the moved file */
    outputs_reopen(set);                      /* SIGHUP */
    emit(set, EVENT_ALERT, "{\"n\":3}");
    outputs_close(set);
    assert_string_equal(slurp(rotated), "{\"n\":1}\n{\"n\":2}\n");
    assert_string_equal(slurp(path), "{\"n\":3}\n");
}

static void test_stdout(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/stdout.txt", dir);
    fflush(stdout);
    int saved = dup(1);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    close(fd);
    struct diag d = { .quiet = 1 };
    const char *sets[] = { "outputs.eve.enabled=no", "outputs.stdout.enabled=yes",
                           "outputs.stdout.types=[anomaly, stats]", NULL };
    struct output_set *set = open_with(sets, &d);
    emit(set, EVENT_ALERT, "{\"skip\":1}");
    emit(set, EVENT_ANOMALY, "{\"kind\":\"scan\"}");
    emit(set, EVENT_STATS, "{\"stats\":{}}");
    outputs_close(set);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    assert_string_equal(slurp(path), "{\"kind\":\"scan\"}\n{\"stats\":{}}\n");
}

static void test_config_errors(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    const char *bad_type[] = { "outputs.eve.types=[alert, bogus]", NULL };
    assert_null(open_with(bad_type, &d));
    assert_int_equal(d.errors, 1);
    assert_non_null(strstr(d.last, "unknown event type 'bogus'"));

    struct diag d2 = { .quiet = 1 };
    const char *bad_mode[] = { "outputs.redis.enabled=yes", "outputs.redis.mode=xadd", NULL };
    assert_null(open_with(bad_mode, &d2));
    assert_non_null(strstr(d2.last, "unknown mode 'xadd'"));

    struct diag d3 = { .quiet = 1 };
    const char *bad_file[] = { "outputs.eve.filename=/nonexistent-dir/eve.json", NULL };
    assert_null(open_with(bad_file, &d3));
    assert_non_null(strstr(d3.last, "/nonexistent-dir/eve.json"));

    struct diag d4 = { .quiet = 1 };
    const char *bad_pw[] = { "outputs.redis.enabled=yes", "outputs.redis.password-file=/nonexistent/pw", NULL };
    assert_null(open_with(bad_pw, &d4));
    assert_non_null(strstr(d4.last, "cannot read the Redis password file"));
}

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_defaults_and_routing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_rotate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stdout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
