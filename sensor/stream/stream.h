/* The stream stage: TCP reassembly per flow and direction.  It turns the
 * segments of a direction into "the next N bytes" in sequence order, for the
 * app-layer parsers (stream chunks) and for the rule engine (a window of the
 * reassembled bytes, see struct stream_view).  One engine per worker; the
 * per-flow state hangs off struct flow and is released as soon as it can be. */
#ifndef XIEZHI_STREAM_H
#define XIEZHI_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "decode/packet.h"
#include "flow/flow.h"
#include "util/diag.h"

enum stream_chunk_flags {
    STREAM_CHUNK_GAP = 1 << 0,  /* bytes before data[0] were lost and will never come */
    STREAM_CHUNK_EOF = 1 << 1,  /* this direction is finished (FIN, RST, flow end); len may be 0 */
};

struct stream_chunk {           /* "the next N bytes of direction dir of this flow" */
    enum flow_direction dir;
    const uint8_t *data;        /* valid until the next stream call on this flow */
    uint32_t len;
    uint64_t offset;            /* stream offset of data[0] in this direction */
    unsigned flags;             /* enum stream_chunk_flags */
};

/* Settings, read once from the config (stream.* keys). */
struct stream_config {
    bool midstream;             /* stream.midstream: pick up flows without a handshake (yes) */
    uint64_t depth;             /* stream.reassembly.depth: bytes per direction (1 MiB); 0 = off */
    uint64_t memcap;            /* stream.reassembly.memcap: all buffered bytes of a worker (64 MiB) */
    uint32_t max_held;          /* stream.reassembly.max-held: out-of-order bytes held per flow (256 KiB) */
    uint64_t gap_timeout_usec;  /* stream.reassembly.gap-timeout: wait for a missing segment (10 s) */
    bool keep_encrypted;        /* detect.encryption-handling: full -> reassemble ciphertext too */
};

void stream_config_defaults(struct stream_config *cfg);
/* Reads the stream.* keys (and detect.encryption-handling); bad values are
 * reported through diag and leave the default. */
void stream_config_load(struct stream_config *cfg, const struct config *c, struct diag *diag);

/* Counters of one worker's engine: plain uint64_t fields, added up across
 * workers field by field. */
struct stream_stats {
    uint64_t streams;               /* directions whose reassembly started */
    uint64_t midstream;             /* directions picked up without a SYN */
    uint64_t midstream_refused;     /* ... not reassembled because stream.midstream is off */
    uint64_t bytes;                 /* bytes delivered in order */
    uint64_t segments;              /* data segments seen on reassembled directions */
    uint64_t out_of_order;          /* segments held until a gap closed */
    uint64_t retransmissions;       /* segments whose bytes had all been seen */
    uint64_t overlaps;              /* segments overlapping bytes seen before */
    uint64_t overlaps_different;    /* ... with different bytes (old data won) */
    uint64_t gaps;                  /* gaps skipped (data lost) */
    uint64_t gap_bytes;             /* bytes those gaps covered */
    uint64_t gaps_timeout;          /* gaps skipped because gap-timeout passed */
    uint64_t gaps_acked;            /* ... because the receiver acknowledged past them */
    uint64_t gaps_held_cap;         /* ... because max-held was reached */
    uint64_t gaps_flushed;          /* ... because the direction or flow ended */
    uint64_t depth_reached;         /* directions that reached stream.reassembly.depth */
    uint64_t encrypted_released;    /* directions released as ciphertext */
    uint64_t memcap_drops;          /* segments not buffered because memcap was reached */
    uint64_t eof;                   /* directions finished (FIN, RST, flow end) */
    uint64_t memory;                /* bytes buffered now (held segments and windows) */
    uint64_t memory_peak;           /* most bytes buffered at once */
};

/* Stream events a direction has seen (stream-event keyword). */
enum stream_event {
    STREAM_EVENT_OVERLAP_DIFFERENT_DATA = 1 << 0,   /* reassembly_overlap_different_data */
    STREAM_EVENT_GAP = 1 << 1,                      /* reassembly_seq_gap */
    STREAM_EVENT_DEPTH_REACHED = 1 << 2,            /* (no Suricata name) */
    STREAM_EVENT_MEMCAP = 1 << 3,                   /* (no Suricata name) */
    STREAM_EVENT_RETRANSMISSION = 1 << 4,           /* pkt_retransmission */
    STREAM_EVENT_BEFORE_BASE = 1 << 5,              /* reassembly_segment_before_base_seq */
    /* the TCP state machine's (stream.c tcp_state_events); bits 8 and up
     * live in flow->stream_events_hi */
    STREAM_EVENT_RST_INJECT = 1 << 6,               /* suspected_rst_inject */
    STREAM_EVENT_RST_NO_SESSION = 1 << 7,           /* rst_but_no_session */
    STREAM_EVENT_FIN_NO_SESSION = 1 << 8,           /* fin_but_no_session */
    STREAM_EVENT_SYNACK_WRONG_DIR = 1 << 9,         /* 3whs_synack_in_wrong_direction */
    STREAM_EVENT_SYNACK_WRONG_ACK = 1 << 10,        /* 3whs_synack_with_wrong_ack */
    STREAM_EVENT_SYNACK_RESEND_SEQ = 1 << 11,       /* 3whs_synack_resend_with_diff_seq */
    STREAM_EVENT_SYNACK_RESEND_ACK = 1 << 12,       /* 3whs_synack_resend_with_different_ack */
};

/* How the rule engine should treat the last packet's payload. */
enum stream_packet_kind {
    STREAM_PKT_UNTRACKED,   /* not reassembled (not TCP, off, past depth, released) */
    STREAM_PKT_NEW,         /* the whole payload was new and in order: delivered now */
    STREAM_PKT_PARTIAL,     /* some bytes new (held, trimmed or partly seen before) */
    STREAM_PKT_OLD,         /* nothing new: retransmission, or before the stream */
};

/* What the rule engine inspects of a direction after a packet: data holds
 * bytes [offset, offset + len) of the reassembled stream (up to
 * STREAM_CONTEXT bytes seen before, then the bytes this packet released);
 * data[new_from..len) were never in a view before.  len == new_from when
 * nothing new was released.  Valid until the next stream call on this flow. */
struct stream_view {
    enum stream_packet_kind kind;
    const uint8_t *data;
    uint32_t len;
    uint32_t new_from;
    uint64_t offset;
};

/* Bytes kept before new data so that patterns and relative keywords work
 * across segment boundaries. */
#define STREAM_CONTEXT 2048u

struct stream_engine;

struct stream_engine *stream_engine_new(const struct stream_config *cfg);
void stream_engine_free(struct stream_engine *se);
const struct stream_stats *stream_engine_stats(const struct stream_engine *se);

/* Reassembles one TCP packet of flow (direction dir): returns how many
 * chunks the packet released and points *chunks at them, all of direction
 * dir.  The array is the engine's (reused by its next call, on any flow);
 * the bytes stay valid until the next call on this flow.  Non-TCP packets
 * release nothing.  The view of dir for the rule engine is then available
 * from stream_packet_view(). */
size_t stream_packet(struct stream_engine *se, struct flow *flow, const struct packet *pkt,
                     enum flow_direction dir, const struct stream_chunk **chunks);
/* The rule engine's view of the direction of the last stream_packet call. */
const struct stream_view *stream_packet_view(const struct stream_engine *se);

/* At flow end: delivers what is still held (after GAP marks) and an EOF
 * chunk for each direction that has not ended; then frees the flow's stream
 * state.  view[d] (may be NULL) receives each direction's last view. */
size_t stream_flow_end(struct stream_engine *se, struct flow *flow,
                       const struct stream_chunk **chunks, struct stream_view view[2]);

/* Stream events the last stream call raised on direction dir (enum
 * stream_event bits): like Suricata's, an event belongs to the packet that
 * caused it (or to the flow end that flushed the direction). */
unsigned stream_events(const struct flow *flow, enum flow_direction dir);
/* Bytes of direction dir seen so far by sequence number (stream_size);
 * false when the flow has no stream state (not TCP, released, off). */
bool stream_size(const struct flow *flow, enum flow_direction dir, uint64_t *bytes);

/* Frees whatever stream state flow still holds (no chunks; the flow table's
 * own free paths). */
void stream_flow_release(struct stream_engine *se, struct flow *flow);

#endif
