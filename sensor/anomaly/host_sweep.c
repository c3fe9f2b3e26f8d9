/* host_sweep: one source trying one port (or ICMP echo) on many distinct
 * hosts.  At flow end a failed attempt (see anomaly_probe_of; `probe all`
 * counts answered flows too) adds its server address to the (source, port,
 * protocol) set; `distinct` hosts within the window raise one alert with the
 * first hosts as evidence. */
#include "anomaly/anomaly_int.h"

#include <stdio.h>

#define HOST_WIDTH 48

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option options[] = {
    { "distinct", OPT_COUNT, P(threshold), 2, 1 << 20, NULL, 0 },
    { "probe", OPT_WORD, P(probes), 0, 0, anomaly_probe_words, 4 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};
#undef P

static void defaults(struct anomaly_params *p)
{
    p->threshold = 20;
    p->probes = PROBE_FAILED;
}

static size_t set_bytes(const struct anomaly_params *p)
{
    return anomaly_align8(dset_size(p->threshold));
}

static size_t data_size(const struct anomaly_params *p)
{
    return set_bytes(p) + evlist_size(p->evidence, HOST_WIDTH);
}

static void on_flow_end(struct anomaly_ctx *c)
{
    const struct flow *f = c->flow;
    const struct anomaly_params *p = c->params;
    if (!(anomaly_probe_of(f) & p->probes))
        return;
    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = f->client;
    key.extra = (uint32_t)f->server_port | (uint32_t)f->proto << 16;
    bool created;
    struct tracker *t = tracker_get(c, &key, &created);
    if (!t)
        return;
    struct dset *set = tracker_part(t, 0);
    struct evlist *ev = tracker_part(t, set_bytes(p));
    if (created) {
        dset_init(set, p->threshold);
        evlist_init(ev, p->evidence, HOST_WIDTH);
    }
    if (dset_add(set, anomaly_addr_hash(&f->server), f->start_usec, p->window_usec)) {
        char host[HOST_WIDTH];
        anomaly_addr_text(&f->server, host, sizeof host);
        evlist_add(ev, host);
    }
    if (set->live < p->threshold)
        return;
    const char *evidence[ANOMALY_MAX_EVIDENCE];
    size_t n = evlist_view(ev, evidence, ANOMALY_MAX_EVIDENCE);
    anomaly_emit(c, "host_sweep", set->live, 0, evidence, n);
    dset_clear(set);
    evlist_clear(ev);
}

const struct anomaly_detector anomaly_host_sweep = {
    .name = "host_sweep",
    .options = options,
    .defaults = defaults,
    .data_size = data_size,
    .on_flow_end = on_flow_end,
};
