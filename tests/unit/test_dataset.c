/* Datasets: every type's raw values, Suricata's file formats, hostile lines
 * and their exact messages, set/unset results, the registry's rules, save
 * and reload, the memory cap, concurrent readers during writes, and the
 * time to load a million entries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "detect/dataset.h"

static char tmpdir[256];

/* Sanitizers slow loading several times; the 5 s target is for real builds. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define LOAD_LIMIT_SEC 40.0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define LOAD_LIMIT_SEC 40.0
#endif
#endif
#ifndef LOAD_LIMIT_SEC
#define LOAD_LIMIT_SEC 5.0
#endif

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/xiezhi-dataset-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *content, size_t len)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    return path;
}

/* CPU time of this process: the load target is about our work, and CI
 * machines are shared, so wall time would measure the neighbours. */
static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const uint8_t *S(const char *s)
{
    return (const uint8_t *)s;
}

static void test_type_names(void **state)
{
    (void)state;
    assert_int_equal(dataset_type_from_name("string"), DATASET_STRING);
    assert_int_equal(dataset_type_from_name("ipv4"), DATASET_IPV4);
    assert_int_equal(dataset_type_from_name("ipv6"), DATASET_IPV6);
    assert_int_equal(dataset_type_from_name("ip"), DATASET_IPV6);
    assert_int_equal(dataset_type_from_name("md5"), DATASET_MD5);
    assert_int_equal(dataset_type_from_name("sha256"), DATASET_SHA256);
    assert_int_equal(dataset_type_from_name("sha1"), -1);
    assert_int_equal(dataset_type_from_name("STRING"), -1);
    assert_int_equal(dataset_type_from_name(NULL), -1);
}

static void test_set_unset_each_type(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    struct dataset *s = dataset_registry_get(reg, "ua-seen", DATASET_STRING, NULL, NULL, &d, "r", 1);
    assert_non_null(s);
    assert_int_equal(dataset_get_type(s), DATASET_STRING);
    assert_string_equal(dataset_get_name(s), "ua-seen");
    /* set: 1 when new, 0 when present (a `set` rule alerts only on 1) */
    assert_int_equal(dataset_add(s, S("curl/8.0"), 8), 1);
    assert_int_equal(dataset_add(s, S("curl/8.0"), 8), 0);
    assert_true(dataset_contains(s, S("curl/8.0"), 8));
    assert_false(dataset_contains(s, S("curl/8.1"), 8));
    assert_false(dataset_contains(s, S("curl/8."), 7));
    assert_int_equal(dataset_size(s), 1);
    /* unset: 1 when it was there */
    assert_int_equal(dataset_remove(s, S("curl/8.0"), 8), 1);
    assert_int_equal(dataset_remove(s, S("curl/8.0"), 8), 0);
    assert_false(dataset_contains(s, S("curl/8.0"), 8));
    assert_int_equal(dataset_size(s), 0);
    assert_int_equal(dataset_add(s, S("curl/8.0"), 8), 1);
    assert_true(dataset_contains(s, S("curl/8.0"), 8));
    /* binary and empty strings are values like any other */
    assert_int_equal(dataset_add(s, S("a\0b"), 3), 1);
    assert_true(dataset_contains(s, S("a\0b"), 3));
    assert_false(dataset_contains(s, S("a\0c"), 3));
    assert_int_equal(dataset_add(s, S(""), 0), 1);
    assert_true(dataset_contains(s, S(""), 0));

    struct dataset *v4 = dataset_registry_get(reg, "bad-ip4", DATASET_IPV4, NULL, NULL, &d, "r", 2);
    const uint8_t a4[4] = {10, 1, 2, 3}, b4[4] = {10, 1, 2, 4};
    assert_int_equal(dataset_add(v4, a4, 4), 1);
    assert_true(dataset_contains(v4, a4, 4));
    assert_false(dataset_contains(v4, b4, 4));
    assert_false(dataset_contains(v4, a4, 3));      /* wrong length never matches */
    assert_int_equal(dataset_add(v4, a4, 16), -1);

    struct dataset *v6 = dataset_registry_get(reg, "bad-ip", DATASET_IPV6, NULL, NULL, &d, "r", 3);
    uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8};
    a6[15] = 1;
    uint8_t a4_wide[16] = {10, 1, 2, 3};
    assert_int_equal(dataset_add(v6, a6, 16), 1);
    assert_int_equal(dataset_add(v6, a4, 4), 1);    /* IPv4 in an ip set */
    assert_true(dataset_contains(v6, a6, 16));
    assert_true(dataset_contains(v6, a4, 4));
    assert_true(dataset_contains(v6, a4_wide, 16)); /* as struct ip_addr holds it */
    assert_false(dataset_contains(v6, b4, 4));
    assert_int_equal(dataset_remove(v6, a4_wide, 16), 1);
    assert_false(dataset_contains(v6, a4, 4));

    struct dataset *m = dataset_registry_get(reg, "md5s", DATASET_MD5, NULL, NULL, &d, "r", 4);
    uint8_t h16[16], h32[32];
    memset(h16, 0xab, sizeof h16);
    memset(h32, 0xcd, sizeof h32);
    assert_int_equal(dataset_add(m, h16, 16), 1);
    assert_true(dataset_contains(m, h16, 16));
    assert_false(dataset_contains(m, h32, 16));
    assert_int_equal(dataset_add(m, h32, 32), -1);
    struct dataset *sh = dataset_registry_get(reg, "sha", DATASET_SHA256, NULL, NULL, &d, "r", 5);
    assert_int_equal(dataset_add(sh, h32, 32), 1);
    assert_true(dataset_contains(sh, h32, 32));
    assert_false(dataset_contains(sh, h16, 16));
    assert_int_equal(d.errors, 0);
    dataset_registry_free(reg);
}

static void test_load_formats(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();

    /* "google.com", "Mozilla/4.0 (compatible; )", "ab" unpadded, datarep line */
    const char strings[] = "# user agents\n"
                           "Z29vZ2xlLmNvbQ==\n"
                           "\n"
                           "   TW96aWxsYS80LjAgKGNvbXBhdGlibGU7ICk=  \r\n"
                           "YWI\n"
                           "ZXZpbC5leGFtcGxl,200\n"
                           "Z29vZ2xlLmNvbQ==";                 /* duplicate, no newline */
    write_file("strings.lst", strings, sizeof strings - 1);
    struct dataset *s = dataset_registry_get(reg, "s", DATASET_STRING, "strings.lst", tmpdir, &d,
                                             "test.rules", 7);
    assert_non_null(s);
    assert_int_equal(d.errors, 0);
    assert_int_equal(dataset_size(s), 4);
    assert_true(dataset_contains(s, S("google.com"), 10));
    assert_true(dataset_contains(s, S("Mozilla/4.0 (compatible; )"), 26));
    assert_true(dataset_contains(s, S("ab"), 2));
    assert_true(dataset_contains(s, S("evil.example"), 12));

    const char md5s[] = "d41d8cd98f00b204e9800998ecf8427e\nD41D8CD98F00B204E9800998ECF8427F\n";
    write_file("md5.lst", md5s, sizeof md5s - 1);
    struct dataset *m = dataset_registry_get(reg, "m", DATASET_MD5, "md5.lst", tmpdir, &d, "r", 1);
    const uint8_t empty_md5[16] = {0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04,
                                   0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e};
    uint8_t other[16];
    memcpy(other, empty_md5, 16);
    other[15] = 0x7f;
    assert_int_equal(dataset_size(m), 2);
    assert_true(dataset_contains(m, empty_md5, 16));
    assert_true(dataset_contains(m, other, 16));

    const char shas[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n";
    write_file("sha.lst", shas, sizeof shas - 1);
    struct dataset *sh = dataset_registry_get(reg, "h", DATASET_SHA256, "sha.lst", tmpdir, &d, "r", 1);
    const uint8_t empty_sha[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                   0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                   0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
    assert_int_equal(dataset_size(sh), 1);
    assert_true(dataset_contains(sh, empty_sha, 32));

    const char v4s[] = "192.0.2.1\n198.51.100.7\n";
    write_file("v4.lst", v4s, sizeof v4s - 1);
    struct dataset *v4 = dataset_registry_get(reg, "v4", DATASET_IPV4, "v4.lst", tmpdir, &d, "r", 1);
    const uint8_t ip1[4] = {192, 0, 2, 1}, ip2[4] = {198, 51, 100, 7}, ip3[4] = {192, 0, 2, 2};
    assert_int_equal(dataset_size(v4), 2);
    assert_true(dataset_contains(v4, ip1, 4));
    assert_true(dataset_contains(v4, ip2, 4));
    assert_false(dataset_contains(v4, ip3, 4));

    const char v6s[] = "2001:db8::1\n192.0.2.1\n::ffff:198.51.100.7\n";
    write_file("v6.lst", v6s, sizeof v6s - 1);
    struct dataset *v6 = dataset_registry_get(reg, "v6", DATASET_IPV6, "v6.lst", tmpdir, &d, "r", 1);
    uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8};
    a6[15] = 1;
    assert_int_equal(dataset_size(v6), 3);
    assert_true(dataset_contains(v6, a6, 16));
    assert_true(dataset_contains(v6, ip1, 4));
    assert_true(dataset_contains(v6, ip2, 4));      /* the mapped form is IPv4 */
    assert_false(dataset_contains(v6, ip3, 4));
    assert_int_equal(d.errors, 0);
    dataset_registry_free(reg);
}

struct bad_case {
    enum dataset_type type;
    const char *content;
    const char *message;
};

static void test_bad_lines(void **state)
{
    (void)state;
    const struct bad_case cases[] = {
        {DATASET_STRING, "Z29v\nZ29vZ2xl!mNvbQ==\n",
         "2: dataset 'bad' (string): character outside the base64 alphabet, line skipped"},
        {DATASET_STRING, "Z29vZ\n",
         "1: dataset 'bad' (string): truncated (length is not a base64 length), line skipped"},
        {DATASET_STRING, "Z2=9v\n",
         "1: dataset 'bad' (string): '=' padding in the middle, line skipped"},
        {DATASET_STRING, "====\n", "1: dataset 'bad' (string): empty string, line skipped"},
        {DATASET_STRING, ",5\n", "1: dataset 'bad' (string): empty value, line skipped"},
        {DATASET_MD5, "# c\nd41d8cd98f00b204e9800998ecf8427\n",
         "2: dataset 'bad' (md5): an md5 value must be 32 hex digits, line skipped"},
        {DATASET_MD5, "d41d8cd98f00b204e9800998ecf8427g\n",
         "1: dataset 'bad' (md5): not a hex digit, line skipped"},
        {DATASET_SHA256, "d41d8cd98f00b204e9800998ecf8427e\n",
         "1: dataset 'bad' (sha256): a sha256 value must be 64 hex digits, line skipped"},
        {DATASET_IPV4, "1.2.3.4\n1.2.3.256\n",
         "2: dataset 'bad' (ipv4): not an IPv4 address, line skipped"},
        {DATASET_IPV4, "2001:db8::1\n",
         "1: dataset 'bad' (ipv4): not an IPv4 address, line skipped"},
        {DATASET_IPV6, "10.0.0.0/8\n",
         "1: dataset 'bad' (ipv6): not an IP address, line skipped"},
        {DATASET_IPV4, "1.2.3.4\x01\xff'\n",
         "1: dataset 'bad' (ipv4): not an IPv4 address, line skipped"},
        {DATASET_IPV4, "1.2\0.3.4\n",
         "1: dataset 'bad' (ipv4): binary data (NUL byte), line skipped"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct diag d = {.quiet = 1};
        struct dataset_registry *reg = dataset_registry_new();
        size_t len = strlen(cases[i].content);
        if (strstr(cases[i].message, "NUL"))
            len = 9;
        char path[512];
        snprintf(path, sizeof path, "%s", write_file("bad.lst", cases[i].content, len));
        struct dataset *ds = dataset_registry_get(reg, "bad", cases[i].type, path, NULL, &d, "r", 1);
        assert_non_null(ds);    /* bad lines are skipped, the set still loads */
        assert_int_equal(d.errors, 1);
        char want[1200];
        snprintf(want, sizeof want, "%s:%s", path, cases[i].message);
        assert_string_equal(d.last, want);
        dataset_registry_free(reg);
    }

    /* an over-long line and binary junk: reported, skipped, neighbours load */
    size_t big = 200000;
    char *junk = malloc(big + 64);
    assert_non_null(junk);
    strcpy(junk, "YWE=\n");
    memset(junk + 5, 'Q', big);
    strcpy(junk + 5 + big, "\nYmI=\n\x80\x81\xfe\n");
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    char path[512];
    snprintf(path, sizeof path, "%s", write_file("long.lst", junk, strlen(junk)));
    struct dataset *ds = dataset_registry_get(reg, "long", DATASET_STRING, path, NULL, &d, "r", 1);
    assert_non_null(ds);
    assert_int_equal(dataset_size(ds), 2);
    assert_true(dataset_contains(ds, S("aa"), 2));
    assert_true(dataset_contains(ds, S("bb"), 2));
    assert_int_equal(d.errors, 2);
    char want[1200];
    snprintf(want, sizeof want,
             "%s:4: dataset 'long' (string): character outside the base64 alphabet, line skipped",
             path);
    assert_string_equal(d.last, want);
    dataset_registry_free(reg);
    free(junk);

    /* a file of nothing but bad lines: 20 shown, then one summary */
    char many[2000] = "";
    for (int i = 0; i < 50; i++)
        strcat(many, "zz\n");
    d = (struct diag){.quiet = 1};
    reg = dataset_registry_new();
    snprintf(path, sizeof path, "%s", write_file("many.lst", many, strlen(many)));
    ds = dataset_registry_get(reg, "many", DATASET_IPV4, path, NULL, &d, "r", 1);
    assert_non_null(ds);
    assert_int_equal(dataset_size(ds), 0);
    assert_int_equal(d.errors, 21);
    snprintf(want, sizeof want, "%s: dataset 'many': 30 more bad lines skipped (not shown)", path);
    assert_string_equal(d.last, want);
    dataset_registry_free(reg);
}

/* Issue 14: a rule may load set files only from its own directory or
 * datasets.dir: "..", absolute paths and symlinks leading elsewhere are
 * refused; and a bad line is never echoed (it may be a secret). */
static void test_paths_confined(void **state)
{
    (void)state;
    char rules_dir[512], data_dir[512], path[1100], link_path[1100];
    snprintf(rules_dir, sizeof rules_dir, "%s/rules", tmpdir);
    snprintf(data_dir, sizeof data_dir, "%s/data", tmpdir);
    assert_int_equal(mkdir(rules_dir, 0700), 0);
    assert_int_equal(mkdir(data_dir, 0700), 0);
    write_file("secret.lst", "root:x:0:0:secret-line\n10.0.0.9\n", 32);
    write_file("rules/ok.lst", "10.0.0.1\n", 9);
    write_file("data/feed.lst", "10.0.0.2\n", 9);
    snprintf(link_path, sizeof link_path, "%s/link.lst", rules_dir);
    snprintf(path, sizeof path, "%s/secret.lst", tmpdir);
    assert_int_equal(symlink(path, link_path), 0);

    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    assert_non_null(dataset_registry_get(reg, "ok", DATASET_IPV4, "ok.lst", rules_dir, &d, "r.rules", 1));
    const char *refused[] = { "../secret.lst", path, "link.lst", "../data/feed.lst", "/etc/passwd" };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%zu", i);
        assert_null(dataset_registry_get(reg, name, DATASET_IPV4, refused[i], rules_dir, &d, "r.rules", 2));
        if (!strstr(d.last, "is outside the rule file's directory"))
            fail_msg("%s: %s", refused[i], d.last);
        assert_null(dataset_registry_find(reg, name));
    }
    /* datasets.dir allows its own files, by absolute path or by "..". */
    assert_int_equal(dataset_registry_set_data_dir(reg, data_dir), 0);
    struct dataset *feed = dataset_registry_get(reg, "feed", DATASET_IPV4, "../data/feed.lst", rules_dir, &d,
                                                "r.rules", 3);
    assert_non_null(feed);
    assert_int_equal(dataset_size(feed), 1);
    assert_null(dataset_registry_get(reg, "y", DATASET_IPV4, "link.lst", rules_dir, &d, "r.rules", 4));
    dataset_registry_free(reg);

    /* The secret file loaded deliberately (no rule named it): its bad line
     * is named by file:line, never shown. */
    d = (struct diag){.quiet = 1};
    reg = dataset_registry_new();
    assert_non_null(dataset_registry_get(reg, "s", DATASET_IPV4, path, NULL, &d, "r", 1));
    assert_int_equal(d.errors, 1);
    assert_null(strstr(d.last, "secret-line"));
    assert_null(strstr(d.last, "root"));
    assert_non_null(strstr(d.last, ":1: dataset 's' (ipv4): not an IPv4 address, line skipped"));
    dataset_registry_free(reg);
}

static void test_registry(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    write_file("ips.lst", "10.0.0.1\n", 9);
    struct dataset *a = dataset_registry_get(reg, "ips", DATASET_IPV4, "ips.lst", tmpdir, &d, "a.rules", 3);
    assert_non_null(a);
    /* a second rule naming it shares the same set, with or without load */
    assert_ptr_equal(dataset_registry_get(reg, "ips", DATASET_IPV4, NULL, NULL, &d, "a.rules", 4), a);
    assert_ptr_equal(dataset_registry_get(reg, "ips", DATASET_IPV4, "ips.lst", tmpdir, &d, "a.rules", 5), a);
    assert_ptr_equal(dataset_registry_find(reg, "ips"), a);
    assert_null(dataset_registry_find(reg, "nope"));
    assert_int_equal(d.errors, 0);

    assert_null(dataset_registry_get(reg, "ips", DATASET_STRING, NULL, NULL, &d, "a.rules", 9));
    assert_string_equal(d.last, "a.rules:9: dataset 'ips' is type string here but was first used as type ipv4");

    write_file("other.lst", "10.0.0.2\n", 9);
    char want[1200];
    assert_null(dataset_registry_get(reg, "ips", DATASET_IPV4, "other.lst", tmpdir, &d, "a.rules", 10));
    snprintf(want, sizeof want,
             "a.rules:10: dataset 'ips' loads '%s/other.lst' here but was first loaded from '%s/ips.lst'",
             tmpdir, tmpdir);
    assert_string_equal(d.last, want);

    assert_null(dataset_registry_get(reg, "missing", DATASET_STRING, "no-such.lst", tmpdir, &d, "b.rules", 2));
    snprintf(want, sizeof want,
             "b.rules:2: dataset 'missing': cannot open '%s/no-such.lst': No such file or directory", tmpdir);
    assert_string_equal(d.last, want);
    assert_null(dataset_registry_find(reg, "missing"));     /* a failed load leaves nothing */

    assert_null(dataset_registry_get(reg, "dir", DATASET_STRING, tmpdir, NULL, &d, "b.rules", 3));
    snprintf(want, sizeof want, "b.rules:3: dataset 'dir': '%s' is not a regular file", tmpdir);
    assert_string_equal(d.last, want);

    assert_null(dataset_registry_get(reg, "bad name", DATASET_STRING, NULL, NULL, &d, "b.rules", 4));
    assert_string_equal(d.last,
        "b.rules:4: dataset name 'bad name' is not valid (letters, digits, '-', '_', '.'; at most 128)");

    /* an empty file is an empty set */
    write_file("empty.lst", "", 0);
    struct dataset *e = dataset_registry_get(reg, "empty", DATASET_MD5, "empty.lst", tmpdir, &d, "b.rules", 5);
    assert_non_null(e);
    assert_int_equal(dataset_size(e), 0);
    dataset_registry_free(reg);
    dataset_registry_free(NULL);
}

static void test_save_reload(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    struct dataset *s = dataset_registry_get(reg, "ua", DATASET_STRING, NULL, NULL, &d, "r", 1);
    dataset_add(s, S("curl/8.0"), 8);
    dataset_add(s, S("Wget"), 4);
    dataset_add(s, S("x"), 1);
    dataset_remove(s, S("Wget"), 4);
    char path[512];
    snprintf(path, sizeof path, "%s/after.csv", tmpdir);
    assert_int_equal(dataset_save(s, path, &d), 0);
    FILE *f = fopen(path, "r");
    char text[256] = "";
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_string_equal(text, "Y3VybC84LjA=\neA==\n");     /* insertion order */

    struct dataset *v6 = dataset_registry_get(reg, "v6", DATASET_IPV6, NULL, NULL, &d, "r", 2);
    const uint8_t a4[4] = {192, 0, 2, 1};
    uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8};
    a6[15] = 1;
    dataset_add(v6, a6, 16);
    dataset_add(v6, a4, 4);
    char path6[512];
    snprintf(path6, sizeof path6, "%s/v6.csv", tmpdir);
    assert_int_equal(dataset_save(v6, path6, &d), 0);
    f = fopen(path6, "r");
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_string_equal(text, "2001:db8::1\n192.0.2.1\n");

    struct dataset_registry *reg2 = dataset_registry_new();
    struct dataset *s2 = dataset_registry_get(reg2, "ua", DATASET_STRING, path, NULL, &d, "r", 1);
    assert_int_equal(dataset_size(s2), 2);
    assert_true(dataset_contains(s2, S("curl/8.0"), 8));
    assert_true(dataset_contains(s2, S("x"), 1));
    assert_false(dataset_contains(s2, S("Wget"), 4));
    assert_int_equal(d.errors, 0);

    assert_int_equal(dataset_save(s2, "/nonexistent-dir/x.csv", &d), -1);
    assert_string_equal(d.last,
        "/nonexistent-dir/x.csv: dataset 'ua': cannot write '/nonexistent-dir/x.csv.tmp': No such file or directory");
    dataset_registry_free(reg);
    dataset_registry_free(reg2);
}

static void test_memcap(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    dataset_registry_set_memcap(reg, 4u << 20);
    struct dataset *s = dataset_registry_get(reg, "capped", DATASET_SHA256, NULL, NULL, &d, "r", 1);
    uint8_t v[32] = {0};
    int rc = 1;
    uint32_t i;
    for (i = 0; i < 1000000 && rc == 1; i++) {
        memcpy(v, &i, sizeof i);
        rc = dataset_add(s, v, 32);
    }
    assert_int_equal(rc, -1);
    assert_true(dataset_memory(s) <= 4u << 20);
    assert_true(dataset_size(s) > 20000);
    /* everything added before the cap is still there */
    for (uint32_t j = 0; j < (uint32_t)dataset_size(s); j++) {
        memcpy(v, &j, sizeof j);
        assert_true(dataset_contains(s, v, 32));
    }
    dataset_registry_free(reg);
}

struct reader_ctx {
    const struct dataset *ds;
    atomic_int stop;
    long misses, lookups;
};

static void *reader(void *arg)
{
    struct reader_ctx *c = arg;
    while (!c->stop) {
        for (uint32_t i = 0; i < 1000; i++) {
            uint8_t ip[4];
            memcpy(ip, &i, 4);
            if (!dataset_contains(c->ds, ip, 4))
                c->misses++;
            c->lookups++;
        }
    }
    return NULL;
}

/* Readers never lock: while a writer grows the table through many rebuilds
 * and churns other values, every preloaded value stays visible. */
static void test_concurrent_readers(void **state)
{
    (void)state;
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    struct dataset *s = dataset_registry_get(reg, "live", DATASET_IPV4, NULL, NULL, &d, "r", 1);
    for (uint32_t i = 0; i < 1000; i++) {
        uint8_t ip[4];
        memcpy(ip, &i, 4);
        assert_int_equal(dataset_add(s, ip, 4), 1);
    }
    struct reader_ctx ctx = {.ds = s};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader, &ctx), 0);
    for (uint32_t i = 1000; i < 300000; i++) {
        uint8_t ip[4];
        memcpy(ip, &i, 4);
        assert_int_equal(dataset_add(s, ip, 4), 1);
        if (i % 3 == 0)
            assert_int_equal(dataset_remove(s, ip, 4), 1);
    }
    ctx.stop = 1;
    pthread_join(th, NULL);
    assert_int_equal(ctx.misses, 0);
    assert_true(ctx.lookups > 0);
    assert_int_equal(dataset_size(s), 1000 + (300000 - 1000) - 99666);
    dataset_registry_free(reg);
}

static size_t b64_encode(const char *in, size_t len, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)(uint8_t)in[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)(uint8_t)in[i + 1] << 8;
        if (i + 2 < len)
            v |= (uint8_t)in[i + 2];
        out[n++] = a[v >> 18 & 63];
        out[n++] = a[v >> 12 & 63];
        out[n++] = i + 1 < len ? a[v >> 6 & 63] : '=';
        out[n++] = i + 2 < len ? a[v & 63] : '=';
    }
    return n;
}

/* Issue 4: a list of 1M entries loads in seconds.  Measured with domain
 * strings (base64 lines) and SHA-256 hashes; also reports lookups/s. */
static void test_million_entries(void **state)
{
    (void)state;
    const int n = 1000000;
    char path[512];
    snprintf(path, sizeof path, "%s/million.lst", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < n; i++) {
        char dom[64], enc[100];
        int len = snprintf(dom, sizeof dom, "host-%d.bad-domain-%d.example", i, i % 977);
        size_t el = b64_encode(dom, (size_t)len, enc);
        enc[el] = '\n';
        fwrite(enc, 1, el + 1, f);
    }
    fclose(f);

    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    double t0 = now_sec();
    struct dataset *s = dataset_registry_get(reg, "million", DATASET_STRING, path, NULL, &d, "r", 1);
    double load = now_sec() - t0;
    assert_non_null(s);
    assert_int_equal(d.errors, 0);
    assert_int_equal(dataset_size(s), (size_t)n);

    t0 = now_sec();
    long hits = 0;
    const int lookups = 2000000;
    for (int i = 0; i < lookups; i++) {
        char dom[64];
        int k = (int)(((uint32_t)i * 2654435761u) % (uint32_t)(2 * n));  /* half absent */
        int len = snprintf(dom, sizeof dom, "host-%d.bad-domain-%d.example", k, k % 977);
        hits += dataset_contains(s, (const uint8_t *)dom, (size_t)len);
    }
    double look = now_sec() - t0;
    assert_true(hits > lookups / 2 - lookups / 50 && hits < lookups / 2 + lookups / 50);
    printf("dataset: 1M strings loaded in %.3f s (%.0f MB), %.1f M lookups/s (incl. formatting)\n",
           load, (double)dataset_memory(s) / 1e6, lookups / look / 1e6);
    assert_true(load < LOAD_LIMIT_SEC);
    dataset_registry_free(reg);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),
        cmocka_unit_test(test_set_unset_each_type),
        cmocka_unit_test(test_load_formats),
        cmocka_unit_test(test_bad_lines),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_paths_confined),
        cmocka_unit_test(test_save_reload),
        cmocka_unit_test(test_memcap),
        cmocka_unit_test(test_concurrent_readers),
        cmocka_unit_test(test_million_entries),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
