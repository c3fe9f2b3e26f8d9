/* port_scan and host_sweep: one distinct-count detector over a failed
 * attempt's server side (anomaly_probe_of: SYN unanswered, refused or
 * half-open; FIN/NULL/Xmas; UDP unanswered; `probe all` counts answered
 * flows too).  At flow end port_scan adds the server port to the (source,
 * host, protocol) set, host_sweep the server address (or the ICMP echo's
 * target) to the (source, port, protocol) set; `distinct` values within the
 * sliding window raise one alert with the first of them as evidence.  The
 * two differ only in the part of the flow they count: a scan_part. */
#include "anomaly/anomaly_int.h"

#include <stdio.h>

#define PORT_WIDTH 8
#define HOST_WIDTH 48

/* The counted part of a flow: the key holds what stays fixed, value() gives
 * the counted item (its text, up to width bytes, is the evidence). */
struct scan_part {
    const char *kind;
    uint32_t width;
    void (*key)(const struct flow *f, struct anomaly_key *key);
    uint32_t (*value)(const struct flow *f, char *text, size_t len);
};

static void port_key(const struct flow *f, struct anomaly_key *key)
{
    key->b = f->server;
    key->extra = f->proto;
}

static uint32_t port_value(const struct flow *f, char *text, size_t len)
{
    snprintf(text, len, "%u", (unsigned)f->server_port);
    return f->server_port;
}

static void host_key(const struct flow *f, struct anomaly_key *key)
{
    key->extra = (uint32_t)f->server_port | (uint32_t)f->proto << 16;
}

static uint32_t host_value(const struct flow *f, char *text, size_t len)
{
    anomaly_addr_text(&f->server, text, len);
    return anomaly_addr_hash(&f->server);
}

static const struct scan_part scan_ports = { "port_scan", PORT_WIDTH, port_key, port_value };
static const struct scan_part scan_hosts = { "host_sweep", HOST_WIDTH, host_key, host_value };

static void scan_flow_end(struct anomaly_ctx *c, const struct scan_part *part)
{
    const struct flow *f = c->flow;
    if (!(anomaly_probe_of(f) & c->params->probes))
        return;
    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = f->client;
    part->key(f, &key);
    char text[HOST_WIDTH];
    uint32_t value = part->value(f, text, part->width);
    distinct_seen(c, &key, value, text, part->width, f->start_usec, part->kind);
}

static void defaults(struct anomaly_params *p)
{
    p->threshold = 20;
    p->probes = PROBE_FAILED;
}

/* ---- port_scan: distinct ports of one host ---- */

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option port_options[] = {
    { "distinct", OPT_COUNT, P(threshold), 2, 65536, NULL, 0 },
    { "probe", OPT_WORD, P(probes), 0, 0, anomaly_probe_words, 4 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};

static size_t port_data_size(const struct anomaly_params *p)
{
    return distinct_data_size(p, PORT_WIDTH);
}

static void port_flow_end(struct anomaly_ctx *c)
{
    scan_flow_end(c, &scan_ports);
}

const struct anomaly_detector anomaly_port_scan = {
    .name = "port_scan",
    .options = port_options,
    .defaults = defaults,
    .data_size = port_data_size,
    .on_flow_end = port_flow_end,
};

/* ---- host_sweep: distinct hosts on one port ---- */

static const struct anomaly_option host_options[] = {
    { "distinct", OPT_COUNT, P(threshold), 2, 1 << 20, NULL, 0 },
    { "probe", OPT_WORD, P(probes), 0, 0, anomaly_probe_words, 4 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};
#undef P

static size_t host_data_size(const struct anomaly_params *p)
{
    return distinct_data_size(p, HOST_WIDTH);
}

static void host_flow_end(struct anomaly_ctx *c)
{
    scan_flow_end(c, &scan_hosts);
}

const struct anomaly_detector anomaly_host_sweep = {
    .name = "host_sweep",
    .options = host_options,
    .defaults = defaults,
    .data_size = host_data_size,
    .on_flow_end = host_flow_end,
};
