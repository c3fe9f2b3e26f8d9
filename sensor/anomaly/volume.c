/* volume: bytes a host sends (client to server, as the rule header scopes:
 * typically $HOME_NET -> $EXTERNAL_NET) per fixed window, aligned to the
 * window length.  Each finished window teaches the host's baseline (EWMA of
 * mean and variance over its active windows).  An alert needs the window's
 * bytes at or above `threshold` and, once `learn` windows are known, above
 * mean + deviation * max(stddev, mean/10); until then the host is warming up
 * and stays silent (learn 0: the fixed threshold alone).  Flow bytes count in
 * the window where the flow ends.  Score = deviations above the mean. */
#include "anomaly/anomaly_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define HOST_WIDTH 48

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option options[] = {
    { "threshold", OPT_SIZE, P(bytes_threshold), 1, 1e15, NULL, 0 },
    { "deviation", OPT_REAL, P(deviation), 0, 1000, NULL, 0 },
    { "alpha", OPT_REAL, P(alpha), 0.001, 1, NULL, 0 },
    { "learn", OPT_COUNT, P(learn), 0, 100000, NULL, 0 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};
#undef P

struct volume_data {
    uint64_t window_index;     /* current window: time / window length */
    uint64_t bytes;            /* in the current window */
    double mean, var;          /* EWMA over finished active windows */
    uint32_t learned;          /* finished active windows */
    uint32_t alerted;          /* this window already raised its alert */
};

static void defaults(struct anomaly_params *p)
{
    p->window_usec = 3600 * 1000000ull;
    p->bytes_threshold = 100ull << 20;
    p->deviation = 3;
    p->alpha = 0.2;
    p->learn = 6;
    p->suppress_usec = 3600 * 1000000ull;
}

static size_t data_size(const struct anomaly_params *p)
{
    return anomaly_align8(sizeof(struct volume_data)) + evlist_size(p->evidence, HOST_WIDTH);
}

static void learn_window(struct volume_data *v, double alpha)
{
    double x = (double)v->bytes;
    if (v->learned == 0) {
        v->mean = x;
        v->var = 0;
    } else {
        double diff = x - v->mean, incr = alpha * diff;
        v->mean += incr;
        v->var = (1 - alpha) * (v->var + diff * incr);
    }
    v->learned++;
}

static bool evlist_has(const struct evlist *e, const char *s)
{
    for (uint16_t i = 0; i < e->n; i++)
        if (strcmp(e->text + (size_t)i * e->width, s) == 0)
            return true;
    return false;
}

static void on_flow_end(struct anomaly_ctx *c)
{
    const struct flow *f = c->flow;
    const struct anomaly_params *p = c->params;
    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = f->client;
    bool created;
    struct tracker *t = tracker_get(c, &key, &created);
    if (!t)
        return;
    struct volume_data *v = tracker_part(t, 0);
    struct evlist *ev = tracker_part(t, anomaly_align8(sizeof *v));
    uint64_t index = f->last_usec / p->window_usec;
    if (created) {
        memset(v, 0, sizeof *v);
        v->window_index = index;
        evlist_init(ev, p->evidence, HOST_WIDTH);
    }
    if (index > v->window_index) {
        if (v->bytes)
            learn_window(v, p->alpha);
        v->window_index = index;
        v->bytes = 0;
        v->alerted = 0;
        evlist_clear(ev);
    }
    v->bytes += f->bytes[FLOW_TOSERVER];
    char host[HOST_WIDTH];
    anomaly_addr_text(&f->server, host, sizeof host);
    if (!evlist_has(ev, host))
        evlist_add(ev, host);

    if (v->alerted || v->bytes < p->bytes_threshold)
        return;
    double score = 0;
    if (p->learn > 0) {
        if (v->learned < p->learn)
            return;            /* still learning this host */
        double sd = sqrt(v->var > 0 ? v->var : 0);
        if (sd < v->mean / 10)
            sd = v->mean / 10;
        if ((double)v->bytes <= v->mean + p->deviation * sd)
            return;
        score = sd > 0 ? ((double)v->bytes - v->mean) / sd : 0;
    }
    v->alerted = 1;
    const char *evidence[ANOMALY_MAX_EVIDENCE];
    size_t n = evlist_view(ev, evidence, ANOMALY_MAX_EVIDENCE);
    anomaly_emit(c, "volume", v->bytes, round(score * 100) / 100, evidence, n);
}

const struct anomaly_detector anomaly_volume = {
    .name = "volume",
    .options = options,
    .defaults = defaults,
    .data_size = data_size,
    .ttl_windows = 24 * 8,
    .on_flow_end = on_flow_end,
};
