/* host_sweep: one source trying one port (or ICMP echo) on many distinct
 * hosts.  At flow end a failed attempt (see anomaly_probe_of; `probe all`
 * counts answered flows too) adds its server address to the (source, port,
 * protocol) set; `distinct` hosts within the window raise one alert with the
 * first hosts as evidence. */
#include "anomaly/anomaly_int.h"


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

static size_t data_size(const struct anomaly_params *p)
{
    return distinct_data_size(p, HOST_WIDTH);
}

static void on_flow_end(struct anomaly_ctx *c)
{
    const struct flow *f = c->flow;
    if (!(anomaly_probe_of(f) & c->params->probes))
        return;
    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = f->client;
    key.extra = (uint32_t)f->server_port | (uint32_t)f->proto << 16;
    char host[HOST_WIDTH];
    anomaly_addr_text(&f->server, host, sizeof host);
    distinct_seen(c, &key, anomaly_addr_hash(&f->server), host, HOST_WIDTH, f->start_usec, "host_sweep");
}

const struct anomaly_detector anomaly_host_sweep = {
    .name = "host_sweep",
    .options = options,
    .defaults = defaults,
    .data_size = data_size,
    .on_flow_end = on_flow_end,
};
