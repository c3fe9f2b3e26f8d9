/* The eve.json exporter: one line per event, appended to <log-dir>/<filename>,
 * reopened on SIGHUP so logrotate can move the file away.  A lock makes it
 * safe to call from several worker threads. */
#include "exporters/exporter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

struct file_exporter {
    pthread_mutex_t lock;
    char *path;
    FILE *fp;
    char *buffer;               /* fp's stdio buffer, FILE_BUFFER_BYTES, outlives each fp */
    uint64_t written, errors;
    int error_logged;
};

/* glibc's setvbuf ignores the size when it is not given the buffer: with
 * NULL the file kept stdio's 4 KiB and took a write(2) per few events. */
#define FILE_BUFFER_BYTES (1u << 16)

/* Created 0640 (alerts are sensitive: readable by the sensor's group, set
 * with run-as.group, and nobody else); never through a symlink. */
static FILE *file_open_path(const char *path, char *buffer)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
    if (fd < 0)
        return NULL;
    FILE *fp = fdopen(fd, "a");
    if (!fp) {
        close(fd);
        return NULL;
    }
    setvbuf(fp, buffer, _IOFBF, buffer ? FILE_BUFFER_BYTES : BUFSIZ);
    return fp;
}

static void *file_open(const struct config *cfg, const char *prefix,
                       const struct outputs_env *env, struct diag *diag)
{
    char key[160];
    snprintf(key, sizeof key, "%sfilename", prefix);
    const char *name = config_get_str(cfg, key, "eve.json");
    struct file_exporter *fe = calloc(1, sizeof *fe);
    if (!fe)
        return NULL;
    pthread_mutex_init(&fe->lock, NULL);
    fe->path = exporter_path(env->log_dir, name);
    fe->buffer = malloc(FILE_BUFFER_BYTES);
    fe->fp = fe->path ? file_open_path(fe->path, fe->buffer) : NULL;
    if (!fe->fp) {
        diag_error(diag, fe->path ? fe->path : name, 0, "cannot open for writing: %s",
                   strerror(errno));
        free(fe->buffer);
        free(fe->path);
        free(fe);
        return NULL;
    }
    return fe;
}

static void file_write(void *state, const struct event_record *ev)
{
    struct file_exporter *fe = state;
    pthread_mutex_lock(&fe->lock);
    if (fe->fp && fwrite(ev->json, 1, ev->len, fe->fp) == ev->len && putc('\n', fe->fp) != EOF) {
        fe->written++;
    } else {
        fe->errors++;
        if (!fe->error_logged) {
            fe->error_logged = 1;
            log_error("%s: write failed: %s", fe->path, strerror(errno));
        }
    }
    pthread_mutex_unlock(&fe->lock);
}

static void file_reopen(void *state)
{
    struct file_exporter *fe = state;
    pthread_mutex_lock(&fe->lock);
    if (fe->fp)
        fclose(fe->fp);
    fe->fp = file_open_path(fe->path, fe->buffer);
    if (!fe->fp)
        log_error("%s: cannot reopen: %s", fe->path, strerror(errno));
    fe->error_logged = 0;
    pthread_mutex_unlock(&fe->lock);
}

static void file_flush(void *state)
{
    struct file_exporter *fe = state;
    pthread_mutex_lock(&fe->lock);
    if (fe->fp)
        fflush(fe->fp);
    pthread_mutex_unlock(&fe->lock);
}

static void file_stats(void *state, struct outputs_stats *sum)
{
    struct file_exporter *fe = state;
    pthread_mutex_lock(&fe->lock);
    sum->written += fe->written;
    sum->write_errors += fe->errors;
    pthread_mutex_unlock(&fe->lock);
}

static void file_close(void *state)
{
    struct file_exporter *fe = state;
    if (fe->fp && fclose(fe->fp) != 0)
        log_error("%s: close failed: %s", fe->path, strerror(errno));
    pthread_mutex_destroy(&fe->lock);
    free(fe->buffer);
    free(fe->path);
    free(fe);
}

const struct exporter_ops exporter_file = {
    .name = "eve",
    .default_enabled = true,
    .default_types = EVENT_TYPE_MASK(EVENT_ALERT) | EVENT_TYPE_MASK(EVENT_ANOMALY) |
                     EVENT_TYPE_MASK(EVENT_FLOW) | EVENT_TYPE_MASK(EVENT_STATS),
    .open = file_open,
    .write = file_write,
    .reopen = file_reopen,
    .flush = file_flush,
    .stats = file_stats,
    .close = file_close,
};
