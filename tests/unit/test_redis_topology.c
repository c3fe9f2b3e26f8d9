/* Redis topology helpers: cluster key slots (CRC16 of the hash tag), hash
 * tags, MOVED/ASK parsing (hostile replies included), and the settings'
 * consistency checks with file:line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "exporters/redis_topology.h"

static unsigned slot_of(const char *key)
{
    return redis_key_slot(key, strlen(key));
}

static void test_key_slots(void **state)
{
    (void)state;
    assert_int_equal(slot_of("123456789"), 0x31C3 & 16383);   /* the CRC16 check value */
    assert_int_equal(slot_of("foo"), 12182);                  /* as CLUSTER KEYSLOT says */
    assert_int_equal(slot_of("{user1000}.following"), slot_of("{user1000}.followers"));
    assert_int_equal(slot_of("{user1000}.following"), slot_of("user1000"));
    assert_int_equal(slot_of("foo{}{bar}"), slot_of("foo{}{bar}"));
    assert_int_not_equal(slot_of("foo{}{bar}"), slot_of("bar"));   /* empty tag: whole key */
    assert_int_equal(slot_of("foo{{bar}}zap"), slot_of("{bar"));
    assert_int_equal(slot_of("xiezhi:sensor:t1:delivered:{alerts}"), slot_of("alerts"));
    assert_true(slot_of("") < 16384);
}

static void test_key_tags(void **state)
{
    (void)state;
    const char *tag = NULL;
    size_t len = 0;
    assert_int_equal(redis_key_tag("xiezhi:{t1}:alerts", &tag, &len), 1);
    assert_int_equal(len, 2);
    assert_memory_equal(tag, "t1", 2);
    assert_int_equal(redis_key_tag("alerts", &tag, &len), 0);
    assert_int_equal(redis_key_tag("a{}b", &tag, &len), -1);
    assert_int_equal(redis_key_tag("a{b", &tag, &len), -1);
    assert_int_equal(redis_key_tag("a}b", &tag, &len), -1);
}

static void test_redirects(void **state)
{
    (void)state;
    bool ask = true;
    char host[64];
    int port = 0;
    assert_int_equal(redis_parse_redirect("MOVED 3999 127.0.0.1:6381", &ask, host, sizeof host, &port), 1);
    assert_false(ask);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 6381);
    assert_int_equal(redis_parse_redirect("ASK 31 ::1:7000", &ask, host, sizeof host, &port), 1);
    assert_true(ask);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 7000);
    const char *bad[] = { "MOVED", "MOVED 1", "MOVED 1 host", "MOVED 1 :7000", "MOVED 1 h:0",
                          "MOVED 1 h:65536", "MOVED 1 h:12x", "ERR MOVED 1 h:1", "ASK", NULL };
    for (int i = 0; bad[i]; i++)
        assert_int_equal(redis_parse_redirect(bad[i], &ask, host, sizeof host, &port), 0);
    char longhost[200];
    memset(longhost, 'h', sizeof longhost);
    snprintf(longhost + 100, 100, ":80");
    char reply[300];
    snprintf(reply, sizeof reply, "MOVED 1 %s", longhost);
    assert_int_equal(redis_parse_redirect(reply, &ask, host, sizeof host, &port), 0);
    assert_int_equal(redis_parse_redirect(NULL, &ask, host, sizeof host, &port), 0);
}

static size_t read_errors(const char *yaml, char *last, size_t size)
{
    struct config *cfg = config_new();
    struct diag d = { .quiet = 1 };
    config_load_buffer(cfg, "x.yaml", yaml, strlen(yaml), &d);
    struct redis_topology t;
    redis_topology_read(&t, cfg, "outputs.redis.", &d);
    redis_topology_free(&t);
    config_free(cfg);
    snprintf(last, size, "%s", d.last);
    return d.errors;
}

static void test_settings_checked(void **state)
{
    (void)state;
    char last[512];
    assert_int_equal(read_errors("outputs:\n  redis:\n    topology: sentinel\n"
                                 "    nodes: [\"h:26379\"]\n", last, sizeof last), 1);
    assert_non_null(strstr(last, "x.yaml:3: outputs.redis.topology: sentinel needs outputs.redis.sentinel.master"));
    assert_int_equal(read_errors("outputs:\n  redis:\n    topology: cluster\n"
                                 "    nodes: [\"h:7000\"]\n    unix-socket: /s\n", last, sizeof last), 1);
    assert_non_null(strstr(last, "x.yaml:5: outputs.redis.unix-socket"));
    assert_int_equal(read_errors("outputs:\n  redis:\n    topology: cluster\n"
                                 "    nodes: [\"h:7000\", \"nope\"]\n", last, sizeof last), 1);
    assert_non_null(strstr(last, "'nope' is not host:port"));
    assert_int_equal(read_errors("outputs:\n  redis:\n    topology: cluster\n"
                                 "    nodes: [\"h:7000\"]\n    key: \"a:{sensor}\"\n", last, sizeof last), 1);
    assert_non_null(strstr(last, "%{sensor}"));
    assert_int_equal(read_errors("outputs:\n  redis:\n    topology: cluster\n"
                                 "    nodes: [\"[::1]:7000\"]\n    key: \"a:{%{sensor}}:b\"\n", last, sizeof last), 0);
    assert_int_equal(read_errors("outputs:\n  redis:\n    topology: sentinel\n"
                                 "    nodes: [\"h:1\"]\n    sentinel: { master: m }\n", last, sizeof last), 0);
    assert_int_equal(read_errors("outputs:\n  redis:\n    server: h\n", last, sizeof last), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_slots),
        cmocka_unit_test(test_key_tags),
        cmocka_unit_test(test_redirects),
        cmocka_unit_test(test_settings_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
