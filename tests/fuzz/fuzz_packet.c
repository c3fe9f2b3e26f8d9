/* Fuzz target: the data plane, decode -> flow table -> nDPI classification,
 * fed a burst of raw frames of one link type.  Input layout:
 *   byte 0          link type, an index into fuzz_linktypes[] (frames.h:
 *                   every DLT decode reads, and two it does not)
 *   then records    [u8 time step][u8 flags][u16 big-endian length][frame]
 * The time step advances packet time by step^2 * 10 ms (up to ~11 minutes,
 * so fragment and flow timeouts fire); flags bit 0 claims a wire length
 * beyond the captured bytes (a snap-length cut).  Each frame is copied into
 * a buffer of exactly its size so ASan sees any read past it, and every
 * byte decode points at (IP datagram, payload) is touched for the same
 * reason.  tests/fuzz/make_corpus.py reads linktypes[] to build the seeds.
 * fuzz-needs: decode_packet flow_table_lookup classify_packet */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "decode/decode.h"
#include "flow/flow.h"
#include "util/log.h"
#include "frames.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);


/* nDPI's detection module and the decoder (its fragment table) are costly
 * to build: one each for the whole run, as a worker keeps them for its
 * lifetime.  Every input ends by expiring all fragments, so no state but
 * counters carries over to the next input. */
static struct classifier *classifier;
static struct decoder *dec;

struct run {
    struct classifier *classifier;
    uint64_t ended;
};

static void on_flow_end(void *ctx, struct flow *flow)
{
    struct run *r = ctx;
    classify_flow_end(r->classifier, flow);
    classify_flow_release(flow);
    r->ended++;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    classifier = classifier_new();
    struct decoder_config dcfg = { .frag_memcap = 256 * 1024,
                                   .frag_timeout_usec = 30ull * 1000000,
                                   .max_tunnel_depth = 4 };
    dec = decoder_new(&dcfg);
    if (!classifier || !dec)
        abort();
    return 0;
}

/* Reads every byte decode says is there; ASan reports it if one is not. */
static volatile uint8_t sink;
static void touch(const uint8_t *p, uint32_t len)
{
    uint8_t acc = 0;
    for (uint32_t i = 0; i < len; i++)
        acc ^= p[i];
    sink = acc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t now = 1700000000ull * 1000000;
    struct fuzz_frames frames;
    if (!fuzz_frames_begin(&frames, data, size, &now))
        return 0;

    struct flow_table_config fcfg;
    flow_table_config_defaults(&fcfg);
    fcfg.max_flows = 32;                  /* small, so eviction happens */
    struct run run = { .classifier = classifier };
    struct flow_table *ft = flow_table_new(&fcfg, on_flow_end, &run);
    if (!ft)
        abort();

    struct capture_packet cp;
    uint8_t *frame;
    while ((frame = fuzz_frames_next(&frames, &cp))) {
        decoder_expire(dec, now);
        flow_table_expire(ft, now);
        struct packet pkt;
        if (decode_packet(dec, &cp, &pkt) == DECODE_PACKET) {
            if (pkt.ip_header)
                touch(pkt.ip_header, pkt.ip_len);
            if (pkt.payload)
                touch(pkt.payload, pkt.payload_len);
            enum flow_direction dir;
            bool created;
            struct flow *flow = flow_table_lookup(ft, &pkt, &dir, &created);
            if (flow)
                classify_packet(classifier, flow, &pkt, dir);
        }
        free(frame);
    }
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    const struct flow_table_stats *fs = flow_table_stats(ft);
    /* Every flow created ended exactly once, through the callback. */
    FUZZ_CHECK(fs->active == 0 && fs->ended == fs->created && run.ended == fs->ended,
               "flows: created %llu, ended %llu (callback %llu), active %llu",
               (unsigned long long)fs->created, (unsigned long long)fs->ended,
               (unsigned long long)run.ended, (unsigned long long)fs->active);
    flow_table_free(ft);
    decoder_expire(dec, UINT64_MAX);
    return 0;
}
