/* event_id sequence: an atomic counter backed by a high-water mark file,
 * advanced by whole blocks so the file is written once per 65536 events. */
#include "event/sequence.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "util/log.h"

struct event_sequence {
    _Atomic uint64_t next;        /* the next number to hand out */
    _Atomic uint64_t reserved;    /* numbers below this are covered by the file */
    pthread_mutex_t lock;         /* serialises reservations */
    char *path;                   /* NULL: in memory */
    int write_failed;             /* log a failing state file once */
};

/* Writes value to path atomically: temp file, fsync, rename, fsync dir. */
static int state_write(const char *path, uint64_t value)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        return -1;
    char text[32];
    int n = snprintf(text, sizeof text, "%" PRIu64 "\n", value);
    int ok = write(fd, text, (size_t)n) == n && fsync(fd) == 0;
    ok = (close(fd) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* Reads the stored value: 1 if the file does not exist, 0 on a bad file. */
static uint64_t state_read(const char *path, struct diag *diag)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 1;
        diag_error(diag, path, 0, "cannot read sequence state: %s", strerror(errno));
        return 0;
    }
    char text[64] = { 0 };
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    char *end = NULL;
    errno = 0;
    unsigned long long v = (n > 0 && text[0] >= '0' && text[0] <= '9') ? strtoull(text, &end, 10) : 0;
    if (!end || errno || (*end != '\n' && *end != '\0') || v == 0 || v > UINT64_MAX / 2) {
        diag_error(diag, path, 1, "sequence state is not a positive number; "
                   "remove the file only if reusing event ids is acceptable");
        return 0;
    }
    return (uint64_t)v;
}

struct event_sequence *event_sequence_open(const char *state_path, struct diag *diag)
{
    uint64_t start = state_path ? state_read(state_path, diag) : 1;
    if (start == 0)
        return NULL;
    struct event_sequence *seq = calloc(1, sizeof *seq);
    if (!seq)
        return NULL;
    pthread_mutex_init(&seq->lock, NULL);
    atomic_store(&seq->next, start);
    atomic_store(&seq->reserved, start);
    if (state_path) {
        seq->path = strdup(state_path);
        if (!seq->path) {
            event_sequence_close(seq);
            return NULL;
        }
    } else {
        atomic_store(&seq->reserved, UINT64_MAX);
    }
    return seq;
}

/* Moves the high-water mark past value; called with value >= reserved. */
static void sequence_reserve(struct event_sequence *seq, uint64_t value)
{
    pthread_mutex_lock(&seq->lock);
    uint64_t reserved = atomic_load(&seq->reserved);
    if (value >= reserved) {
        uint64_t mark = value + EVENT_SEQUENCE_BLOCK;
        if (state_write(seq->path, mark) != 0 && !seq->write_failed) {
            seq->write_failed = 1;
            log_error("%s: cannot persist the event sequence (%s); ids stay unique in this run "
                      "but may repeat after a restart", seq->path, strerror(errno));
        }
        atomic_store(&seq->reserved, mark);
    }
    pthread_mutex_unlock(&seq->lock);
}

uint64_t event_sequence_next(struct event_sequence *seq)
{
    uint64_t value = atomic_fetch_add(&seq->next, 1);
    if (value >= atomic_load(&seq->reserved))
        sequence_reserve(seq, value);
    return value;
}

uint64_t event_sequence_peek(const struct event_sequence *seq)
{
    return atomic_load(&((struct event_sequence *)seq)->next);
}

void event_sequence_close(struct event_sequence *seq)
{
    if (!seq)
        return;
    if (seq->path && state_write(seq->path, atomic_load(&seq->next)) != 0)
        log_error("%s: cannot save the event sequence: %s", seq->path, strerror(errno));
    pthread_mutex_destroy(&seq->lock);
    free(seq->path);
    free(seq);
}

int event_sequence_lock(const char *state_path, struct diag *diag)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s.lock", state_path) >= (int)sizeof path) {
        diag_error(diag, state_path, 0, "path too long");
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        diag_error(diag, path, 0, "cannot open the sequence lock: %s", strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        if (err == EWOULDBLOCK)
            diag_error(diag, state_path, 0, "in use by another xiezhi process: two sensors on one "
                       "sequence file would repeat event_ids; give each its own log directory (-l) "
                       "or sensor.state-file");
        else
            diag_error(diag, path, 0, "cannot lock the sequence state: %s", strerror(err));
        return -1;
    }
    return fd;
}
