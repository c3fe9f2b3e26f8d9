/* GeoIP: builds tiny .mmdb files of every supported schema at test time
 * (tests/tools/make-test-mmdb.pl, libmaxmind-db-writer-perl) and checks exact
 * country/ASN/organisation answers for IPv4 and IPv6, misses, truncation,
 * flow enrichment, and the messages for missing or broken files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>
#include <maxminddb.h>

#include "enrich/geoip.h"

static char dir[256];

static int build_dbs(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/xiezhi-geoip-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    const char *top = getenv("TOP");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "perl '%s/tests/tools/make-test-mmdb.pl' '%s'", top ? top : ".", dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "test_geoip: '%s' failed (is libmaxmind-db-writer-perl installed? make deps)\n", cmd);
        return -1;
    }
    return 0;
}

static int remove_dbs(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *db(const char *name)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static struct ip_addr addr(const char *text)
{
    struct ip_addr a;
    memset(&a, 0, sizeof a);
    if (inet_pton(AF_INET, text, a.bytes) == 1)
        a.family = 4;
    else if (inet_pton(AF_INET6, text, a.bytes) == 1)
        a.family = 6;
    else
        fail_msg("bad address in test: %s", text);
    return a;
}

static void expect(const struct geoip *g, const char *ip, bool found, const char *country,
                   uint32_t asn, const char *org)
{
    struct geo_info info;
    struct ip_addr a = addr(ip);
    bool got = geoip_lookup(g, &a, &info);
    if (got != found)
        fail_msg("%s: found %d, expected %d", ip, got, found);
    assert_string_equal(info.country, country);
    assert_int_equal(info.asn, asn);
    assert_string_equal(info.org, org);
}

static void test_geoip2_schema(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct geoip *g = geoip_open(db("geoip2-country.mmdb"), db("geolite2-asn.mmdb"), &d);
    assert_non_null(g);
    assert_int_equal(d.errors + d.warnings, 0);
    assert_true(geoip_has_country(g));
    assert_true(geoip_has_asn(g));

    expect(g, "81.2.69.160", true, "GB", 20712, "Andrews & Arnold Ltd");
    expect(g, "81.2.69.0", true, "GB", 20712, "Andrews & Arnold Ltd");
    expect(g, "81.2.70.1", false, "", 0, "");
    /* registered_country when there is no country */
    expect(g, "89.160.20.112", true, "SE", 29518, "Bredband2 AB");
    /* country wins over registered_country; long org cut to 127 bytes */
    expect(g, "2001:db8:100::1", true, "DE", 4200000001u,
           "Very Long Organisation Name Very Long Organisation Name Very Long Organisation Name "
           "Very Long Organisation Name Very Long Organ");
    /* the cut backs off to a UTF-8 character boundary (126 bytes here) */
    expect(g, "2a02:cf40:1234::9", true, "NO", 217,
           "xSociété Générale — 中国电信 Société Générale — 中国电信 Société Générale — 中国电信 Société G");
    /* a malformed country code is not reported */
    expect(g, "198.51.100.1", false, "", 0, "");
    /* an ASN without organisation */
    expect(g, "203.0.113.5", true, "", 64500, "");
    expect(g, "8.8.8.8", false, "", 0, "");
    expect(g, "2001:4860:4860::8888", false, "", 0, "");
    expect(g, "::1", false, "", 0, "");

    struct ip_addr none;
    memset(&none, 0, sizeof none);
    struct geo_info info;
    assert_false(geoip_lookup(g, &none, &info));   /* family 0: nothing */
    assert_false(geoip_lookup(g, NULL, &info));
    geoip_close(g);
}

static void test_iplocdb_schema(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct geoip *g = geoip_open(db("iplocdb-country.mmdb"), db("iplocdb-asn.mmdb"), &d);
    assert_non_null(g);
    assert_int_equal(d.errors + d.warnings, 0);
    expect(g, "192.0.2.7", true, "CN", 4134, "CHINANET");
    expect(g, "2001:db8:200::5", true, "JP", 2497, "Internet Initiative Japan Inc.");
    expect(g, "81.2.69.1", true, "GB", 0, "");
    expect(g, "2001:db8:201::5", false, "", 0, "");
    /* in the database, but private: never reported */
    expect(g, "172.31.3.224", false, "", 0, "");
    expect(g, "192.168.1.1", false, "", 0, "");
    expect(g, "fd12:3456::1", false, "", 0, "");
    geoip_close(g);

    /* an IPv4-only tree answers IPv4 and simply misses IPv6 */
    g = geoip_open(db("ipv4-only.mmdb"), NULL, &d);
    assert_non_null(g);
    expect(g, "192.0.2.1", true, "US", 0, "");
    expect(g, "192.0.2.200", false, "", 0, "");
    expect(g, "2001:db8:200::5", false, "", 0, "");
    geoip_close(g);
}

static void test_local_addresses(void **state)
{
    (void)state;
    static const struct {
        const char *ip;
        bool local;
    } cases[] = {
        {"0.1.2.3", true},          {"10.0.0.1", true},        {"11.0.0.1", false},
        {"100.63.255.255", false},  {"100.64.0.0", true},      {"100.127.255.255", true},
        {"100.128.0.0", false},     {"127.0.0.1", true},       {"169.254.9.9", true},
        {"172.15.255.255", false},  {"172.16.0.0", true},      {"172.31.255.255", true},
        {"172.32.0.0", false},      {"192.168.0.1", true},     {"192.169.0.1", false},
        {"192.0.2.1", false},       {"224.0.0.251", true},     {"239.255.255.250", true},
        {"240.0.0.1", true},        {"255.255.255.255", true}, {"8.8.8.8", false},
        {"::", true},               {"::1", true},             {"::2", false},
        {"fe80::1", true},          {"febf:ffff::1", true},    {"fec0::1", false},
        {"fc00::1", true},          {"fdff::1", true},         {"fe00::1", false},
        {"ff02::1", true},          {"2001:db8::1", false},    {"2a02:cf40::1", false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ip_addr a = addr(cases[i].ip);
        if (geoip_is_local_address(&a) != cases[i].local)
            fail_msg("%s: local should be %d", cases[i].ip, cases[i].local);
    }
}

static void test_one_or_none(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct geoip *g = geoip_open(db("geoip2-country.mmdb"), "", &d);
    assert_non_null(g);
    assert_true(geoip_has_country(g));
    assert_false(geoip_has_asn(g));
    expect(g, "81.2.69.160", true, "GB", 0, "");
    geoip_close(g);

    g = geoip_open(NULL, db("geolite2-asn.mmdb"), &d);
    assert_non_null(g);
    assert_false(geoip_has_country(g));
    assert_true(geoip_has_asn(g));
    expect(g, "81.2.69.160", true, "", 20712, "Andrews & Arnold Ltd");
    geoip_close(g);

    /* nothing configured: a valid handle that finds nothing */
    g = geoip_open(NULL, "", &d);
    assert_non_null(g);
    assert_false(geoip_has_country(g));
    assert_false(geoip_has_asn(g));
    expect(g, "81.2.69.160", false, "", 0, "");
    assert_int_equal(d.errors + d.warnings, 0);
    geoip_close(g);
    geoip_close(NULL);
    assert_false(geoip_has_country(NULL));
}

static void test_errors(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    char want[1024];

    assert_null(geoip_open("/nonexistent/GeoLite2-Country.mmdb", NULL, &d));
    assert_int_equal(d.errors, 1);
    snprintf(want, sizeof want,
             "/nonexistent/GeoLite2-Country.mmdb: cannot open GeoIP country database: %s (No such file or directory)",
             MMDB_strerror(MMDB_FILE_OPEN_ERROR));
    assert_string_equal(d.last, want);

    /* a good country db with a missing ASN db still fails as a whole */
    assert_null(geoip_open(db("geoip2-country.mmdb"), "/nonexistent/asn.mmdb", &d));
    assert_int_equal(d.errors, 2);
    snprintf(want, sizeof want,
             "/nonexistent/asn.mmdb: cannot open GeoIP ASN database: %s (No such file or directory)",
             MMDB_strerror(MMDB_FILE_OPEN_ERROR));
    assert_string_equal(d.last, want);

    /* not a MaxMind DB at all */
    const char *junk = db("junk.mmdb");
    FILE *f = fopen(junk, "wb");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    assert_null(geoip_open(NULL, junk, &d));
    snprintf(want, sizeof want, "%s: cannot open GeoIP ASN database: %s", junk,
             MMDB_strerror(MMDB_INVALID_METADATA_ERROR));
    assert_string_equal(d.last, want);
    assert_int_equal(d.errors, 3);

    /* databases swapped: opens, with a warning each */
    struct diag w = {.quiet = 1};
    struct geoip *g = geoip_open(db("geolite2-asn.mmdb"), db("geoip2-country.mmdb"), &w);
    assert_non_null(g);
    assert_int_equal(w.errors, 0);
    assert_int_equal(w.warnings, 2);
    snprintf(want, sizeof want,
             "%s: database type 'GeoIP2-Country' looks like a country database, configured as the ASN one",
             db("geoip2-country.mmdb"));
    assert_string_equal(w.last, want);
    geoip_close(g);
}

static void test_enrich_flow(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct geoip *g = geoip_open(db("geoip2-country.mmdb"), db("geolite2-asn.mmdb"), &d);
    assert_non_null(g);
    struct flow f;
    memset(&f, 0, sizeof f);
    f.client = addr("81.2.69.160");
    f.server = addr("89.160.20.112");
    geoip_enrich_flow(g, &f);
    assert_memory_equal(f.geo.country[0], "GB", 2);
    assert_memory_equal(f.geo.country[1], "SE", 2);
    assert_int_equal(f.geo.asn[0], 20712);
    assert_int_equal(f.geo.asn[1], 29518);

    f.client = addr("2001:db8:100::7");
    f.server = addr("10.1.2.3");        /* private: unknown */
    geoip_enrich_flow(g, &f);
    assert_memory_equal(f.geo.country[0], "DE", 2);
    assert_int_equal(f.geo.asn[0], 4200000001u);
    assert_int_equal(f.geo.country[1][0], 0);
    assert_int_equal(f.geo.country[1][1], 0);
    assert_int_equal(f.geo.asn[1], 0);

    /* no databases: the geo block is cleared, nothing else happens */
    geoip_enrich_flow(NULL, &f);
    assert_int_equal(f.geo.country[0][0], 0);
    assert_int_equal(f.geo.asn[0], 0);
    geoip_enrich_flow(g, NULL);
    geoip_close(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geoip2_schema),
        cmocka_unit_test(test_iplocdb_schema),
        cmocka_unit_test(test_local_addresses),
        cmocka_unit_test(test_one_or_none),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_enrich_flow),
    };
    return cmocka_run_group_tests(tests, build_dbs, remove_dbs);
}
