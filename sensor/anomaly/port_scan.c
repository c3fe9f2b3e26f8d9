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

static size_t data_size(const struct anomaly_params *p)
{
    return distinct_data_size(p, PORT_WIDTH);
}

static void on_flow_end(struct anomaly_ctx *c)
{
    const struct flow *f = c->flow;
    if (!(anomaly_probe_of(f) & c->params->probes))
        return;
    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = f->client;
    key.b = f->server;
    key.extra = f->proto;
    char port[PORT_WIDTH];
    snprintf(port, sizeof port, "%u", (unsigned)f->server_port);
    distinct_seen(c, &key, f->server_port, port, PORT_WIDTH, f->start_usec, "port_scan");
}

const struct anomaly_detector anomaly_port_scan = {
    .name = "port_scan",
    .options = options,
    .defaults = defaults,
    .data_size = data_size,
    .on_flow_end = on_flow_end,
};
