/* event_id sequence: starts at 1 when fresh, persists across reopen (clean
 * and "crashed"), stays unique under concurrent use, rejects a bad file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event/sequence.h"

static char dir[256];
static char path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/xiezhi-seq.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/xiezhi.seq", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char tmp[320];
    unlink(path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    unlink(tmp);
    rmdir(dir);
    return 0;
}

static void test_fresh_starts_at_one(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct event_sequence *s = event_sequence_open(path, &d);
    assert_non_null(s);
    assert_int_equal(event_sequence_next(s), 1);
    assert_int_equal(event_sequence_next(s), 2);
    assert_int_equal(event_sequence_next(s), 3);
    event_sequence_close(s);
    /* a clean close stores the exact next value: no gap */
    s = event_sequence_open(path, &d);
    assert_int_equal(event_sequence_next(s), 4);
    event_sequence_close(s);
}

static void test_crash_never_reuses(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct event_sequence *s = event_sequence_open(path, &d);
    uint64_t last = 0;
    for (int i = 0; i < 100000; i++)
        last = event_sequence_next(s);
    assert_int_equal(last, 100000);
    /* a crash: another process opens the state while s was never closed */
    struct event_sequence *again = event_sequence_open(path, &d);
    assert_non_null(again);
    uint64_t next = event_sequence_next(again);
    assert_true(next > last);
    assert_true(next <= last + 1 + EVENT_SEQUENCE_BLOCK);
    event_sequence_close(again);
    event_sequence_close(s);
}

static void test_memory_only(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct event_sequence *s = event_sequence_open(NULL, &d);
    assert_int_equal(event_sequence_next(s), 1);
    assert_int_equal(event_sequence_peek(s), 2);
    event_sequence_close(s);
    assert_int_equal(access(path, F_OK), -1);
}

static void test_bad_file_rejected(void **state)
{
    (void)state;
    const char *bad[] = { "", "abc\n", "-5\n", "12x\n", "0\n", "99999999999999999999999\n" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        FILE *f = fopen(path, "w");
        fputs(bad[i], f);
        fclose(f);
        struct diag d = { .quiet = 1 };
        assert_null(event_sequence_open(path, &d));
        assert_int_equal(d.errors, 1);
        assert_non_null(strstr(d.last, "xiezhi.seq"));
    }
}

#define THREADS 4
#define PER_THREAD 50000

struct worker { struct event_sequence *s; uint64_t *out; };

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < PER_THREAD; i++)
        w->out[i] = event_sequence_next(w->s);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_concurrent_unique(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    struct event_sequence *s = event_sequence_open(path, &d);
    uint64_t *all = calloc(THREADS * PER_THREAD, sizeof *all);
    pthread_t t[THREADS];
    struct worker w[THREADS];
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){ s, all + i * PER_THREAD };
        pthread_create(&t[i], NULL, worker_run, &w[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        for (int j = 1; j < PER_THREAD; j++)
            assert_true(w[i].out[j] > w[i].out[j - 1]);
    qsort(all, THREADS * PER_THREAD, sizeof *all, cmp_u64);
    for (int i = 0; i < THREADS * PER_THREAD; i++)
        assert_int_equal(all[i], (uint64_t)i + 1);
    free(all);
    event_sequence_close(s);
    s = event_sequence_open(path, &d);
    assert_int_equal(event_sequence_next(s), THREADS * PER_THREAD + 1);
    event_sequence_close(s);
}

/* Two processes on one state file would repeat ids: the lock refuses the
 * second holder (flock is per open file, so one process shows it). */
static void test_lock_refuses_second(void **state)
{
    (void)state;
    struct diag d = { .quiet = 1 };
    int fd = event_sequence_lock(path, &d);
    assert_true(fd >= 0);
    struct diag d2 = { .quiet = 1 };
    assert_int_equal(event_sequence_lock(path, &d2), -1);
    assert_int_equal(d2.errors, 1);
    assert_non_null(strstr(d2.last, "another xiezhi process"));
    close(fd);
    fd = event_sequence_lock(path, &d2);
    assert_true(fd >= 0);
    close(fd);
    char lock[320];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh_starts_at_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_never_reuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_file_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lock_refuses_second, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_unique, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
