/* TCP reassembly for a passive sensor, written here because no Debian
 * library does it: libnids is unmaintained and drops flows it did not see
 * start, and the reassemblers of Suricata, Zeek and Snort are not libraries.
 * Per direction: sequence numbers become 64-bit stream offsets (so wrap
 * at 2^32 is a subtraction), in-order bytes go to a window buffer, later
 * bytes wait in a sorted list of held segments until the gap before them
 * closes or is given up.  Overlaps keep the bytes seen first (docs/stream.md). */
#include "stream/stream.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "applayer/applayer.h"
#include "classify/classify.h"

/* flow->stream_flags */
enum {
    STREAM_FLOW_RELEASED = 1 << 0,
    STREAM_FLOW_SESSION = 1 << 1,       /* a SYN or a packet without RST/FIN was seen */
    STREAM_FLOW_RST_SENT = 1 << 2,      /* << dir: that side sent a RST we believed */
};

enum dir_state {
    DIR_NONE,       /* nothing seen yet */
    DIR_ACTIVE,     /* reassembling */
    DIR_DONE,       /* finished: EOF delivered, depth reached, or released */
    DIR_OFF,        /* never reassembled (midstream pickup refused) */
};

/* An out-of-order piece of a direction, waiting for the bytes before it. */
struct stream_segment {
    struct stream_segment *next;
    uint64_t offset;
    uint32_t len;
    uint8_t data[];
};

struct stream_dir {
    uint8_t state;              /* enum dir_state */
    bool syn_seen, fin_seen, rst_seen, ack_known, gap_pending, force_gap;
    uint32_t base_seq;          /* sequence number of stream offset 0 */
    uint32_t peer_ack;          /* highest acknowledgement the other side sent */
    uint64_t next;              /* offset of the next byte to deliver */
    uint64_t fin_offset;        /* offset the FIN occupies */
    uint64_t max_seen;          /* highest offset + length seen (stream_size) */
    struct stream_segment *held;    /* sorted, non-overlapping, all beyond next */
    uint64_t held_since_usec;   /* when the current gap started waiting */
    /* Delivered bytes: the context kept from earlier calls, then the bytes of
     * this call.  buf[buf_len - 1] is the byte at offset next - 1; bytes from
     * buf[gap_idx] on are contiguous in the stream (a gap skipped during this
     * call splits the buffer there). */
    uint8_t *buf;
    uint32_t buf_len, buf_cap, gap_idx, call_start;
};

struct stream_flow {
    struct stream_dir d[2];
    uint32_t held_bytes;        /* both directions, each segment's header included */
    uint32_t held_segments;
};

/* Held segments per flow: the sorted insert walks the list, so one-byte
 * segments out of order must not make it long. */
#define STREAM_MAX_HELD_SEGMENTS 2048u
/* A RST counts only near the expected sequence number (an injected RST
 * with a wild sequence number must not end reassembly). */
#define STREAM_RST_WINDOW (16u * 1024 * 1024)

struct stream_engine {
    struct stream_config cfg;
    struct stream_stats stats;
    struct stream_chunk *chunks;
    uint32_t *chunk_idx;        /* buffer index of each chunk's data, fixed up at the end */
    size_t nchunks, chunks_cap;
    struct stream_view view;
};

/* ---- configuration ------------------------------------------------------- */

void stream_config_defaults(struct stream_config *cfg)
{
    *cfg = (struct stream_config){
        .midstream = true,
        .depth = 1024 * 1024,
        .memcap = 64 * 1024 * 1024,
        .max_held = 256 * 1024,
        .gap_timeout_usec = 10 * 1000000ULL,
        .keep_encrypted = false,
    };
}

void stream_config_load(struct stream_config *cfg, const struct config *c, struct diag *diag)
{
    stream_config_defaults(cfg);
    if (!c)
        return;
    cfg->midstream = config_get_bool(c, "stream.midstream", cfg->midstream, diag);
    cfg->depth = (uint64_t)config_get_size(c, "stream.reassembly.depth", (int64_t)cfg->depth, 0,
                                          INT64_C(1) << 40, diag);
    cfg->memcap = (uint64_t)config_get_size(c, "stream.reassembly.memcap", (int64_t)cfg->memcap,
                                           64 * 1024, INT64_C(1) << 40, diag);
    cfg->max_held = (uint32_t)config_get_size(c, "stream.reassembly.max-held", cfg->max_held, 0,
                                             INT64_C(1) << 30, diag);
    int64_t t = config_get_duration_usec(c, "stream.reassembly.gap-timeout",
                                         (int64_t)cfg->gap_timeout_usec, diag);
    if (t >= 0)
        cfg->gap_timeout_usec = (uint64_t)t;
    static const char *const handling[] = { "default", "full" };
    cfg->keep_encrypted = config_get_choice(c, "detect.encryption-handling", handling, 2, 0,
                                            diag) == 1;
}

/* ---- engine ------------------------------------------------------------------ */

struct stream_engine *stream_engine_new(const struct stream_config *cfg)
{
    struct stream_engine *se = calloc(1, sizeof *se);
    if (!se)
        return NULL;
    if (cfg)
        se->cfg = *cfg;
    else
        stream_config_defaults(&se->cfg);
    return se;
}

void stream_engine_free(struct stream_engine *se)
{
    if (!se)
        return;
    free(se->chunks);
    free(se->chunk_idx);
    free(se);
}

const struct stream_stats *stream_engine_stats(const struct stream_engine *se)
{
    return &se->stats;
}

const struct stream_view *stream_packet_view(const struct stream_engine *se)
{
    return &se->view;
}

static void mem_add(struct stream_engine *se, uint64_t n)
{
    se->stats.memory += n;
    if (se->stats.memory > se->stats.memory_peak)
        se->stats.memory_peak = se->stats.memory;
}

static void mem_sub(struct stream_engine *se, uint64_t n)
{
    se->stats.memory = n > se->stats.memory ? 0 : se->stats.memory - n;
}

static bool mem_room(const struct stream_engine *se, uint64_t n)
{
    return se->stats.memory + n <= se->cfg.memcap;
}

/* ---- chunks ---------------------------------------------------------------------- */

static struct stream_chunk *chunk_push(struct stream_engine *se, enum flow_direction dir,
                                       uint64_t offset, uint32_t idx, uint32_t len,
                                       unsigned flags)
{
    /* a delivery right after the previous one extends its chunk */
    if (se->nchunks && !(flags & (STREAM_CHUNK_GAP | STREAM_CHUNK_EOF))) {
        struct stream_chunk *last = &se->chunks[se->nchunks - 1];
        if (last->dir == dir && !(last->flags & STREAM_CHUNK_EOF) &&
            last->offset + last->len == offset && se->chunk_idx[se->nchunks - 1] + last->len == idx) {
            last->len += len;
            return last;
        }
    }
    if (se->nchunks == se->chunks_cap) {
        size_t cap = se->chunks_cap ? se->chunks_cap * 2 : 8;
        struct stream_chunk *nc = realloc(se->chunks, cap * sizeof *nc);
        if (!nc)
            return NULL;
        se->chunks = nc;
        uint32_t *ni = realloc(se->chunk_idx, cap * sizeof *ni);
        if (!ni)
            return NULL;
        se->chunk_idx = ni;
        se->chunks_cap = cap;
    }
    se->chunk_idx[se->nchunks] = idx;
    struct stream_chunk *c = &se->chunks[se->nchunks++];
    *c = (struct stream_chunk){ .dir = dir, .data = NULL, .len = len, .offset = offset,
                                .flags = flags };
    return c;
}

/* Chunk data points into the direction buffers, which may move while a
 * call delivers: the pointers are set once, at the end. */
static void chunks_fix(struct stream_engine *se, const struct stream_flow *sf)
{
    static const uint8_t empty[1];
    for (size_t i = 0; i < se->nchunks; i++) {
        const struct stream_dir *d = &sf->d[se->chunks[i].dir];
        se->chunks[i].data = d->buf ? d->buf + se->chunk_idx[i] : empty;
    }
}

/* ---- sequence space ------------------------------------------------------------ */

/* The stream offset of seq: its signed distance from the next expected
 * sequence number, so 2^32 wrap-around needs no special case. */
static int64_t seq_offset(const struct stream_dir *d, uint32_t seq)
{
    uint32_t next_seq = d->base_seq + (uint32_t)d->next;
    int32_t diff = (int32_t)(seq - next_seq);
    return (int64_t)d->next + diff;
}

/* ---- the window buffer ----------------------------------------------------- */

static bool buf_reserve(struct stream_engine *se, struct stream_dir *d, uint32_t extra)
{
    uint64_t need = (uint64_t)d->buf_len + extra;
    if (need <= d->buf_cap)
        return true;
    if (need > UINT32_MAX / 2)
        return false;
    uint32_t cap = d->buf_cap ? d->buf_cap : 512;
    while (cap < need)
        cap *= 2;
    if (!mem_room(se, cap - d->buf_cap))
        return false;
    uint8_t *nb = realloc(d->buf, cap);
    if (!nb)
        return false;
    mem_add(se, cap - d->buf_cap);
    d->buf = nb;
    d->buf_cap = cap;
    return true;
}

static void buf_free(struct stream_engine *se, struct stream_dir *d)
{
    mem_sub(se, d->buf_cap);
    free(d->buf);
    d->buf = NULL;
    d->buf_len = d->buf_cap = d->gap_idx = d->call_start = 0;
}

/* Start of a call: keep at most STREAM_CONTEXT bytes of what was delivered
 * since the last gap, and give back memory a big delivery left behind. */
static void buf_compact(struct stream_engine *se, struct stream_dir *d)
{
    if (!d->buf)
        return;
    uint32_t usable = d->buf_len - d->gap_idx;
    uint32_t keep = usable < STREAM_CONTEXT ? usable : STREAM_CONTEXT;
    if (keep < d->buf_len)
        memmove(d->buf, d->buf + d->buf_len - keep, keep);
    d->buf_len = keep;
    d->gap_idx = 0;
    d->call_start = keep;
    if (d->buf_cap > 4 * STREAM_CONTEXT) {
        uint32_t cap = 2 * STREAM_CONTEXT;
        uint8_t *nb = realloc(d->buf, cap);
        if (nb) {
            mem_sub(se, d->buf_cap - cap);
            d->buf = nb;
            d->buf_cap = cap;
        }
    }
}

/* Bytes [offset, offset + len) compared with what the buffer holds of them
 * (only bytes after the last gap, within the kept context, can be compared). */
static bool buf_differs(const struct stream_dir *d, uint64_t offset, const uint8_t *p,
                        uint32_t len)
{
    uint64_t first = d->next - (d->buf_len - d->gap_idx);  /* offset of buf[gap_idx] */
    uint64_t lo = offset > first ? offset : first;
    uint64_t hi = offset + len < d->next ? offset + len : d->next;
    if (!d->buf || lo >= hi)
        return false;
    const uint8_t *old = d->buf + d->gap_idx + (lo - first);
    return memcmp(old, p + (lo - offset), (size_t)(hi - lo)) != 0;
}

/* ---- delivery ---------------------------------------------------------------------- */

static void note_event(struct flow *flow, enum flow_direction dir, unsigned ev)
{
    flow->stream_events[dir] |= (uint8_t)(ev & 0xff);
    flow->stream_events_hi[dir] |= (uint8_t)(ev >> 8);
}

/* Appends in-order bytes at d->next; false (counted) when memory is out. */
static bool deliver(struct stream_engine *se, struct flow *flow, struct stream_dir *d,
                    enum flow_direction dir, const uint8_t *p, uint32_t len)
{
    if (len == 0)
        return true;
    if (!buf_reserve(se, d, len)) {
        se->stats.memcap_drops++;
        note_event(flow, dir, STREAM_EVENT_MEMCAP);
        return false;
    }
    unsigned flags = d->gap_pending ? STREAM_CHUNK_GAP : 0;
    if (!chunk_push(se, dir, d->next, d->buf_len, len, flags)) {
        se->stats.memcap_drops++;
        return false;
    }
    d->gap_pending = false;
    memcpy(d->buf + d->buf_len, p, len);
    d->buf_len += len;
    d->next += len;
    se->stats.bytes += len;
    return true;
}

static void segment_free(struct stream_engine *se, struct stream_flow *sf,
                         struct stream_segment *s)
{
    sf->held_bytes -= (uint32_t)(sizeof *s + s->len);
    sf->held_segments--;
    mem_sub(se, sizeof *s + s->len);
    free(s);
}

/* Delivers held segments that the in-order data has reached. */
static void drain(struct stream_engine *se, struct flow *flow, struct stream_flow *sf,
                  struct stream_dir *d, enum flow_direction dir, uint64_t now)
{
    struct stream_segment *s;
    uint64_t before = d->next;
    while ((s = d->held) && s->offset <= d->next) {
        d->held = s->next;
        uint64_t end = s->offset + s->len;
        if (end > d->next) {
            uint32_t skip = (uint32_t)(d->next - s->offset);
            if (!deliver(se, flow, d, dir, s->data + skip, s->len - skip)) {
                /* out of memory: what it held is lost, like a gap */
                d->held = s;
                break;
            }
        }
        segment_free(se, sf, s);
    }
    if (d->held && d->next != before)
        d->held_since_usec = now;      /* a new gap starts waiting */
}

/* Gives up on the bytes before `to` (and before the first held segment, when
 * `to` is past it): they were lost.  The next delivery is marked GAP. */
static void skip_gap(struct stream_engine *se, struct flow *flow, struct stream_flow *sf,
                     struct stream_dir *d, enum flow_direction dir, uint64_t to,
                     uint64_t *counter, uint64_t now)
{
    if (to <= d->next)
        return;
    se->stats.gaps++;
    se->stats.gap_bytes += to - d->next;
    (*counter)++;
    note_event(flow, dir, STREAM_EVENT_GAP);
    d->next = to;
    d->gap_pending = true;
    d->gap_idx = d->buf_len;
    drain(se, flow, sf, d, dir, now);
}

/* Held data waits for its gap to close until the gap times out, the
 * receiver acknowledges past it (the sender will not send it again), or
 * the per-flow cap needs the room. */
static void maybe_skip_gap(struct stream_engine *se, struct flow *flow, struct stream_flow *sf,
                           struct stream_dir *d, enum flow_direction dir, uint64_t now)
{
    for (int guard = 0; d->held && guard < 64; guard++) {
        uint64_t first = d->held->offset;
        if (d->force_gap) {
            d->force_gap = false;
            skip_gap(se, flow, sf, d, dir, first, &se->stats.gaps_held_cap, now);
            continue;
        }
        if (d->ack_known) {
            int64_t acked = seq_offset(d, d->peer_ack);
            if (acked > (int64_t)d->next) {
                uint64_t to = (uint64_t)acked < first ? (uint64_t)acked : first;
                skip_gap(se, flow, sf, d, dir, to, &se->stats.gaps_acked, now);
                continue;
            }
        }
        if (now >= d->held_since_usec + se->cfg.gap_timeout_usec) {
            skip_gap(se, flow, sf, d, dir, first, &se->stats.gaps_timeout, now);
            continue;
        }
        break;
    }
    d->force_gap = false;
}

/* Ends a direction: what is held is delivered after GAP marks, then an EOF
 * chunk.  The window stays until the next call (the chunks point into it). */
static void finish_dir(struct stream_engine *se, struct flow *flow, struct stream_flow *sf,
                       struct stream_dir *d, enum flow_direction dir, uint64_t now, bool is_end)
{
    if (d->state != DIR_ACTIVE)
        return;
    while (d->held) {
        uint64_t before = d->next;
        skip_gap(se, flow, sf, d, dir, d->held->offset, &se->stats.gaps_flushed, now);
        if (d->next == before && d->held) {
            struct stream_segment *s = d->held;     /* undeliverable (memory) */
            d->held = s->next;
            segment_free(se, sf, s);
        }
    }
    chunk_push(se, dir, d->next, d->buf_len, 0, STREAM_CHUNK_EOF);
    d->state = DIR_DONE;
    if (is_end)
        se->stats.eof++;
}

/* ---- segments ---------------------------------------------------------------------- */

static struct stream_segment *segment_new(struct stream_engine *se, struct stream_flow *sf,
                                          uint64_t offset, const uint8_t *p, uint32_t len)
{
    if (!mem_room(se, sizeof(struct stream_segment) + len))
        return NULL;
    struct stream_segment *s = malloc(sizeof *s + len);
    if (!s)
        return NULL;
    s->next = NULL;
    s->offset = offset;
    s->len = len;
    memcpy(s->data, p, len);
    sf->held_bytes += (uint32_t)(sizeof *s + len);
    sf->held_segments++;
    mem_add(se, sizeof *s + len);
    return s;
}

/* Puts the bytes of [o, end) that no held segment covers into the held
 * list; covered bytes are compared with the held ones (old data wins).
 * Returns whether any byte overlapped. */
static bool hold(struct stream_engine *se, struct flow *flow, struct stream_flow *sf,
                 struct stream_dir *d, enum flow_direction dir, uint64_t o, const uint8_t *p,
                 uint64_t end, bool *different, bool *dropped)
{
    bool overlapped = false;
    uint64_t pos = o;
    struct stream_segment **pp = &d->held;
    while (pos < end) {
        struct stream_segment *s = *pp;
        if (s && s->offset + s->len <= pos) {
            pp = &s->next;
            continue;
        }
        if (s && s->offset <= pos) {
            uint64_t ov_end = end < s->offset + s->len ? end : s->offset + s->len;
            overlapped = true;
            if (memcmp(s->data + (pos - s->offset), p + (pos - o), (size_t)(ov_end - pos)) != 0)
                *different = true;
            pos = ov_end;
            pp = &s->next;
            continue;
        }
        uint64_t piece_end = s && s->offset < end ? s->offset : end;
        uint32_t len = (uint32_t)(piece_end - pos);
        bool in_order = pos == d->next;
        if (!in_order && ((uint64_t)sf->held_bytes + sizeof(struct stream_segment) + len >
                              se->cfg.max_held ||
                          sf->held_segments >= STREAM_MAX_HELD_SEGMENTS)) {
            d->force_gap = true;    /* make room: give up the gap in front */
            *dropped = true;
        } else {
            struct stream_segment *n = segment_new(se, sf, pos, p + (pos - o), len);
            if (n) {
                n->next = s;
                *pp = n;
                pp = &n->next;
            } else {
                se->stats.memcap_drops++;
                note_event(flow, dir, STREAM_EVENT_MEMCAP);
                *dropped = true;
            }
        }
        pos = piece_end;
    }
    return overlapped;
}

/* One data segment of an active direction. */
static enum stream_packet_kind add_segment(struct stream_engine *se, struct flow *flow,
                                           struct stream_flow *sf, struct stream_dir *d,
                                           enum flow_direction dir, const struct packet *pkt)
{
    const uint8_t *p = pkt->payload;
    int64_t so = seq_offset(d, pkt->tcp_seq);
    uint64_t n = pkt->payload_len;
    se->stats.segments++;
    if (so + (int64_t)n <= 0) {
        se->stats.retransmissions++;
        note_event(flow, dir, STREAM_EVENT_BEFORE_BASE);
        return STREAM_PKT_OLD;          /* entirely before the stream began */
    }
    bool trimmed = false, overlap_counted = false, diff_counted = false;
    if (so < 0) {
        p += -so;
        n -= (uint64_t)-so;
        so = 0;
        trimmed = true;
    }
    uint64_t o = (uint64_t)so, end = o + n;
    if (end > d->max_seen)
        d->max_seen = end;
    if (se->cfg.depth && end > se->cfg.depth) {
        if (o >= se->cfg.depth)
            return STREAM_PKT_OLD;      /* past the depth: not reassembled */
        end = se->cfg.depth;
        trimmed = true;
    }
    if (o < d->next) {
        /* bytes delivered before: the old ones stay */
        se->stats.overlaps++;
        overlap_counted = true;
        if (buf_differs(d, o, p, (uint32_t)((end < d->next ? end : d->next) - o))) {
            diff_counted = true;
            se->stats.overlaps_different++;
            note_event(flow, dir, STREAM_EVENT_OVERLAP_DIFFERENT_DATA);
        }
        if (end <= d->next) {
            se->stats.retransmissions++;
            note_event(flow, dir, STREAM_EVENT_RETRANSMISSION);
            return STREAM_PKT_OLD;
        }
        p += d->next - o;
        o = d->next;
        trimmed = true;
    }
    if (!d->held && o == d->next) {
        bool ok = deliver(se, flow, d, dir, p, (uint32_t)(end - o));
        return ok && !trimmed ? STREAM_PKT_NEW : STREAM_PKT_PARTIAL;
    }
    bool was_empty = d->held == NULL, different = false, dropped = false;
    bool overlapped = hold(se, flow, sf, d, dir, o, p, end, &different, &dropped);
    if (overlapped && !overlap_counted)
        se->stats.overlaps++;
    if (different && !diff_counted) {
        se->stats.overlaps_different++;
        note_event(flow, dir, STREAM_EVENT_OVERLAP_DIFFERENT_DATA);
    }
    if (o > d->next)
        se->stats.out_of_order++;
    if (was_empty && d->held)
        d->held_since_usec = pkt->ts_usec;
    drain(se, flow, sf, d, dir, pkt->ts_usec);
    return STREAM_PKT_PARTIAL;
}

/* ---- per flow ---------------------------------------------------------------------- */

static void dir_release(struct stream_engine *se, struct stream_flow *sf, struct stream_dir *d)
{
    while (d->held) {
        struct stream_segment *s = d->held;
        d->held = s->next;
        segment_free(se, sf, s);
    }
    buf_free(se, d);
}

static void flow_state_free(struct stream_engine *se, struct flow *flow)
{
    struct stream_flow *sf = flow->stream;
    if (!sf)
        return;
    for (int i = 0; i < 2; i++)
        dir_release(se, sf, &sf->d[i]);
    mem_sub(se, sizeof *sf);
    free(sf);
    flow->stream = NULL;
}

static bool dir_live(const struct stream_dir *d)
{
    return d->state == DIR_NONE || d->state == DIR_ACTIVE;
}

/* Start of every call on a flow: chunks of the previous call expire, so
 * finished directions free their windows, the others shrink to context;
 * a flow with nothing left to reassemble loses its state for good. */
static void begin_call(struct stream_engine *se, struct flow *flow)
{
    struct stream_flow *sf = flow->stream;
    se->nchunks = 0;
    se->view = (struct stream_view){ .kind = STREAM_PKT_UNTRACKED };
    if (!sf)
        return;
    bool live = false;
    for (int i = 0; i < 2; i++) {
        struct stream_dir *d = &sf->d[i];
        if (d->state == DIR_DONE || d->state == DIR_OFF)
            dir_release(se, sf, d);
        else
            buf_compact(se, d);
        live |= d->state == DIR_NONE || d->state == DIR_ACTIVE;
    }
    if (!live) {
        flow_state_free(se, flow);
        flow->stream_flags |= STREAM_FLOW_RELEASED;
    }
}

static struct stream_flow *flow_state_new(struct stream_engine *se, struct flow *flow)
{
    if (!mem_room(se, sizeof(struct stream_flow))) {
        se->stats.memcap_drops++;
        return NULL;
    }
    struct stream_flow *sf = calloc(1, sizeof *sf);
    if (!sf)
        return NULL;
    mem_add(se, sizeof *sf);
    flow->stream = sf;
    return sf;
}

static void start_dir(struct stream_engine *se, struct stream_dir *d, uint32_t base_seq)
{
    d->state = DIR_ACTIVE;
    d->base_seq = base_seq;
    se->stats.streams++;
}

/* The first thing a direction shows: its SYN, or (midstream) its first data. */
static void maybe_start(struct stream_engine *se, const struct flow *flow, struct stream_dir *d,
                        const struct packet *pkt)
{
    if (pkt->tcp_flags & TCP_SYN) {
        if (d->state == DIR_NONE) {
            start_dir(se, d, pkt->tcp_seq + 1);
            d->syn_seen = true;
        } else if (d->state == DIR_ACTIVE && d->next == 0 && !d->held) {
            d->base_seq = pkt->tcp_seq + 1;     /* a SYN again, maybe a new ISN */
            d->syn_seen = true;
        }
        return;
    }
    if (d->state != DIR_NONE || pkt->payload_len == 0)
        return;
    bool handshake = ((flow->tcp_flags_seen[0] | flow->tcp_flags_seen[1]) & TCP_SYN) != 0;
    if (!handshake && !se->cfg.midstream) {
        d->state = DIR_OFF;
        se->stats.midstream_refused++;
        return;
    }
    start_dir(se, d, pkt->tcp_seq);
    se->stats.midstream++;
}

static bool seq_after(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) > 0;
}

/* The view of dir for the rule engine: bytes after the last gap, up to
 * STREAM_CONTEXT of them from before this call, then this call's. */
static void build_view(struct stream_engine *se, const struct stream_dir *d,
                       enum stream_packet_kind kind, struct stream_view *v)
{
    *v = (struct stream_view){ .kind = kind };
    if (!d->buf || d->buf_len == d->gap_idx)
        return;
    uint32_t start = d->gap_idx;
    v->data = d->buf + start;
    v->len = d->buf_len - start;
    v->new_from = d->call_start > start ? d->call_start - start : 0;
    v->offset = d->next - v->len;
    (void)se;
}

/* nDPI calls a TLS flow done at its certificate, before the key exchange;
 * the app-layer parser still reads that direction (its messages, their
 * anomalies) until its transaction is complete there, so the direction is
 * released only then. */
static bool direction_encrypted(const struct stream_engine *se, const struct flow *flow,
                                enum flow_direction dir)
{
    return !se->cfg.keep_encrypted && classify_payload_encrypted(&flow->app) &&
           !applayer_wants_bytes(flow, dir);
}

/* ---- TCP state-machine events ------------------------------------------------ */

/* A RST counts when its sequence number is near what its sender was
 * expected to send next (or when nothing is known to compare it with). */
static bool rst_believed(const struct flow *flow, enum flow_direction dir, uint32_t seq)
{
    const struct stream_flow *sf = flow->stream;
    if (!sf || sf->d[dir].state != DIR_ACTIVE)
        return true;
    int64_t ro = seq_offset(&sf->d[dir], seq) - (int64_t)sf->d[dir].next;
    return ro > -(int64_t)STREAM_RST_WINDOW && ro < (int64_t)STREAM_RST_WINDOW;
}

/* A SYN/ACK sent again before the client's ACK (the flow is still in
 * SYN_RECEIVED) must repeat the first one: the server's ISN, and the
 * acknowledgement of the client's ISN + 1. */
static unsigned synack_resend_events(const struct flow *flow, const struct packet *pkt,
                                     const struct stream_dir *client,
                                     const struct stream_dir *server)
{
    if (flow->tcp_state != FLOW_TCP_SYN_RECEIVED || server->next != 0 || server->held)
        return 0;
    unsigned ev = 0;
    if (pkt->tcp_seq != server->base_seq - 1)
        ev |= STREAM_EVENT_SYNACK_RESEND_SEQ;
    if (client->syn_seen && client->next == 0 && pkt->tcp_ack != client->base_seq)
        ev |= STREAM_EVENT_SYNACK_RESEND_ACK;
    return ev;
}

/* The handshake checks, on the state before this packet: a SYN/ACK from the
 * side that sent the SYN, one that does not acknowledge the SYN, or one
 * sent again differently. */
static unsigned synack_events(const struct flow *flow, const struct packet *pkt,
                              enum flow_direction dir)
{
    const struct stream_flow *sf = flow->stream;
    if (!sf || (pkt->tcp_flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK))
        return 0;
    const struct stream_dir *client = &sf->d[FLOW_TOSERVER], *server = &sf->d[FLOW_TOCLIENT];
    if (dir == FLOW_TOCLIENT && server->syn_seen)
        return synack_resend_events(flow, pkt, client, server);
    if (!client->syn_seen || server->syn_seen || client->next != 0)
        return 0;           /* not waiting for the SYN/ACK */
    if (dir == FLOW_TOSERVER)
        return STREAM_EVENT_SYNACK_WRONG_DIR;
    return pkt->tcp_ack != client->base_seq ? STREAM_EVENT_SYNACK_WRONG_ACK : 0;
}

/* A RST ends its direction at once when there is something to flush or
 * the other direction is over (or reset) too; a direction that sent no data
 * yet, on a connection still going, stays open until its next packet or
 * the flow's end (nothing is lost by waiting), so that when that packet
 * shows the RST was injected reassembly simply goes on, as Suricata takes
 * the session back: an injected RST must not blind the sensor to the
 * request after it. */
static bool rst_ends_dir(const struct stream_dir *d, const struct stream_dir *peer)
{
    return d->rst_seen && (d->next > 0 || d->held || !dir_live(peer) || peer->rst_seen);
}

static void reopen_after_rst(struct flow *flow, enum flow_direction dir)
{
    struct stream_flow *sf = flow->stream;
    if (sf && sf->d[dir].state == DIR_ACTIVE)
        sf->d[dir].rst_seen = false;
}

/* Suricata's stream events of the TCP state machine that a passive
 * reassembler can tell cheaply: a RST or FIN before any session (the flow
 * showed nothing but RST/FIN packets so far), SYN/ACK anomalies, and a
 * suspected RST injection: the side that sent a RST we believed goes on
 * sending (the RST was not its own; once per RST). */
static void tcp_state_events(struct flow *flow, const struct packet *pkt, enum flow_direction dir)
{
    unsigned ev = 0;
    uint8_t rst_bit = (uint8_t)(STREAM_FLOW_RST_SENT << dir);
    if (!(flow->stream_flags & STREAM_FLOW_SESSION)) {
        if (pkt->tcp_flags & TCP_RST)
            ev |= STREAM_EVENT_RST_NO_SESSION;
        else if (pkt->tcp_flags & TCP_FIN)
            ev |= STREAM_EVENT_FIN_NO_SESSION;
        else
            flow->stream_flags |= STREAM_FLOW_SESSION;
    }
    if (pkt->tcp_flags & TCP_RST) {
        if (flow->stream_flags & STREAM_FLOW_SESSION && rst_believed(flow, dir, pkt->tcp_seq))
            flow->stream_flags |= rst_bit;
    } else if (flow->stream_flags & rst_bit) {
        flow->stream_flags &= (uint8_t)~rst_bit;
        ev |= STREAM_EVENT_RST_INJECT;
    }
    ev |= synack_events(flow, pkt, dir);
    note_event(flow, dir, ev);
    if (ev & STREAM_EVENT_RST_INJECT)
        reopen_after_rst(flow, dir);
}

size_t stream_packet(struct stream_engine *se, struct flow *flow, const struct packet *pkt,
                     enum flow_direction dir, const struct stream_chunk **chunks)
{
    *chunks = NULL;
    begin_call(se, flow);
    flow->stream_events[dir] = flow->stream_events_hi[dir] = 0;    /* the packet's own */
    if (pkt->proto == IPPROTO_TCP)
        tcp_state_events(flow, pkt, dir);
    if (pkt->proto != IPPROTO_TCP || (flow->stream_flags & STREAM_FLOW_RELEASED))
        return 0;
    struct stream_flow *sf = flow->stream;
    if (!sf) {
        if (se->cfg.depth == 0) {
            flow->stream_flags |= STREAM_FLOW_RELEASED;     /* reassembly off */
            return 0;
        }
        if (!(pkt->tcp_flags & TCP_SYN) && pkt->payload_len == 0)
            return 0;
        if (!(sf = flow_state_new(se, flow)))
            return 0;
    }
    struct stream_dir *d = &sf->d[dir];
    struct stream_dir *peer = &sf->d[dir ^ 1];
    if ((pkt->tcp_flags & TCP_ACK) && (!peer->ack_known || seq_after(pkt->tcp_ack, peer->peer_ack))) {
        peer->peer_ack = pkt->tcp_ack;
        peer->ack_known = true;
    }
    maybe_start(se, flow, d, pkt);
    /* refused or reset before any data (a scan's SYN answered by RST):
     * nothing will ever be reassembled, so the state goes at once */
    if ((pkt->tcp_flags & TCP_RST) && d->state == DIR_NONE && peer->next == 0 && !peer->held) {
        d->state = DIR_DONE;
        if (peer->state == DIR_ACTIVE || peer->state == DIR_NONE)
            peer->state = DIR_DONE;
    }
    enum stream_packet_kind kind = STREAM_PKT_UNTRACKED;
    if (d->state == DIR_ACTIVE) {
        uint64_t now = pkt->ts_usec;
        if (direction_encrypted(se, flow, dir)) {
            se->stats.encrypted_released++;
            finish_dir(se, flow, sf, d, dir, now, false);
        } else {
            /* data on a RST is no part of the stream (receivers drop it,
             * as Suricata does, bug-6244): rules see it on the packet */
            if (pkt->payload_len && !(pkt->tcp_flags & (TCP_SYN | TCP_RST)))
                kind = add_segment(se, flow, sf, d, dir, pkt);
            /* a FIN before bytes already delivered, or a RST far from
             * the expected sequence number, is not believed */
            int64_t fo = seq_offset(d, pkt->tcp_seq + pkt->payload_len);
            if ((pkt->tcp_flags & TCP_FIN) && !d->fin_seen && fo >= (int64_t)d->next) {
                d->fin_seen = true;
                d->fin_offset = (uint64_t)fo;
            }
            int64_t ro = seq_offset(d, pkt->tcp_seq) - (int64_t)d->next;
            if ((pkt->tcp_flags & TCP_RST) && ro > -(int64_t)STREAM_RST_WINDOW &&
                ro < (int64_t)STREAM_RST_WINDOW)
                d->rst_seen = true;
            maybe_skip_gap(se, flow, sf, d, dir, now);
            if (se->cfg.depth && d->next >= se->cfg.depth) {
                se->stats.depth_reached++;
                note_event(flow, dir, STREAM_EVENT_DEPTH_REACHED);
                finish_dir(se, flow, sf, d, dir, now, false);
            } else if (rst_ends_dir(d, peer) || (d->fin_seen && d->next >= d->fin_offset)) {
                finish_dir(se, flow, sf, d, dir, now, true);
            }
        }
    }
    build_view(se, d, kind, &se->view);
    chunks_fix(se, sf);
    *chunks = se->nchunks ? se->chunks : NULL;
    if (!dir_live(d) && !dir_live(peer) && !d->buf && !peer->buf) {
        flow_state_free(se, flow);      /* nothing points into it */
        flow->stream_flags |= STREAM_FLOW_RELEASED;
    }
    return se->nchunks;
}

size_t stream_flow_end(struct stream_engine *se, struct flow *flow,
                       const struct stream_chunk **chunks, struct stream_view view[2])
{
    *chunks = NULL;
    if (view)
        view[0] = view[1] = (struct stream_view){ .kind = STREAM_PKT_UNTRACKED };
    se->nchunks = 0;
    struct stream_flow *sf = flow->stream;
    if (!sf)
        return 0;
    flow->stream_events[0] = flow->stream_events[1] = 0;
    flow->stream_events_hi[0] = flow->stream_events_hi[1] = 0;
    for (int i = 0; i < 2; i++) {
        struct stream_dir *d = &sf->d[i];
        if (d->state != DIR_ACTIVE)
            continue;
        buf_compact(se, d);
        finish_dir(se, flow, sf, d, (enum flow_direction)i, flow->last_usec, true);
        if (view)
            build_view(se, d, STREAM_PKT_PARTIAL, &view[i]);
    }
    chunks_fix(se, sf);
    *chunks = se->nchunks ? se->chunks : NULL;
    return se->nchunks;
}

void stream_flow_release(struct stream_engine *se, struct flow *flow)
{
    flow_state_free(se, flow);
    flow->stream_flags |= STREAM_FLOW_RELEASED;
}

unsigned stream_events(const struct flow *flow, enum flow_direction dir)
{
    return flow->stream_events[dir] | (unsigned)flow->stream_events_hi[dir] << 8;
}

bool stream_size(const struct flow *flow, enum flow_direction dir, uint64_t *bytes)
{
    const struct stream_flow *sf = flow->stream;
    if (!sf || sf->d[dir].state == DIR_NONE || sf->d[dir].state == DIR_OFF)
        return false;
    const struct stream_dir *d = &sf->d[dir];
    *bytes = d->max_seen + (d->syn_seen ? 1 : 0);
    return true;
}
