/* The Redis exporter against a real redis-server that this test starts on a
 * free loopback port (AOF on, appendfsync always, in a temp dir).  Synthetic
 * event_records go through outputs_write(); Redis contents are read back with
 * hiredis and compared event by event with what was written (and with the
 * eve.json the file exporter wrote in the same run).  Outages: SHUTDOWN
 * NOSAVE and SIGKILL with a restart seconds later, SIGSTOP, Redis down at
 * start, a leftover spool, a tiny queue; AUTH with requirepass and an ACL
 * user.  Skipped when redis-server is not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <hiredis.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "exporters/exporter.h"
#include "util/log.h"

static char tmp[256];
static int port;
static char unix_path[300];       /* connect by unix socket when set */
static int read_db;               /* SELECT before reading back */
static pid_t redis_pid = -1;
static const char *redis_extra[16];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* The test's own client password: the exporter scrubs XIEZHI_REDIS_PASSWORD
 * from the environment once it has read it (issue 14). */
static char client_password[64];

static void set_password(const char *pw)
{
    snprintf(client_password, sizeof client_password, "%s", pw);
    setenv("XIEZHI_REDIS_PASSWORD", pw, 1);
}

static redisContext *rconnect(void)
{
    struct timeval tv = { 2, 0 };
    redisContext *c = unix_path[0] ? redisConnectUnixWithTimeout(unix_path, tv)
                                   : redisConnectWithTimeout("127.0.0.1", port, tv);
    if (!c || c->err) {
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    const char *pw = client_password[0] ? client_password : NULL;
    const char *user = getenv("TEST_REDIS_USER");
    if (pw) {
        redisReply *r = user ? redisCommand(c, "AUTH %s %s", user, pw) : redisCommand(c, "AUTH %s", pw);
        if (r)
            freeReplyObject(r);
    }
    if (read_db) {
        redisReply *r = redisCommand(c, "SELECT %d", read_db);
        if (r)
            freeReplyObject(r);
    }
    return c;
}

static void redis_start(void)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    redis_pid = fork();
    if (redis_pid == 0) {
        char log[300];
        snprintf(log, sizeof log, "%s/redis.log", tmp);
        const char *argv[48] = { "redis-server", "--port", portstr, "--bind", "127.0.0.1",
                                 "--dir", tmp, "--save", "", "--appendonly", "yes",
                                 "--appendfsync", "always", "--logfile", log };
        int argc = 15;
        for (int i = 0; redis_extra[i]; i++)
            argv[argc++] = redis_extra[i];
        argv[argc] = NULL;
        execvp("redis-server", (char **)argv);
        _exit(127);
    }
    for (int i = 0; i < 200; i++) {
        redisContext *c = rconnect();
        if (c) {
            redisReply *r = redisCommand(c, "PING");
            int ok = r && r->type == REDIS_REPLY_STATUS;
            if (r)
                freeReplyObject(r);
            redisFree(c);
            if (ok)
                return;
        }
        usleep(20000);
    }
    fail_msg("redis-server did not start on port %d", port);
}

static void redis_signal(int sig)
{
    if (redis_pid > 0) {
        kill(redis_pid, sig);
        if (sig == SIGKILL || sig == SIGTERM) {
            waitpid(redis_pid, NULL, 0);
            redis_pid = -1;
        }
    }
}

static void redis_shutdown_nosave(void)
{
    redisContext *c = rconnect();
    assert_non_null(c);
    redisReply *r = redisCommand(c, "SHUTDOWN NOSAVE");
    if (r)
        freeReplyObject(r);
    redisFree(c);
    waitpid(redis_pid, NULL, 0);
    redis_pid = -1;
}

static void rm_tree(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    struct dirent *de;
    char sub[1024];
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(sub, sizeof sub, "%s/%s", path, de->d_name);
        rm_tree(sub);
    }
    closedir(d);
    rmdir(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp, sizeof tmp, "/tmp/xiezhi-redis.XXXXXX");
    assert_non_null(mkdtemp(tmp));
    port = free_port();
    memset(redis_extra, 0, sizeof redis_extra);
    unix_path[0] = '\0';
    read_db = 0;
    unsetenv("XIEZHI_REDIS_PASSWORD");
    client_password[0] = '\0';
    unsetenv("TEST_REDIS_USER");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    if (redis_pid > 0) {
        kill(redis_pid, SIGCONT);
        redis_signal(SIGKILL);
    }
    rm_tree(tmp);
    return 0;
}

/* ---- the exporter side ---- */

static struct output_set *open_outputs(const char *const *sets)
{
    struct config *cfg = config_new();
    struct diag d = { 0 };
    char buf[512];
    snprintf(buf, sizeof buf, "outputs.redis.port=%d", port);
    config_set_override(cfg, buf, &d);
    config_set_override(cfg, "outputs.redis.enabled=yes", &d);
    config_set_override(cfg, "outputs.redis.close-timeout=30s", &d);
    config_set_override(cfg, "outputs.redis.connect-timeout=500ms", &d);
    config_set_override(cfg, "outputs.redis.command-timeout=1s", &d);
    config_set_override(cfg, "outputs.redis.reconnect-max-delay=300ms", &d);
    config_set_override(cfg, "outputs.eve.types=[alert]", &d);
    for (size_t i = 0; sets && sets[i]; i++)
        config_set_override(cfg, sets[i], &d);
    struct outputs_env env = { .log_dir = tmp, .sensor_id = "t1" };
    struct output_set *set = outputs_open(cfg, &env, &d);
    config_free(cfg);
    assert_int_equal(d.errors, 0);
    assert_non_null(set);
    return set;
}

static size_t make_event(char *buf, size_t size, uint64_t seq)
{
    return (size_t)snprintf(buf, size,
        "{\"timestamp\":\"2026-01-01T00:00:00.%06llu+0000\",\"event_type\":\"alert\","
        "\"event_id\":\"t1:%llu\",\"src_ip\":\"10.0.0.1\",\"alert\":{\"signature_id\":%llu,"
        "\"signature\":\"test \\\"quoted\\\" \\u0001\",\"severity\":2},\"pad\":\"%0*d\"}",
        (unsigned long long)(seq % 1000000), (unsigned long long)seq,
        (unsigned long long)seq, (int)(seq % 50), 0);
}

static void emit(struct output_set *set, uint64_t seq)
{
    char buf[512];
    size_t len = make_event(buf, sizeof buf, seq);
    struct event_record ev = { EVENT_ALERT, seq, buf, len };
    outputs_write(set, &ev);
}

/* Reads the whole stream/list back as an array of strings. */
struct contents { char **items; size_t n; };

static void contents_free(struct contents *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->items[i]);
    free(c->items);
}

static struct contents read_stream(const char *key)
{
    struct contents out = { 0 };
    redisContext *c = rconnect();
    assert_non_null(c);
    char start[64] = "-";
    for (;;) {
        redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 10000", key, start);
        assert_non_null(r);
        assert_int_equal(r->type, REDIS_REPLY_ARRAY);
        if (r->elements == 0) {
            freeReplyObject(r);
            break;
        }
        out.items = realloc(out.items, (out.n + r->elements) * sizeof *out.items);
        for (size_t i = 0; i < r->elements; i++) {
            redisReply *e = r->element[i];
            redisReply *fields = e->element[1];
            assert_string_equal(fields->element[0]->str, "eve");
            out.items[out.n++] = strdup(fields->element[1]->str);
            snprintf(start, sizeof start, "(%s", e->element[0]->str);
        }
        freeReplyObject(r);
    }
    redisFree(c);
    return out;
}

static struct contents read_list(const char *key)
{
    struct contents out = { 0 };
    redisContext *c = rconnect();
    redisReply *r = redisCommand(c, "LRANGE %s 0 -1", key);
    assert_non_null(r);
    out.items = calloc(r->elements + 1, sizeof *out.items);
    for (size_t i = 0; i < r->elements; i++)
        out.items[out.n++] = strdup(r->element[i]->str);
    freeReplyObject(r);
    redisFree(c);
    return out;
}

/* Every event first..last exactly once and in order. */
static void expect_exact(const struct contents *got, uint64_t first, uint64_t last)
{
    char want[512];
    for (size_t i = 0; i < got->n && got->n != last - first + 1; i++) {
        make_event(want, sizeof want, first + i);
        if (strcmp(got->items[i], want) != 0) {
            fprintf(stderr, "first difference at %zu:\n got  %.80s\n want %.80s\n", i,
                    got->items[i], want);
            break;
        }
    }
    if (got->n != last - first + 1)
        fail_msg("Redis holds %zu events, expected %llu", got->n,
                 (unsigned long long)(last - first + 1));
    for (size_t i = 0; i < got->n; i++) {
        make_event(want, sizeof want, first + i);
        if (strcmp(got->items[i], want) != 0)
            fail_msg("event %zu differs:\n got  %s\n want %s", i, got->items[i], want);
    }
}

static void expect_stats(struct output_set *set, uint64_t delivered_min, uint64_t dropped)
{
    struct outputs_stats st;
    outputs_get_stats(set, &st);
    assert_true(st.delivered >= delivered_min);
    assert_int_equal(st.dropped, dropped);
}

static void skip_without_redis(void)
{
    if (system("command -v redis-server >/dev/null 2>&1") != 0)
        skip();
}

/* ---- tests ---- */

/* Stream mode: XADD with MAXLEN; Redis holds exactly eve.json's events. */
static void test_stream_matches_eve(void **state)
{
    (void)state;
    skip_without_redis();
    redis_start();
    const char *sets[] = { "outputs.redis.key=xiezhi:{sensor}:alerts", NULL };
    struct output_set *set = open_outputs(sets);
    for (uint64_t s = 1; s <= 20000; s++)
        emit(set, s);
    /* a flow event is routed to eve only when asked; Redis takes alerts only */
    struct event_record flow = { EVENT_FLOW, 20001, "{\"event_type\":\"flow\"}", 21 };
    outputs_write(set, &flow);
    outputs_close(set);
    struct contents got = read_stream("xiezhi:t1:alerts");
    expect_exact(&got, 1, 20000);
    /* eve.json (types [alert]) holds the same lines */
    char path[300];
    snprintf(path, sizeof path, "%s/eve.json", tmp);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    size_t i = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        assert_true(i < got.n);
        assert_string_equal(line, got.items[i]);
        i++;
    }
    fclose(f);
    assert_int_equal(i, got.n);
    contents_free(&got);
}

static void test_list_modes(void **state)
{
    (void)state;
    skip_without_redis();
    redis_start();
    const char *rp[] = { "outputs.redis.mode=rpush", "outputs.redis.key=r", NULL };
    struct output_set *set = open_outputs(rp);
    for (uint64_t s = 1; s <= 5000; s++)
        emit(set, s);
    outputs_close(set);
    struct contents got = read_list("r");
    expect_exact(&got, 1, 5000);
    contents_free(&got);

    rm_tree(tmp);   /* a fresh spool dir; redis keeps running from its own dir state */
    mkdir(tmp, 0700);
    const char *lp[] = { "outputs.redis.mode=list", "outputs.redis.key=l", NULL };
    set = open_outputs(lp);
    for (uint64_t s = 1; s <= 5000; s++)
        emit(set, s);
    outputs_close(set);
    got = read_list("l");
    assert_int_equal(got.n, 5000);
    /* LPUSH: newest first */
    char want[512];
    for (size_t i = 0; i < got.n; i++) {
        make_event(want, sizeof want, 5000 - i);
        assert_string_equal(got.items[i], want);
    }
    contents_free(&got);
}

struct subscriber { pthread_t t; struct contents got; uint64_t expect; int ready; };

static void *subscriber_run(void *arg)
{
    struct subscriber *s = arg;
    redisContext *c = rconnect();
    redisReply *r = redisCommand(c, "SUBSCRIBE ch");
    freeReplyObject(r);
    __atomic_store_n(&s->ready, 1, __ATOMIC_SEQ_CST);
    s->got.items = calloc(s->expect, sizeof *s->got.items);
    while (s->got.n < s->expect) {
        void *reply = NULL;
        if (redisGetReply(c, &reply) != REDIS_OK)
            break;
        r = reply;
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3 && strcmp(r->element[0]->str, "message") == 0)
            s->got.items[s->got.n++] = strdup(r->element[2]->str);
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

static void test_channel_mode(void **state)
{
    (void)state;
    skip_without_redis();
    redis_start();
    struct subscriber sub = { .expect = 5000 };
    pthread_create(&sub.t, NULL, subscriber_run, &sub);
    while (!__atomic_load_n(&sub.ready, __ATOMIC_SEQ_CST))
        usleep(1000);
    usleep(50000);
    const char *sets[] = { "outputs.redis.mode=channel", "outputs.redis.key=ch", NULL };
    struct output_set *set = open_outputs(sets);
    for (uint64_t s = 1; s <= 5000; s++)
        emit(set, s);
    outputs_close(set);
    pthread_join(sub.t, NULL);
    expect_exact(&sub.got, 1, 5000);
    contents_free(&sub.got);
}

/* Stops Redis in the middle of 50,000 events and restarts it later. */
static void outage_run(int how)
{
    skip_without_redis();
    redis_start();
    const char *sets[] = { "outputs.redis.batch-size=256", NULL };
    struct output_set *set = open_outputs(sets);
    uint64_t s = 1;
    for (; s <= 20000; s++)
        emit(set, s);
    if (how == SIGKILL)
        redis_signal(SIGKILL);
    else
        redis_shutdown_nosave();
    double t0 = now_s();
    for (; s <= 40000; s++) {
        emit(set, s);
        if (s % 1000 == 0)
            usleep(50000);    /* a sensor keeps producing during the outage */
    }
    while (now_s() - t0 < 2.0)
        usleep(10000);
    struct outputs_stats st;
    outputs_get_stats(set, &st);
    assert_false(st.redis_connected);
    assert_true(st.spool_depth > 0);
    redis_start();
    for (; s <= 50000; s++) {
        emit(set, s);
        if (s % 1000 == 0)
            usleep(20000);
    }
    outputs_get_stats(set, &st);
    fprintf(stderr, "outage %s: spooled %llu, reconnects %llu, errors %llu, "
            "duplicates skipped %llu, delivered %llu\n", how == SIGKILL ? "SIGKILL" : "SHUTDOWN",
            (unsigned long long)st.spooled, (unsigned long long)st.reconnects,
            (unsigned long long)st.redis_errors, (unsigned long long)st.duplicates_skipped,
            (unsigned long long)st.delivered);
    outputs_close(set);
    struct contents got = read_stream("xiezhi:alerts");
    expect_exact(&got, 1, 50000);
    contents_free(&got);
}

static void test_outage_shutdown(void **state)
{
    (void)state;
    outage_run(SIGTERM);
}

static void test_outage_sigkill(void **state)
{
    (void)state;
    outage_run(SIGKILL);
}

static void test_requirepass(void **state)
{
    (void)state;
    skip_without_redis();
    redis_extra[0] = "--requirepass";
    redis_extra[1] = "s3cret pass";
    set_password("s3cret pass");
    redis_start();
    struct output_set *set = open_outputs(NULL);
    assert_null(getenv("XIEZHI_REDIS_PASSWORD"));     /* read, then scrubbed */
    for (uint64_t s = 1; s <= 20000; s++)
        emit(set, s);
    redis_signal(SIGKILL);
    usleep(500000);
    for (uint64_t s = 20001; s <= 50000; s++)
        emit(set, s);
    redis_start();
    outputs_close(set);
    struct contents got = read_stream("xiezhi:alerts");
    expect_exact(&got, 1, 50000);
    contents_free(&got);
}

static void test_acl_user_password_file(void **state)
{
    (void)state;
    skip_without_redis();
    const char *acl[] = { "--user", "default", "off", "--user", "xiezhi", "on", ">pw-from-file",
                          "~xiezhi:*", "+@all", NULL };
    memcpy(redis_extra, acl, sizeof acl);
    set_password("pw-from-file");
    setenv("TEST_REDIS_USER", "xiezhi", 1);
    redis_start();
    char pwfile[300], set_pw[400];
    snprintf(pwfile, sizeof pwfile, "%s/redis.pw", tmp);
    FILE *f = fopen(pwfile, "w");
    fputs("pw-from-file\n", f);
    fclose(f);
    chmod(pwfile, 0600);
    snprintf(set_pw, sizeof set_pw, "outputs.redis.password-file=%s", pwfile);
    const char *sets[] = { set_pw, "outputs.redis.username=xiezhi", "outputs.redis.db=0", NULL };
    unsetenv("XIEZHI_REDIS_PASSWORD");    /* the exporter must use the file */
    struct output_set *set = open_outputs(sets);
    setenv("XIEZHI_REDIS_PASSWORD", "pw-from-file", 1);
    for (uint64_t s = 1; s <= 3000; s++)
        emit(set, s);
    outputs_close(set);
    struct contents got = read_stream("xiezhi:alerts");
    expect_exact(&got, 1, 3000);
    contents_free(&got);

    /* a wrong password: nothing reaches Redis, everything is spooled, not lost */
    rm_tree(tmp);
    mkdir(tmp, 0700);
    f = fopen(pwfile, "w");
    fputs("wrong\n", f);
    fclose(f);
    const char *bad[] = { set_pw, "outputs.redis.username=xiezhi", "outputs.redis.close-timeout=300ms",
                          "outputs.redis.key=xiezhi:other", NULL };
    set = open_outputs(bad);
    for (uint64_t s = 1; s <= 100; s++)
        emit(set, s);
    usleep(300000);
    struct outputs_stats st;
    outputs_get_stats(set, &st);
    assert_int_equal(st.delivered, 0);
    assert_true(st.redis_errors > 0);
    outputs_close(set);
}

/* SIGSTOP: the writer never waits on Redis; nothing is lost. */
static void test_sigstop(void **state)
{
    (void)state;
    skip_without_redis();
    redis_start();
    const char *sets[] = { "outputs.redis.queue-size=4096", "outputs.redis.command-timeout=300ms", NULL };
    struct output_set *set = open_outputs(sets);
    for (uint64_t s = 1; s <= 10000; s++)
        emit(set, s);
    redis_signal(SIGSTOP);
    double t0 = now_s();
    for (uint64_t s = 10001; s <= 50000; s++)
        emit(set, s);
    double took = now_s() - t0;
    /* 40,000 writes with Redis frozen take no Redis time: blocking on it
     * would cost a 300 ms timeout per batch, tens of seconds in all */
    if (took >= 2.0)
        fail_msg("40,000 writes took %.2f s with Redis frozen", took);
    usleep(1500000);
    redis_signal(SIGCONT);
    outputs_close(set);
    struct contents got = read_stream("xiezhi:alerts");
    /* every event present, in order of first appearance; a batch cut by the
     * timeout may be applied late by the thawed server: duplicates allowed */
    uint64_t next = 1;
    char want[512];
    for (size_t i = 0; i < got.n; i++) {
        unsigned long long id = 0;
        const char *p = strstr(got.items[i], "\"event_id\":\"t1:");
        assert_non_null(p);
        id = strtoull(p + 15, NULL, 10);
        if (id == next) {
            make_event(want, sizeof want, next);
            assert_string_equal(got.items[i], want);
            next++;
        } else {
            assert_true(id < next);
        }
    }
    assert_int_equal(next, 50001);
    contents_free(&got);
}

/* Redis down at start and at close: the spool keeps everything, and the
 * next start replays it before new events. */
static void test_leftover_spool(void **state)
{
    (void)state;
    skip_without_redis();
    const char *sets[] = { "outputs.redis.close-timeout=200ms", NULL };
    struct output_set *set = open_outputs(sets);
    for (uint64_t s = 1; s <= 3000; s++)
        emit(set, s);
    outputs_close(set);
    redis_start();
    set = open_outputs(NULL);
    for (uint64_t s = 3001; s <= 6000; s++)
        emit(set, s);
    outputs_close(set);
    struct contents got = read_stream("xiezhi:alerts");
    expect_exact(&got, 1, 6000);
    contents_free(&got);
}

/* A queue far smaller than the burst: overflow goes to the spool, in order. */
static void test_tiny_queue(void **state)
{
    (void)state;
    skip_without_redis();
    /* tiny batches: an fsync per batch would make this test about the disk */
    redis_extra[0] = "--appendfsync";
    redis_extra[1] = "no";
    redis_start();
    const char *sets[] = { "outputs.redis.queue-size=16", "outputs.redis.batch-size=8", NULL };
    struct output_set *set = open_outputs(sets);
    for (uint64_t s = 1; s <= 30000; s++)
        emit(set, s);
    struct outputs_stats st;
    outputs_get_stats(set, &st);
    assert_true(st.spooled > 0);
    outputs_close(set);
    fprintf(stderr, "tiny queue: spooled %llu, dropped %llu, delivered before close %llu\n",
            (unsigned long long)st.spooled, (unsigned long long)st.dropped,
            (unsigned long long)st.delivered);
    struct contents got = read_stream("xiezhi:alerts");
    expect_exact(&got, 1, 30000);
    contents_free(&got);
}

/* A unix socket and a database other than 0. */
static void test_unix_socket_db(void **state)
{
    (void)state;
    skip_without_redis();
    char sock[300], set_sock[400];
    snprintf(sock, sizeof sock, "%s/redis.sock", tmp);
    redis_extra[0] = "--unixsocket";
    redis_extra[1] = sock;
    redis_start();
    snprintf(unix_path, sizeof unix_path, "%s", sock);
    snprintf(set_sock, sizeof set_sock, "outputs.redis.unix-socket=%s", sock);
    const char *sets[] = { set_sock, "outputs.redis.port=1", "outputs.redis.db=3", NULL };
    struct output_set *set = open_outputs(sets);
    for (uint64_t s = 1; s <= 2000; s++)
        emit(set, s);
    outputs_close(set);
    struct contents got = read_stream("xiezhi:alerts");
    assert_int_equal(got.n, 0);          /* nothing in db 0 */
    contents_free(&got);
    read_db = 3;
    got = read_stream("xiezhi:alerts");
    expect_exact(&got, 1, 2000);
    contents_free(&got);
}

/* Redis away and a tiny spool: the oldest events are kept, the newest that
 * do not fit are dropped and counted, and the kept ones arrive in order. */
static void test_spool_full_drops_newest(void **state)
{
    (void)state;
    skip_without_redis();
    const char *sets[] = { "outputs.redis.spool.max-size=64kb", "outputs.redis.close-timeout=100ms",
                           "outputs.redis.queue-size=16", NULL };
    struct output_set *set = open_outputs(sets);
    usleep(200000);                       /* the first connect attempt fails */
    for (uint64_t s = 1; s <= 2000; s++)
        emit(set, s);
    /* The exporter thread may hold an event between queue and spool for a
     * moment on a busy machine: wait until every event is accounted for. */
    struct outputs_stats st;
    for (int tries = 0; tries < 1000; tries++) {
        outputs_get_stats(set, &st);
        if (st.spooled + st.dropped + st.queue_depth == 2000)
            break;
        usleep(10000);
    }
    assert_true(st.dropped > 1000);
    assert_true(st.spool_bytes <= 64 * 1024 + 16 * 600);
    assert_int_equal(st.spooled + st.dropped + st.queue_depth, 2000);
    outputs_close(set);
    redis_start();
    set = open_outputs(NULL);
    outputs_close(set);
    struct contents got = read_stream("xiezhi:alerts");
    assert_true(got.n > 50);
    expect_exact(&got, 1, got.n);         /* a gapless prefix: newest dropped */
    contents_free(&got);
}

static void test_heartbeat(void **state)
{
    (void)state;
    skip_without_redis();
    redis_start();
    const char *sets[] = { "outputs.redis.heartbeat-interval=100ms", NULL };
    struct output_set *set = open_outputs(sets);
    assert_int_equal(outputs_heartbeat_interval_usec(set), 100000);
    struct sensor_health h = { .packets = 12345, .alerts = 7, .start_time = 1700000000,
                               .last_event_time = 1700000100 };
    outputs_heartbeat(set, &h);
    emit(set, 1);
    usleep(400000);
    redisContext *c = rconnect();
    redisReply *r = redisCommand(c, "HGET xiezhi:sensor:t1 packets");
    assert_int_equal(r->type, REDIS_REPLY_STRING);
    assert_string_equal(r->str, "12345");
    freeReplyObject(r);
    r = redisCommand(c, "HGET xiezhi:sensor:t1 last_event_time");
    assert_string_equal(r->str, "1700000100");
    freeReplyObject(r);
    r = redisCommand(c, "TTL xiezhi:sensor:t1");
    assert_true(r->integer > 0);
    freeReplyObject(r);
    redisFree(c);
    expect_stats(set, 1, 0);
    outputs_close(set);
}

/* heartbeat-interval 0 means no heartbeat for the sensor's timer and for
 * the exporter alike (they once read the key apart: "off" and "5 s"). */
static void test_heartbeat_off(void **state)
{
    (void)state;
    skip_without_redis();
    redis_start();
    const char *sets[] = { "outputs.redis.heartbeat-interval=0", NULL };
    struct output_set *set = open_outputs(sets);
    assert_int_equal(outputs_heartbeat_interval_usec(set), 0);
    struct sensor_health h = { .packets = 12345, .start_time = 1700000000 };
    outputs_heartbeat(set, &h);
    emit(set, 1);
    usleep(400000);
    expect_stats(set, 1, 0);
    redisContext *c = rconnect();
    redisReply *r = redisCommand(c, "EXISTS xiezhi:sensor:t1");
    assert_int_equal(r->type, REDIS_REPLY_INTEGER);
    assert_int_equal(r->integer, 0);
    freeReplyObject(r);
    redisFree(c);
    outputs_close(set);
}

/* Each lost event is counted once: the heartbeat's spool_dropped equals the
 * stats' dropped (it used to add the spool's count to the exporter's, which
 * already held the same refusals). */
static void test_dropped_counted_once(void **state)
{
    (void)state;
    skip_without_redis();
    const char *sets[] = { "outputs.redis.spool.max-size=64kb", "outputs.redis.queue-size=16",
                           "outputs.redis.heartbeat-interval=100ms", NULL };
    struct output_set *set = open_outputs(sets);
    usleep(200000);                       /* the first connect attempt fails */
    for (uint64_t s = 1; s <= 2000; s++)
        emit(set, s);
    struct outputs_stats st;
    for (int tries = 0; tries < 1000; tries++) {
        outputs_get_stats(set, &st);
        if (st.spooled + st.dropped + st.queue_depth == 2000)
            break;
        usleep(10000);
    }
    assert_true(st.dropped > 1000);
    redis_start();
    char got[32] = "";
    for (int tries = 0; tries < 300 && !got[0]; tries++) {
        usleep(20000);
        redisContext *c = rconnect();
        redisReply *r = redisCommand(c, "HGET xiezhi:sensor:t1 spool_dropped");
        if (r && r->type == REDIS_REPLY_STRING)
            snprintf(got, sizeof got, "%s", r->str);
        freeReplyObject(r);
        redisFree(c);
    }
    char want[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)st.dropped);
    assert_string_equal(got, want);
    outputs_close(set);
}

/* A buffered spool write that fails (here: the file size limit) loses the
 * events it held; they are counted as dropped, so every event stays
 * accounted for: in the spool, in the queue, or dropped. */
static void test_failed_spool_write_counted(void **state)
{
    (void)state;
    struct rlimit old, small = { 200 * 1024, 200 * 1024 };
    getrlimit(RLIMIT_FSIZE, &old);
    small.rlim_max = old.rlim_max;
    signal(SIGXFSZ, SIG_IGN);
    const char *sets[] = { "outputs.redis.queue-size=16", "outputs.redis.close-timeout=100ms", NULL };
    struct output_set *set = open_outputs(sets);   /* no Redis: everything is spooled */
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
    usleep(200000);
    for (uint64_t s = 1; s <= 3000; s++)
        emit(set, s);
    struct outputs_stats st;
    for (int tries = 0; tries < 500; tries++) {
        outputs_flush(set);
        usleep(10000);
        outputs_get_stats(set, &st);
        if (st.spool_depth + st.dropped + st.queue_depth == 3000)
            break;
    }
    setrlimit(RLIMIT_FSIZE, &old);
    fprintf(stderr, "file size limit: spool %llu, dropped %llu, queue %llu\n",
            (unsigned long long)st.spool_depth, (unsigned long long)st.dropped,
            (unsigned long long)st.queue_depth);
    assert_true(st.dropped > 0);
    assert_int_equal(st.spool_depth + st.dropped + st.queue_depth, 3000);
    outputs_close(set);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        cmocka_set_test_filter(argv[1]);
    log_set_level(LOG_LEVEL_ERROR);
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stream_matches_eve, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_channel_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outage_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outage_sigkill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requirepass, setup, teardown),
        cmocka_unit_test_setup_teardown(test_acl_user_password_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigstop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_leftover_spool, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tiny_queue, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unix_socket_db, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spool_full_drops_newest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_heartbeat_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dropped_counted_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_spool_write_counted, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
