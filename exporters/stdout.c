/* The stdout exporter: one EVE line per event on standard output, for
 * pipelines (xiezhi -r x.pcap --set outputs.stdout.enabled=yes | jq). */
#include "exporters/exporter.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

struct stdout_exporter {
    pthread_mutex_t lock;
    uint64_t written, errors;
};

static void *stdout_open(const struct config *cfg, const char *prefix,
                         const struct outputs_env *env, struct diag *diag)
{
    (void)cfg, (void)prefix, (void)env, (void)diag;
    struct stdout_exporter *se = calloc(1, sizeof *se);
    if (se)
        pthread_mutex_init(&se->lock, NULL);
    return se;
}

static void stdout_write(void *state, const struct event_record *ev)
{
    struct stdout_exporter *se = state;
    pthread_mutex_lock(&se->lock);
    if (fwrite(ev->json, 1, ev->len, stdout) == ev->len && putc('\n', stdout) != EOF)
        se->written++;
    else
        se->errors++;
    pthread_mutex_unlock(&se->lock);
}

static void stdout_flush(void *state)
{
    struct stdout_exporter *se = state;
    pthread_mutex_lock(&se->lock);
    fflush(stdout);
    pthread_mutex_unlock(&se->lock);
}

static void stdout_stats(void *state, struct outputs_stats *sum)
{
    struct stdout_exporter *se = state;
    pthread_mutex_lock(&se->lock);
    sum->written += se->written;
    sum->write_errors += se->errors;
    pthread_mutex_unlock(&se->lock);
}

static void stdout_close(void *state)
{
    struct stdout_exporter *se = state;
    fflush(stdout);
    pthread_mutex_destroy(&se->lock);
    free(se);
}

const struct exporter_ops exporter_stdout = {
    .name = "stdout",
    .default_enabled = false,
    .default_types = EVENT_TYPE_MASK(EVENT_ALERT) | EVENT_TYPE_MASK(EVENT_ANOMALY) |
                     EVENT_TYPE_MASK(EVENT_FLOW) | EVENT_TYPE_MASK(EVENT_STATS),
    .open = stdout_open,
    .write = stdout_write,
    .flush = stdout_flush,
    .stats = stdout_stats,
    .close = stdout_close,
};
