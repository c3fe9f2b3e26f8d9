/* The decoder: per-worker state (counters, reassembly, link-type cache) and
 * the entry point that resets the per-frame state, picks the link decoder
 * from the table in link.c and tallies the outcome. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "decode/decode_int.h"

enum { DEFAULT_FRAG_MEMCAP = 16 << 20, DEFAULT_MAX_TUNNEL_DEPTH = 4, MAX_TUNNEL_DEPTH = 16,
       DEFAULT_VXLAN_PORT = 4789, DEFAULT_GENEVE_PORT = 6081, DEFAULT_GTPU_PORT = 2152,
       DEFAULT_TZSP_PORT = 37008 };
#define DEFAULT_FRAG_TIMEOUT_USEC (30ull * 1000000)

/* packet.decode_events has one bit per reason. */
_Static_assert(DECODE_ERROR_COUNT <= 64, "decode_events holds a bit per decode_error");

static const char *const error_names[] = {
#define DECODE_ERROR_NAME(id, name) name,
    DECODE_ERRORS(DECODE_ERROR_NAME)
#undef DECODE_ERROR_NAME
};

const char *decode_error_name(enum decode_error err)
{
    if ((unsigned)err >= DECODE_ERROR_COUNT)
        return "unknown";
    return error_names[err];
}

static uint16_t udp_tunnel_port(const struct config *cfg, const char *kind, uint16_t def, struct diag *diag)
{
    char key[64];
    snprintf(key, sizeof key, "decoder.%s.enabled", kind);
    if (!config_get_bool(cfg, key, true, diag))
        return 0;
    snprintf(key, sizeof key, "decoder.%s.port", kind);
    return (uint16_t)config_get_int(cfg, key, def, 1, 65535, diag);
}

void decoder_config_load(struct decoder_config *out, const struct config *cfg, struct diag *diag)
{
    out->max_tunnel_depth = (unsigned)config_get_int(cfg, "decoder.max-tunnel-depth", DEFAULT_MAX_TUNNEL_DEPTH,
                                                     0, MAX_TUNNEL_DEPTH, diag);
    out->frag_memcap = (size_t)config_get_size(cfg, "decoder.defrag.memcap", DEFAULT_FRAG_MEMCAP, 4096,
                                              (int64_t)1 << 40, diag);
    int64_t t = config_get_duration_usec(cfg, "decoder.defrag.timeout", (int64_t)DEFAULT_FRAG_TIMEOUT_USEC, diag);
    out->frag_timeout_usec = t > 0 ? (uint64_t)t : DEFAULT_FRAG_TIMEOUT_USEC;
    out->vxlan_port = udp_tunnel_port(cfg, "vxlan", DEFAULT_VXLAN_PORT, diag);
    out->geneve_port = udp_tunnel_port(cfg, "geneve", DEFAULT_GENEVE_PORT, diag);
    out->gtpu_port = udp_tunnel_port(cfg, "gtpu", DEFAULT_GTPU_PORT, diag);
    out->tzsp_port = udp_tunnel_port(cfg, "tzsp", DEFAULT_TZSP_PORT, diag);
}

struct decoder *decoder_new(const struct decoder_config *cfg)
{
    struct decoder *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg.frag_memcap = DEFAULT_FRAG_MEMCAP;
    d->cfg.frag_timeout_usec = DEFAULT_FRAG_TIMEOUT_USEC;
    d->cfg.max_tunnel_depth = DEFAULT_MAX_TUNNEL_DEPTH;
    d->cfg.vxlan_port = DEFAULT_VXLAN_PORT;
    d->cfg.geneve_port = DEFAULT_GENEVE_PORT;
    d->cfg.gtpu_port = DEFAULT_GTPU_PORT;
    d->cfg.tzsp_port = DEFAULT_TZSP_PORT;
    if (cfg) {
        d->cfg.vxlan_port = cfg->vxlan_port;
        d->cfg.geneve_port = cfg->geneve_port;
        d->cfg.gtpu_port = cfg->gtpu_port;
        d->cfg.tzsp_port = cfg->tzsp_port;
        if (cfg->frag_memcap)
            d->cfg.frag_memcap = cfg->frag_memcap;
        if (cfg->frag_timeout_usec)
            d->cfg.frag_timeout_usec = cfg->frag_timeout_usec;
        d->cfg.max_tunnel_depth = cfg->max_tunnel_depth < MAX_TUNNEL_DEPTH ? cfg->max_tunnel_depth
                                                                            : MAX_TUNNEL_DEPTH;
    }
    d->last_linktype = -1;
    d->defrag = defrag_new(d->cfg.frag_memcap, d->cfg.frag_timeout_usec);
    for (unsigned i = 0; i < DECODE_REASM_BUFFERS; i++)
        d->reasm_buf[i] = malloc(DECODE_REASM_BUFFER_SIZE);
    if (!d->defrag || !d->reasm_buf[0] || !d->reasm_buf[1]) {
        decoder_free(d);
        return NULL;
    }
    return d;
}

void decoder_free(struct decoder *d)
{
    if (!d)
        return;
    defrag_free(d->defrag);
    for (unsigned i = 0; i < DECODE_REASM_BUFFERS; i++)
        free(d->reasm_buf[i]);
    free(d);
}

enum decode_status decode_packet(struct decoder *d, const struct capture_packet *frame, struct packet *out)
{
    d->stats.packets++;
    d->stats.bytes += frame->caplen;
    memset(out, 0, sizeof *out);
    out->ts_usec = frame->ts_usec;
    out->pcap_cnt = frame->pcap_cnt;
    out->wire_len = frame->wirelen;
    d->snap_missing = frame->wirelen > frame->caplen ? frame->wirelen - frame->caplen : 0;
    d->reasm_used = 0;
    d->layers = 0;

    layer_decoder link = decode_link_lookup(d, frame->linktype);
    if (!link) {
        d->stats.errors[DECODE_ERR_LINK_UNSUPPORTED]++;
        return DECODE_DROPPED;
    }
    enum decode_status st = link(d, out, frame->data, frame->caplen);
    if (st == DECODE_SKIPPED)
        d->stats.non_ip++;
    else if (st == DECODE_PACKET && out->truncated)
        d->stats.truncated++;
    return st;
}

void decoder_expire(struct decoder *d, uint64_t now_usec)
{
    defrag_expire(d->defrag, now_usec, &d->stats);
}

const struct decode_stats *decoder_stats(const struct decoder *d)
{
    return &d->stats;
}
