/* beacon: one host connecting to the same destination (address, port,
 * protocol) at regular intervals, like malware calling its controller.  At
 * flow end the flow's start time joins the last `count` start times of that
 * pair; when they all lie within the window, their mean interval is at least
 * min-interval and the coefficient of variation of the intervals (standard
 * deviation / mean) is at most `jitter`, one alert says so: score = the CV,
 * evidence = the intervals. */
#include "anomaly/anomaly_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define INTERVAL_WIDTH 16

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option options[] = {
    { "count", OPT_COUNT, P(threshold), 3, 4096, NULL, 0 },
    { "min-interval", OPT_DURATION, P(min_interval_usec), 0, 86400e6, NULL, 0 },
    { "jitter", OPT_REAL, P(max_cv), 0, 10, NULL, 0 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};
#undef P

static void defaults(struct anomaly_params *p)
{
    p->threshold = 8;
    p->window_usec = 2 * 3600 * 1000000ull;
    p->min_interval_usec = 10 * 1000000ull;
    p->max_cv = 0.1;
}

static size_t data_size(const struct anomaly_params *p)
{
    return anomaly_align8(ring_size(p->threshold));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void on_flow_end(struct anomaly_ctx *c)
{
    const struct flow *f = c->flow;
    const struct anomaly_params *p = c->params;
    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = f->client;
    key.b = f->server;
    key.extra = (uint32_t)f->server_port | (uint32_t)f->proto << 16;
    bool created;
    struct tracker *t = tracker_get(c, &key, &created);
    if (!t)
        return;
    struct ring *ring = tracker_part(t, 0);   /* data is _Alignas(8) */
    if (created)
        ring_init(ring, p->threshold);
    ring_push(ring, f->start_usec);
    if (ring->n < ring->cap || ring_span(ring) > p->window_usec)
        return;

    /* Flows end out of order: sort the starts before taking intervals. */
    uint64_t starts[4096];
    uint32_t n = ring->n;
    for (uint32_t i = 0; i < n; i++)
        starts[i] = ring->ts[i];
    qsort(starts, n, sizeof starts[0], cmp_u64);
    double sum = 0, sumsq = 0;
    for (uint32_t i = 1; i < n; i++) {
        double d = (double)(starts[i] - starts[i - 1]);
        sum += d;
        sumsq += d * d;
    }
    double mean = sum / (n - 1);
    double var = sumsq / (n - 1) - mean * mean;
    double cv = mean > 0 ? sqrt(var > 0 ? var : 0) / mean : 0;
    if (mean < (double)p->min_interval_usec || mean <= 0 || cv > p->max_cv)
        return;

    char text[ANOMALY_MAX_EVIDENCE][INTERVAL_WIDTH];
    const char *evidence[ANOMALY_MAX_EVIDENCE];
    size_t nev = 0;
    for (uint32_t i = 1; i < n && nev < p->evidence && nev < ANOMALY_MAX_EVIDENCE; i++, nev++) {
        snprintf(text[nev], INTERVAL_WIDTH, "%.1fs", (double)(starts[i] - starts[i - 1]) / 1e6);
        evidence[nev] = text[nev];
    }
    anomaly_emit(c, "beacon", n, round(cv * 1000) / 1000, evidence, nev);
    ring_clear(ring);
}

const struct anomaly_detector anomaly_beacon = {
    .name = "beacon",
    .options = options,
    .defaults = defaults,
    .data_size = data_size,
    .on_flow_end = on_flow_end,
};
