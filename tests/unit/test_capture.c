/* Capture unit tests: offline pcap and pcapng files from pcaps/, several
 * paths in order, a directory read in name order (dotfiles and
 * subdirectories skipped), and the failures: a missing file, a bad magic
 * number, a file truncated part-way (the message names the file and the
 * packet number) -- the other inputs are still read each time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

#include <cmocka.h>

#include "capture/capture.h"
#include "util/log.h"

struct run_result {
    uint64_t packets;
    uint64_t first_ts, last_ts;
    int linktypes[64];
    uint32_t caplens[64];
    int monotonic_cnt;          /* pcap_cnt went 1, 2, 3, ... */
    struct capture_stats stats;
    int had_errors;
    char last_error[512];
};

static void read_all(const char *const *paths, size_t n, struct run_result *r)
{
    memset(r, 0, sizeof *r);
    r->monotonic_cnt = 1;
    struct capture_source *src;
    assert_int_equal(capture_open_offline(&src, paths, n), 0);
    struct capture_packet p;
    enum capture_status st;
    while ((st = capture_next(src, &p)) == CAPTURE_OK) {
        if (r->packets < 64) {
            r->linktypes[r->packets] = p.linktype;
            r->caplens[r->packets] = p.caplen;
        }
        r->packets++;
        if (p.pcap_cnt != r->packets)
            r->monotonic_cnt = 0;
        if (r->packets == 1)
            r->first_ts = p.ts_usec;
        r->last_ts = p.ts_usec;
        assert_true(p.caplen <= p.wirelen || p.wirelen == 0);
    }
    assert_int_equal(st, CAPTURE_END);
    assert_int_equal(capture_next(src, &p), CAPTURE_END);   /* stays at the end */
    capture_get_stats(src, &r->stats);
    r->had_errors = capture_had_errors(src);
    snprintf(r->last_error, sizeof r->last_error, "%s", capture_last_error(src));
    capture_close(src);
}

static int quiet(void **state)
{
    (void)state;
    log_set_level(LOG_LEVEL_ERROR);
    return 0;
}

static void test_pcap_file(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/demo.pcap" };
    struct run_result r;
    read_all(paths, 1, &r);
    assert_int_equal(r.packets, 49);
    assert_true(r.monotonic_cnt);
    assert_int_equal(r.first_ts, 1700000000000000ull);
    assert_int_equal(r.linktypes[0], 1);
    assert_int_equal(r.stats.packets, 49);
    assert_int_equal(r.stats.files_read, 1);
    assert_int_equal(r.stats.files_failed, 0);
    assert_false(r.had_errors);
    assert_string_equal(r.last_error, "");
}

static void test_pcapng_file(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/decode_pcapng.pcapng" };
    struct run_result r;
    read_all(paths, 1, &r);
    assert_int_equal(r.packets, 2);
    assert_int_equal(r.first_ts, 1700000000000000ull);
    assert_int_equal(r.last_ts, 1700000000500000ull);
    assert_int_equal(r.linktypes[0], 1);
    assert_int_equal(r.caplens[0], 14 + 20 + 8 + 13);       /* Ethernet, IPv4, UDP, "xiezhi-decode" */
    assert_false(r.had_errors);
}

static void test_several_paths_in_order(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/decode_eth.pcap", "pcaps/decode_raw.pcap", "pcaps/decode_sll2.pcap" };
    struct run_result r;
    read_all(paths, 3, &r);
    assert_int_equal(r.packets, 6);
    assert_true(r.monotonic_cnt);               /* pcap_cnt runs across files */
    assert_int_equal(r.linktypes[0], 1);
    assert_int_equal(r.linktypes[1], 1);
    assert_int_equal(r.linktypes[2], 12);       /* LINKTYPE_RAW arrives as DLT_RAW */
    assert_int_equal(r.linktypes[3], 12);
    assert_int_equal(r.linktypes[4], 276);
    assert_int_equal(r.stats.files_read, 3);
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void rm_tree(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_directory_in_name_order(void **state)
{
    (void)state;
    char dir[] = "/tmp/xiezhi-capture-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[600];
    /* Names chosen so that directory order and name order differ. */
    snprintf(path, sizeof path, "%s/b-sll2.pcap", dir);
    copy_file("pcaps/decode_sll2.pcap", path);
    snprintf(path, sizeof path, "%s/a-raw.pcap", dir);
    copy_file("pcaps/decode_raw.pcap", path);
    snprintf(path, sizeof path, "%s/c-ng.pcapng", dir);
    copy_file("pcaps/decode_pcapng.pcapng", path);
    snprintf(path, sizeof path, "%s/.hidden.pcap", dir);
    copy_file("pcaps/demo.pcap", path);
    snprintf(path, sizeof path, "%s/A-sub", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/A-sub/x.pcap", dir);
    copy_file("pcaps/demo.pcap", path);
    const char *paths[] = { dir };
    struct run_result r;
    read_all(paths, 1, &r);
    assert_int_equal(r.packets, 6);
    assert_int_equal(r.linktypes[0], 12);       /* a-raw */
    assert_int_equal(r.linktypes[2], 276);      /* b-sll2 */
    assert_int_equal(r.linktypes[4], 1);        /* c-ng */
    assert_int_equal(r.stats.files_read, 3);
    assert_false(r.had_errors);
    /* The directory and a file after it. */
    const char *two[] = { dir, "pcaps/demo.pcap" };
    read_all(two, 2, &r);
    assert_int_equal(r.packets, 6 + 49);
    assert_true(r.monotonic_cnt);
    rm_tree(dir);
}

static void test_empty_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/xiezhi-capture-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *paths[] = { dir };
    struct run_result r;
    read_all(paths, 1, &r);
    assert_int_equal(r.packets, 0);
    assert_false(r.had_errors);
    rm_tree(dir);
}

static void test_missing_file(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/no-such-file.pcap", "pcaps/decode_eth.pcap" };
    struct run_result r;
    read_all(paths, 2, &r);
    assert_int_equal(r.packets, 2);
    assert_true(r.had_errors);
    assert_int_equal(r.stats.files_failed, 1);
    assert_int_equal(r.stats.files_read, 1);
    assert_non_null(strstr(r.last_error, "pcaps/no-such-file.pcap: cannot open: "));
}

static void test_bad_magic_and_empty(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/malformed/bad_magic.pcap", "pcaps/decode_eth.pcap",
                            "pcaps/malformed/empty.pcap" };
    struct run_result r;
    read_all(paths, 3, &r);
    assert_int_equal(r.packets, 2);
    assert_true(r.had_errors);
    assert_int_equal(r.stats.files_failed, 2);
    assert_non_null(strstr(r.last_error, "empty.pcap: cannot open: "));
}

static void test_truncated_part_way(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/malformed/truncated_record.pcap", "pcaps/decode_eth.pcap" };
    struct run_result r;
    read_all(paths, 2, &r);
    assert_int_equal(r.packets, 2 + 2);         /* two whole records, then the next file */
    assert_true(r.monotonic_cnt);
    assert_true(r.had_errors);
    assert_int_equal(r.stats.files_failed, 1);
    assert_int_equal(r.stats.files_read, 2);
    assert_non_null(strstr(r.last_error, "pcaps/malformed/truncated_record.pcap: packet 3: "));
    const char *hdr[] = { "pcaps/malformed/truncated_header.pcap" };
    read_all(hdr, 1, &r);
    assert_int_equal(r.packets, 2);
    assert_non_null(strstr(r.last_error, "truncated_header.pcap: packet 3: "));
    const char *huge[] = { "pcaps/malformed/caplen_huge.pcap" };
    read_all(huge, 1, &r);
    assert_int_equal(r.packets, 1);
    assert_non_null(strstr(r.last_error, "caplen_huge.pcap: packet 2: "));
}

static void test_caplen_over_snaplen(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/malformed/caplen_over_snaplen.pcap" };
    struct run_result r;
    read_all(paths, 1, &r);
    /* libpcap accepts a record above the file's snap length (up to its own
     * maximum) and hands out at most snaplen bytes of it. */
    assert_int_equal(r.packets, 3);
    assert_true(r.caplens[1] <= 200);
    assert_false(r.had_errors);
}

static void test_whole_malformed_directory(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/malformed" };
    struct run_result r;
    read_all(paths, 1, &r);
    assert_true(r.had_errors);
    /* bad_magic, empty, caplen_huge, truncated_header, truncated_record */
    assert_int_equal(r.stats.files_failed, 5);
    assert_int_equal(r.stats.files_read, 6);
    assert_true(r.packets > 600);
}

static void test_unsupported_linktype_counted(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/malformed/unsupported_linktype.pcap", "pcaps/decode_eth.pcap" };
    struct run_result r;
    read_all(paths, 2, &r);
    assert_int_equal(r.packets, 5);
    assert_int_equal(r.linktypes[0], 105);
    assert_int_equal(r.stats.unsupported_linktype, 3);
    assert_false(r.had_errors);
}

static void test_interrupt(void **state)
{
    (void)state;
    const char *paths[] = { "pcaps/demo.pcap" };
    struct capture_source *src;
    assert_int_equal(capture_open_offline(&src, paths, 1), 0);
    struct capture_packet p;
    assert_int_equal(capture_next(src, &p), CAPTURE_OK);
    capture_interrupt(src);
    assert_int_equal(capture_next(src, &p), CAPTURE_END);
    capture_close(src);
}

static void test_live_errors(void **state)
{
    (void)state;
    struct capture_live_config cfg = { .interface = "xz-no-such0" };
    struct capture_source *src = NULL;
    char err[512];
    assert_int_equal(capture_open_live(&src, &cfg, err, sizeof err), -1);
    assert_null(src);
    assert_non_null(strstr(err, "xz-no-such0: cannot capture"));
    struct capture_live_config bad = { .interface = "lo", .bpf = "udp and and port" };
    if (capture_open_live(&src, &bad, err, sizeof err) == -1 && strstr(err, "cannot capture"))
        skip();                 /* no capture privilege here */
    assert_null(src);
    assert_non_null(strstr(err, "lo: bad BPF filter 'udp and and port'"));
}

/* Captures one UDP datagram sent to ourselves on the loopback interface. */
static void test_live_loopback(void **state)
{
    (void)state;
    struct capture_live_config cfg = { .interface = "lo", .snaplen = 200, .immediate = true,
                                       .timeout_ms = 50, .bpf = "udp and dst port 47999" };
    struct capture_source *src;
    char err[512];
    if (capture_open_live(&src, &cfg, err, sizeof err) < 0)
        skip();
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(47999) };
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    char payload[400];
    memset(payload, 'L', sizeof payload);
    assert_int_equal(sendto(fd, payload, sizeof payload, 0, (struct sockaddr *)&to, sizeof to),
                     (ssize_t)sizeof payload);
    close(fd);
    struct capture_packet p = { 0 };
    int got = 0;
    time_t until = time(NULL) + 5;
    while (!got && time(NULL) < until) {
        enum capture_status st = capture_next(src, &p);
        assert_true(st == CAPTURE_OK || st == CAPTURE_TIMEOUT);
        got = st == CAPTURE_OK;
    }
    assert_true(got);
    assert_int_equal(p.linktype, 1);               /* Linux lo is Ethernet-framed */
    assert_int_equal(p.caplen, 200);               /* cut at the snap length */
    assert_int_equal(p.wirelen, 14 + 20 + 8 + 400);
    assert_int_equal(p.pcap_cnt, 1);
    struct capture_stats st;
    capture_get_stats(src, &st);
    assert_int_equal(st.packets, 1);
    capture_interrupt(src);
    assert_int_equal(capture_next(src, &p), CAPTURE_END);
    capture_close(src);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_file),
        cmocka_unit_test(test_pcapng_file),
        cmocka_unit_test(test_several_paths_in_order),
        cmocka_unit_test(test_directory_in_name_order),
        cmocka_unit_test(test_empty_directory),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_bad_magic_and_empty),
        cmocka_unit_test(test_truncated_part_way),
        cmocka_unit_test(test_caplen_over_snaplen),
        cmocka_unit_test(test_whole_malformed_directory),
        cmocka_unit_test(test_unsupported_linktype_counted),
        cmocka_unit_test(test_interrupt),
        cmocka_unit_test(test_live_errors),
        cmocka_unit_test(test_live_loopback),
    };
    return cmocka_run_group_tests(tests, quiet, NULL);
}
