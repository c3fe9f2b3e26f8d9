/* port_scan: one source probing many distinct ports of one host.  At flow
 * end a flow that was a failed attempt (anomaly_probe_of: SYN unanswered,
 * refused or half-open; FIN/NULL/Xmas; UDP unanswered) adds its server port
 * to the (source, host, protocol) set; `distinct` ports within the sliding
 * window raise one alert with the first ports as evidence. */
#include "anomaly/anomaly_int.h"

#include <stdio.h>

#define PORT_WIDTH 8

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option options[] = {
    { "distinct", OPT_COUNT, P(threshold), 2, 65536, NULL, 0 },
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
    return set_bytes(p) + evlist_size(p->evidence, PORT_WIDTH);
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
    key.b = f->server;
    key.extra = f->proto;
    bool created;
    struct tracker *t = tracker_get(c, &key, &created);
    if (!t)
        return;
    struct dset *set = tracker_part(t, 0);
    struct evlist *ev = tracker_part(t, set_bytes(p));
    if (created) {
        dset_init(set, p->threshold);
        evlist_init(ev, p->evidence, PORT_WIDTH);
    }
    if (dset_add(set, f->server_port, f->start_usec, p->window_usec)) {
        char port[PORT_WIDTH];
        snprintf(port, sizeof port, "%u", (unsigned)f->server_port);
        evlist_add(ev, port);
    }
    if (set->live < p->threshold)
        return;
    const char *evidence[ANOMALY_MAX_EVIDENCE];
    size_t n = evlist_view(ev, evidence, ANOMALY_MAX_EVIDENCE);
    anomaly_emit(c, "port_scan", set->live, 0, evidence, n);
    dset_clear(set);
    evlist_clear(ev);
}

const struct anomaly_detector anomaly_port_scan = {
    .name = "port_scan",
    .options = options,
    .defaults = defaults,
    .data_size = data_size,
    .on_flow_end = on_flow_end,
};
