/* The on-disk spool: FIFO order over many segments, prepend in front, the
 * size bound and its drop-newest policy, the cursor across reopen, and a
 * torn or corrupt tail cut off at open. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exporters/spool.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/xiezhi-spool.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    DIR *d = opendir(dir);
    struct dirent *de;
    char path[600];
    while (d && (de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        unlink(path);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    return 0;
}

static void make_event(char *buf, size_t size, uint64_t seq)
{
    snprintf(buf, size, "{\"event_type\":\"alert\",\"event_id\":\"s1:%llu\",\"pad\":\"%0*d\"}",
             (unsigned long long)seq, (int)(seq % 97), 0);
}

static int append_seq(struct spool *sp, uint64_t seq)
{
    char buf[256];
    make_event(buf, sizeof buf, seq);
    struct spool_rec r = { seq, 0, buf, (uint32_t)strlen(buf) };
    return spool_append(sp, &r);
}

/* Reads everything, checking each record is seq expected.. in order. */
static uint64_t drain_expect(struct spool *sp, uint64_t expected, size_t batch)
{
    struct spool_rec recs[64];
    char want[256];
    size_t n;
    while ((n = spool_peek(sp, recs, batch)) > 0) {
        for (size_t i = 0; i < n; i++) {
            make_event(want, sizeof want, expected);
            assert_int_equal(recs[i].seq, expected);
            assert_int_equal(recs[i].len, strlen(want));
            assert_memory_equal(recs[i].data, want, recs[i].len);
            expected++;
        }
        spool_consume(sp, n);
    }
    return expected;
}

static int count_segments(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strstr(de->d_name, ".spool") != NULL;
    closedir(d);
    return n;
}

static void test_order_many_segments(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 4096, &d);
    assert_non_null(sp);
    for (uint64_t i = 1; i <= 5000; i++)
        assert_int_equal(append_seq(sp, i), 0);
    assert_int_equal(spool_count(sp), 5000);
    assert_true(count_segments() > 10);
    assert_int_equal(drain_expect(sp, 1, 64), 5001);
    assert_int_equal(spool_count(sp), 0);
    struct spool_stats st;
    spool_get_stats(sp, &st);
    assert_int_equal(st.bytes, 0);
    assert_int_equal(st.appended, 5000);
    assert_int_equal(count_segments(), 0);    /* delivered segments are deleted */
    /* interleaved appends and reads keep order */
    uint64_t next_in = 5001, next_out = 5001;
    for (int round = 0; round < 50; round++) {
        for (int k = 0; k < 37; k++)
            assert_int_equal(append_seq(sp, next_in++), 0);
        struct spool_rec recs[16];
        size_t n = spool_peek(sp, recs, 16);
        for (size_t i = 0; i < n; i++)
            assert_int_equal(recs[i].seq, next_out++);
        spool_consume(sp, n);
    }
    assert_int_equal(drain_expect(sp, next_out, 50), next_in);
    spool_close(sp);
}

static void test_prepend_goes_first(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    for (uint64_t i = 101; i <= 200; i++)
        append_seq(sp, i);
    char bufs[100][256];
    struct spool_rec recs[100];
    for (int i = 0; i < 100; i++) {
        make_event(bufs[i], sizeof bufs[i], (uint64_t)i + 1);
        recs[i] = (struct spool_rec){ (uint64_t)i + 1, 0, bufs[i], (uint32_t)strlen(bufs[i]) };
    }
    assert_int_equal(spool_prepend(sp, recs, 100), 0);
    assert_int_equal(spool_count(sp), 200);
    for (uint64_t i = 201; i <= 250; i++)
        append_seq(sp, i);
    spool_close(sp);
    /* order survives a reopen */
    sp = spool_open(dir, 1 << 30, 0, &d);
    assert_int_equal(spool_count(sp), 250);
    assert_int_equal(drain_expect(sp, 1, 33), 251);
    spool_close(sp);
}

static void test_bound_drops_newest(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 20000, 0, &d);
    uint64_t stored = 0, dropped = 0, seq;
    struct spool_stats st;
    for (seq = 1; seq <= 1000; seq++) {
        char buf[256];
        make_event(buf, sizeof buf, seq);
        spool_get_stats(sp, &st);
        int fits = st.bytes + SPOOL_RECORD_HEADER + strlen(buf) <= 20000;
        int rc = append_seq(sp, seq);
        assert_true(rc == 0 || rc == 1);
        if (rc == 0) {
            assert_true(fits);
            assert_int_equal(dropped, 0);   /* once full, every newer event is dropped */
            stored++;
        } else {
            dropped++;
        }
    }
    spool_get_stats(sp, &st);
    assert_true(st.bytes <= 20000);
    assert_true(st.bytes > 20000 - 300);
    assert_int_equal(st.dropped, dropped);
    assert_int_equal(st.count, stored);
    assert_true(dropped > 0);
    /* the oldest are kept, in order; room frees up as they are delivered */
    struct spool_rec recs[64];
    uint64_t seen = 0, last = 0;
    size_t n;
    while ((n = spool_peek(sp, recs, 64)) > 0) {
        for (size_t i = 0; i < n; i++) {
            assert_true(recs[i].seq > last);
            last = recs[i].seq;
            seen++;
        }
        spool_consume(sp, n);
    }
    assert_int_equal(seen, stored);
    assert_int_equal(last, stored);       /* a gapless prefix 1..stored */
    assert_int_equal(append_seq(sp, 5000), 0);
    spool_close(sp);
}

static void test_cursor_survives_reopen(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    for (uint64_t i = 1; i <= 300; i++)
        append_seq(sp, i);
    struct spool_rec recs[64];
    assert_int_equal(spool_peek(sp, recs, 40), 40);
    spool_consume(sp, 25);              /* delivered 1..25 only */
    spool_close(sp);
    sp = spool_open(dir, 1 << 30, 0, &d);
    assert_int_equal(spool_count(sp), 275);
    assert_int_equal(drain_expect(sp, 26, 64), 301);
    spool_close(sp);
}

static char *only_segment(void)
{
    static char path[600];
    DIR *dh = opendir(dir);
    struct dirent *de;
    path[0] = '\0';
    while ((de = readdir(dh)) != NULL)
        if (strstr(de->d_name, ".spool"))
            snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    closedir(dh);
    return path;
}

static void test_torn_tail_ignored(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    for (uint64_t i = 1; i <= 100; i++)
        append_seq(sp, i);
    spool_close(sp);
    /* a crash in the middle of the last write: cut 7 bytes off */
    char *seg = only_segment();
    struct stat st;
    assert_int_equal(stat(seg, &st), 0);
    assert_int_equal(truncate(seg, st.st_size - 7), 0);
    sp = spool_open(dir, 1 << 30, 0, &d);
    assert_int_equal(spool_count(sp), 99);
    struct spool_stats ss;
    spool_get_stats(sp, &ss);
    assert_int_equal(ss.corrupt, 1);
    /* appends continue after the last good record */
    append_seq(sp, 100);
    assert_int_equal(drain_expect(sp, 1, 64), 101);
    spool_close(sp);
}

static void test_corrupt_record_cut(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    for (uint64_t i = 1; i <= 50; i++)
        append_seq(sp, i);
    spool_close(sp);
    char *seg = only_segment();
    struct stat st;
    stat(seg, &st);
    /* flip a byte in the payload of a record near the end, and add garbage
     * that claims a huge length */
    int fd = open(seg, O_RDWR);
    unsigned char b;
    off_t at = st.st_size - 10;
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x55;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    unsigned char junk[40];
    memset(junk, 0xff, sizeof junk);
    assert_int_equal(pwrite(fd, junk, sizeof junk, st.st_size), (ssize_t)sizeof junk);
    close(fd);
    sp = spool_open(dir, 1 << 30, 0, &d);
    assert_int_equal(spool_count(sp), 49);
    assert_int_equal(drain_expect(sp, 1, 64), 50);
    spool_close(sp);
}

static void test_crc32_standard(void **state)
{
    (void)state;
    assert_int_equal(spool_crc32(0, "123456789", 9), 0xCBF43926u);   /* the check value */
    assert_int_equal(spool_crc32(0, "", 0), 0);
    /* incremental over any split equals one pass */
    char buf[1000];
    for (int i = 0; i < 1000; i++)
        buf[i] = (char)(i * 131 + 7);
    uint32_t whole = spool_crc32(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= 17; cut++)
        assert_int_equal(spool_crc32(spool_crc32(0, buf, cut), buf + cut, sizeof buf - cut), whole);
}

static void test_big_record(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    size_t big = 6u << 20;
    char *data = malloc(big);
    memset(data, 'x', big);
    struct spool_rec r = { 7, 1, data, (uint32_t)big };
    assert_int_equal(spool_append(sp, &r), 0);
    append_seq(sp, 8);
    struct spool_rec out[4];
    assert_int_equal(spool_peek(sp, out, 4), 1);
    assert_int_equal(out[0].len, big);
    assert_int_equal(out[0].type, 1);
    assert_memory_equal(out[0].data, data, big);
    spool_consume(sp, 1);
    assert_int_equal(drain_expect(sp, 8, 4), 9);
    free(data);
    spool_close(sp);
}

/* Two owners of one spool would interleave records: the second is refused,
 * with the reason, until the first closes. */
static void test_second_open_refused(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    assert_non_null(sp);
    struct diag d2 = { .quiet = 1 };
    assert_null(spool_open(dir, 1 << 30, 0, &d2));
    assert_int_equal(d2.errors, 1);
    assert_non_null(strstr(d2.last, "in use by another xiezhi"));
    spool_close(sp);
    sp = spool_open(dir, 1 << 30, 0, &d2);
    assert_non_null(sp);
    spool_close(sp);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "spool_peek did not return: it spins\n";
    write(2, msg, sizeof msg - 1);
    _exit(1);
}

/* A segment cut short behind the spool's back (a record larger than one
 * read, file now shorter than it): peek returns, gives the rest up, counts
 * it, and later records still come out. */
static void test_short_read_no_spin(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    size_t big = 200000;
    char *data = malloc(big);
    memset(data, 'y', big);
    struct spool_rec r = { 1, 0, data, (uint32_t)big };
    assert_int_equal(spool_append(sp, &r), 0);
    assert_int_equal(append_seq(sp, 2), 0);
    spool_flush(sp);
    char *seg = only_segment();
    assert_int_equal(truncate(seg, 100000), 0);
    signal(SIGALRM, on_alarm);
    alarm(5);
    struct spool_rec out[4];
    assert_int_equal(spool_peek(sp, out, 1), 0);
    alarm(0);
    struct spool_stats st;
    spool_get_stats(sp, &st);
    assert_int_equal(st.dropped, 2);       /* the big record and the one after it */
    assert_int_equal(st.count, 0);
    assert_int_equal(append_seq(sp, 3), 0);
    assert_int_equal(drain_expect(sp, 3, 4), 4);
    free(data);
    spool_close(sp);
}

/* A damaged record in the middle of a segment at open: the records from it
 * on are cut off, and every one of them is counted as dropped. */
static void test_corrupt_middle_counts_lost(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    for (uint64_t i = 1; i <= 100; i++)
        append_seq(sp, i);
    spool_close(sp);
    /* find record 50's payload and flip a byte of it */
    char *seg = only_segment();
    int fd = open(seg, O_RDWR);
    off_t at = 0;
    unsigned char hdr[SPOOL_RECORD_HEADER];
    for (int i = 1; i < 50; i++) {
        assert_int_equal(pread(fd, hdr, sizeof hdr, at), (ssize_t)sizeof hdr);
        at += SPOOL_RECORD_HEADER + (hdr[0] | hdr[1] << 8);
    }
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, at + SPOOL_RECORD_HEADER + 3), 1);
    b ^= 0x20;
    assert_int_equal(pwrite(fd, &b, 1, at + SPOOL_RECORD_HEADER + 3), 1);
    close(fd);
    sp = spool_open(dir, 1 << 30, 0, &d);
    struct spool_stats st;
    spool_get_stats(sp, &st);
    assert_int_equal(st.count, 49);
    assert_int_equal(st.corrupt, 1);
    assert_int_equal(st.dropped, 51);      /* record 50 and the 50 intact ones behind it */
    assert_int_equal(drain_expect(sp, 1, 64), 50);
    spool_close(sp);
}

/* A segment that cannot be opened (here: a directory where a file should
 * be) does not stop the spool: it is left alone, the others replay, new
 * events are stored after it. */
static void test_unreadable_segment_skipped(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 4096, &d);
    for (uint64_t i = 1; i <= 200; i++)
        append_seq(sp, i);
    spool_close(sp);
    int before = count_segments();
    assert_true(before > 3);
    char bad[600];
    snprintf(bad, sizeof bad, "%s/00000fffffffffff.spool", dir);   /* after every other id */
    assert_int_equal(mkdir(bad, 0700), 0);
    sp = spool_open(dir, 1 << 30, 4096, &d);
    assert_non_null(sp);
    assert_int_equal(d.errors, 0);
    struct spool_stats st;
    spool_get_stats(sp, &st);
    assert_int_equal(st.unreadable, 1);
    assert_int_equal(st.count, 200);
    assert_int_equal(append_seq(sp, 201), 0);
    assert_int_equal(drain_expect(sp, 1, 64), 202);
    spool_close(sp);
    struct stat sb;
    assert_int_equal(stat(bad, &sb), 0);   /* left in place */
    rmdir(bad);
}

/* A spool directory that cannot exist (its parent is a file): the spool is
 * disabled, not fatal; stores are refused and counted. */
static void test_unusable_dir_disables(void **state)
{
    (void)state;
    char file[600], sub[700];
    snprintf(file, sizeof file, "%s/file", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    snprintf(sub, sizeof sub, "%s/spool", file);
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(sub, 1 << 30, 0, &d);
    assert_non_null(sp);
    assert_int_equal(d.errors, 0);
    assert_int_equal(append_seq(sp, 1), -1);
    assert_int_equal(append_seq(sp, 2), -1);
    struct spool_rec recs[1] = { { 3, 0, "{}", 2 } };
    assert_int_equal(spool_prepend(sp, recs, 1), -1);
    struct spool_stats st;
    spool_get_stats(sp, &st);
    assert_int_equal(st.disabled, 1);
    assert_int_equal(st.dropped, 3);
    assert_int_equal(st.count, 0);
    struct spool_rec out[1];
    assert_int_equal(spool_peek(sp, out, 1), 0);
    spool_close(sp);
}

/* The delivered seq survives a reopen; an old 20-byte cursor still loads. */
static void test_delivered_kept_with_cursor(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct spool *sp = spool_open(dir, 1 << 30, 0, &d);
    for (uint64_t i = 1; i <= 10; i++)
        append_seq(sp, i);
    struct spool_rec recs[4];
    assert_int_equal(spool_peek(sp, recs, 3), 3);
    spool_consume(sp, 3);
    spool_set_delivered(sp, 3);
    spool_set_delivered(sp, 2);            /* never lowered */
    spool_close(sp);
    sp = spool_open(dir, 1 << 30, 0, &d);
    assert_int_equal(spool_delivered(sp), 3);
    assert_int_equal(spool_count(sp), 7);
    spool_close(sp);
    /* the cursor as written before the seq was kept: 20 bytes */
    char path[600];
    snprintf(path, sizeof path, "%s/cursor", dir);
    int fd = open(path, O_RDWR);
    unsigned char rec[28];
    assert_int_equal(pread(fd, rec, 28, 0), 28);
    uint32_t crc = spool_crc32(0, rec, 16);
    for (int i = 0; i < 4; i++)
        rec[16 + i] = (unsigned char)(crc >> (8 * i));
    assert_int_equal(ftruncate(fd, 0), 0);
    assert_int_equal(pwrite(fd, rec, 20, 0), 20);
    close(fd);
    sp = spool_open(dir, 1 << 30, 0, &d);
    assert_int_equal(spool_delivered(sp), 0);
    assert_int_equal(spool_count(sp), 7);  /* the position itself still holds */
    assert_int_equal(drain_expect(sp, 4, 4), 11);
    spool_close(sp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_order_many_segments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_prepend_goes_first, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bound_drops_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cursor_survives_reopen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_tail_ignored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_record_cut, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_second_open_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_short_read_no_spin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_middle_counts_lost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_segment_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unusable_dir_disables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delivered_kept_with_cursor, setup, teardown),
        cmocka_unit_test(test_crc32_standard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
