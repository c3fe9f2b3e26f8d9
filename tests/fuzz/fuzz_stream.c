/* Fuzz target: TCP reassembly.  The input is a small config (depth,
 * per-flow held cap, midstream, memcap), two initial sequence numbers (any
 * 32-bit value, so wrap-around at 2^32 is reached), then segments: direction,
 * flags, offset, length, time step, and whether the bytes are the stream's
 * true bytes or different ones.  Properties: chunks of a direction come in
 * offset order, contiguous unless marked GAP, nothing after EOF and one EOF;
 * every delivered byte is one that was sent at that offset (the true byte
 * when no segment lied); nothing past the depth; buffered memory stays under
 * the memcap and is all given back at the flow's end.
 * fuzz-needs: stream_packet stream_flow_end stream_engine_new */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stream/stream.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK FUZZ_CHECK
#define SEG_MAX 2048

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    return 0;
}

/* The byte a direction carries at sequence number seq (so the same bytes
 * whatever offset the stream gives them); a lying segment flips it. */
static uint8_t true_byte(int dir, uint32_t seq)
{
    return (uint8_t)(seq * 131u + (seq >> 8) * 7u + (unsigned)dir * 59u);
}

struct dir_check {
    uint64_t next;              /* where the next chunk must start unless GAP */
    bool eof, lied;
    bool started;
    uint32_t base_seq;          /* sequence number of stream offset 0 */
};

static void check_chunks(struct dir_check *dc, const struct stream_chunk *c, size_t n,
                         uint64_t depth)
{
    for (size_t i = 0; i < n; i++) {
        struct dir_check *d = &dc[c[i].dir];
        CHECK(c[i].dir == FLOW_TOSERVER || c[i].dir == FLOW_TOCLIENT, "dir %d", c[i].dir);
        CHECK(!d->eof, "chunk after EOF in direction %d", c[i].dir);
        if (c[i].flags & STREAM_CHUNK_GAP)
            CHECK(c[i].offset > d->next, "GAP chunk at %llu, expected past %llu",
                  (unsigned long long)c[i].offset, (unsigned long long)d->next);
        else
            CHECK(c[i].offset == d->next || c[i].len == 0, "chunk at %llu, expected %llu",
                  (unsigned long long)c[i].offset, (unsigned long long)d->next);
        CHECK(c[i].len == 0 || c[i].data, "chunk without data");
        if (depth)
            CHECK(c[i].offset + c[i].len <= depth, "chunk past the depth");
        for (uint32_t k = 0; k < c[i].len; k++) {
            CHECK(d->started, "bytes from a direction that never started");
            uint8_t t = true_byte(c[i].dir, d->base_seq + (uint32_t)(c[i].offset + k));
            CHECK(c[i].data[k] == t || (d->lied && c[i].data[k] == (uint8_t)~t),
                  "byte at offset %llu is %02x, never sent",
                  (unsigned long long)(c[i].offset + k), c[i].data[k]);
        }
        if (c[i].len)
            d->next = c[i].offset + c[i].len;
        if (c[i].flags & STREAM_CHUNK_EOF)
            d->eof = true;
    }
}

static void check_view(const struct stream_view *v)
{
    CHECK(v->new_from <= v->len, "view new_from %u past len %u", v->new_from, v->len);
    CHECK(v->len == 0 || v->data, "view without data");
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 12)
        return 0;
    static const uint64_t depths[4] = { 0, 64, 4096, 1024 * 1024 };
    struct stream_config cfg;
    stream_config_defaults(&cfg);
    cfg.depth = depths[data[0] & 3];
    cfg.midstream = !(data[0] & 4);
    cfg.max_held = (data[0] & 8) ? 512 : 256 * 1024;
    cfg.memcap = (data[0] & 16) ? 64 * 1024 : 16 * 1024 * 1024;
    cfg.gap_timeout_usec = (uint64_t)(data[1] & 15) * 100000;
    bool handshake = data[1] & 16;
    uint32_t isn[2] = { rd32(data + 2), rd32(data + 6) };
    data += 10, size -= 10;

    struct stream_engine *se = stream_engine_new(&cfg);
    if (!se)
        return 0;
    struct flow flow;
    memset(&flow, 0, sizeof flow);
    flow.proto = 6;
    struct dir_check dc[2] = { { 0 }, { 0 } };
    static uint8_t payload[SEG_MAX];
    uint64_t ts = 1000000;
    const struct stream_chunk *chunks;
    size_t n;

    if (handshake) {
        for (int d = 0; d < 2; d++) {
            dc[d].started = true;
            dc[d].base_seq = isn[d];
            struct packet p = { .proto = 6, .ts_usec = ts, .tcp_flags = TCP_SYN | (d ? TCP_ACK : 0),
                                .tcp_seq = isn[d] - 1, .tcp_ack = isn[d ^ 1] };
            flow.tcp_flags_seen[d] |= p.tcp_flags;
            n = stream_packet(se, &flow, &p, (enum flow_direction)d, &chunks);
            check_chunks(dc, chunks, n, cfg.depth);
        }
    }
    /* a segment: dir+flags, offset (3 bytes), length, time step, lie */
    while (size >= 7) {
        int dir = data[0] & 1;
        uint8_t flags = TCP_ACK;
        if (data[0] & 2)
            flags |= TCP_FIN;
        if ((data[0] & 0x1c) == 0x1c)
            flags |= TCP_RST;
        bool lie = data[0] & 0x20;
        uint32_t off = (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3];
        if (data[0] & 0x40)
            off = (uint32_t)0 - off;            /* before the start, or far away */
        uint32_t len = ((uint32_t)data[4] << 3 | (data[0] >> 7)) % SEG_MAX;
        ts += (uint64_t)data[5] * 10000;
        uint32_t ack_off = (uint32_t)data[6] << 8;
        data += 7, size -= 7;
        if (!dc[dir].started && len) {
            dc[dir].started = true;         /* midstream: the first data is offset 0 */
            dc[dir].base_seq = isn[dir] + off;
        }
        for (uint32_t k = 0; k < len; k++) {
            uint8_t t = true_byte(dir, isn[dir] + off + k);
            payload[k] = lie ? (uint8_t)~t : t;
        }
        if (lie && len)
            dc[dir].lied = true;
        struct packet p = { .proto = 6, .ts_usec = ts, .tcp_flags = flags,
                            .tcp_seq = isn[dir] + off, .tcp_ack = isn[dir ^ 1] + ack_off,
                            .payload = payload, .payload_len = len };
        flow.tcp_flags_seen[dir] |= flags;
        flow.last_usec = ts;
        n = stream_packet(se, &flow, &p, (enum flow_direction)dir, &chunks);
        check_chunks(dc, chunks, n, cfg.depth);
        check_view(stream_packet_view(se));
        CHECK(stream_engine_stats(se)->memory <= cfg.memcap, "memory %llu over the memcap",
              (unsigned long long)stream_engine_stats(se)->memory);
    }
    struct stream_view views[2];
    n = stream_flow_end(se, &flow, &chunks, views);
    check_chunks(dc, chunks, n, cfg.depth);
    check_view(&views[0]);
    check_view(&views[1]);
    stream_flow_release(se, &flow);
    CHECK(stream_engine_stats(se)->memory == 0, "%llu bytes still buffered after the end",
          (unsigned long long)stream_engine_stats(se)->memory);
    stream_engine_free(se);
    return 0;
}
