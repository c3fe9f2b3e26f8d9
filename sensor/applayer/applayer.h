/* The app-layer framework: turns the reassembled bytes of a flow (TCP) or
 * its datagrams (UDP) into transactions of a named protocol (an HTTP
 * request/response, a DNS query/answer, a TLS handshake), which detection
 * inspects as they progress and the EVE writer logs.  Each protocol is one
 * row of the registry (struct applayer_parser, table in applayer.c); this
 * header is all a parser author needs.
 *
 * Per packet the worker runs: flow -> stream -> classify -> applayer -> detect.
 * A flow gets a parser when a parser's probe of the first bytes of either
 * direction says yes (any port), or when nDPI names one of the parser's
 * protocols.  The parser then sees every chunk of both directions, in order.
 * Detection reads transactions through tx_count/tx_at and get_buffer
 * (get_buffer_at for the multi-buffers, detect/buffers.h); once a
 * transaction is complete both ways, inspected and logged, the framework asks
 * the parser to free it (tx_free).
 *
 * Adding a parser: a folder sensor/applayer/<name>/ defining its row, the
 * row's address in registry[] (applayer.c), and its extern below.  Its
 * sticky buffers: values in enum detect_buffer (detect/buffers.h), names in
 * sensor/detect/kw_buffers.c (and keywords.c), and their protocol in
 * detect_buffer_applayer() there; rules using them are then inspected per
 * transaction, once per transaction.  Its events: EVENT_<NAME> (event/event.h)
 * is chosen from the proto in eve.c; "<name>" in outputs.eve.types.  The
 * framework reads app-layer.protocols.<name>.enabled (default yes) and counts
 * stats.app_layer.flow/tx/error.<name>. */
#ifndef XIEZHI_APPLAYER_H
#define XIEZHI_APPLAYER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "detect/buffers.h"
#include "event/json.h"
#include "flow/flow.h"
#include "util/diag.h"

struct classifier;

/* A parser's counters of one flow, added into the worker's sums when the
 * flow's parser state is freed (flow end, or the outer parser of a tunnel).
 * parser/gap/alloc are Suricata's stats.app_layer.error.<proto> members:
 * malformed input the parser met (each counted once, also when it made the
 * parser stop), stream gaps it could not follow, allocations that failed.
 * own[i] is xiezhi's counter parser->counter_names[i] (xiezhi_stats). */
#define APPLAYER_OWN_COUNTERS 16
struct applayer_counts {
    uint64_t parser, gap, alloc;
    uint64_t own[APPLAYER_OWN_COUNTERS];
};

/* Protocols with a parser.  Index of the registry row; names are Suricata's. */
enum applayer_proto {
    APPLAYER_NONE = 0,
    APPLAYER_HTTP,          /* "http"  sensor/applayer/http (LibHTP) */
    APPLAYER_DNS,           /* "dns"   sensor/applayer/dns */
    APPLAYER_TLS,           /* "tls"   sensor/applayer/tls (incl. TLCP) */
    APPLAYER_SSH,           /* "ssh"   sensor/applayer/ssh */
    APPLAYER_HTTP2,         /* "http2" sensor/applayer/http2 (h2c; "doh2" flows) */
    APPLAYER_PROTO_COUNT
};

/* "The next len bytes of direction dir": the stream layer's struct
 * stream_chunk, field for field (sensor/stream/stream.h). */
enum applayer_chunk_flags {
    APPLAYER_CHUNK_GAP = 1 << 0,    /* bytes before data[0] are lost */
    APPLAYER_CHUNK_EOF = 1 << 1,    /* this direction is finished (len may be 0) */
};

struct applayer_chunk {
    enum flow_direction dir;
    const uint8_t *data;            /* valid only during the call */
    uint32_t len;
    uint64_t offset;                /* stream offset of data[0] in this direction */
    unsigned flags;
};

enum applayer_probe_result {
    APPLAYER_PROBE_NO,              /* not this protocol */
    APPLAYER_PROBE_YES,
    APPLAYER_PROBE_MORE,            /* cannot tell yet: ask again with more bytes */
};

/* Every parser's transaction starts with this header (first member), so
 * the framework and detection handle transactions of any protocol alike.
 * A parser sets id, progress and events; the rest belongs to others. */
struct applayer_tx {
    uint64_t id;                /* EVE tx_id: 0, 1, 2 ... per flow */
    uint8_t progress[2];        /* per direction: 0 = nothing yet .. parser->progress_done[dir] */
    uint64_t events;            /* anomalies seen, bit i = parser->event_names[i] */
    /* the framework's */
    bool logged;                /* the EVE event was written (every side, for side_event) */
    uint8_t changed;            /* bit per direction: progressed since detection looked */
    uint8_t sides_logged;       /* side_event parsers: bit per direction logged */
    uint8_t log_side;           /* while the log callback writes one side: 1 + its
                                 * direction (eve_write reads it); 0 otherwise */
    /* detection's (freed by the framework with the transaction) */
    uint32_t *fired;            /* rules (engine indices) that matched this transaction */
    uint32_t nfired, fired_cap;
    void *detect_body[2];       /* per direction: the prefilter's progress in file_data */
};

/* One row of the registry: everything the framework, detection and the EVE
 * writer need from a protocol.  Unused hooks are NULL. */
struct applayer_parser {
    enum applayer_proto proto;
    const char *name;                   /* Suricata's app_proto, used in EVE and rules */
    const char *const *ndpi_names;      /* nDPI protocols that hand a flow over; NULL-ended */
    bool tcp, udp;                      /* transports it runs on */
    uint8_t progress_done[2];           /* progress value meaning "complete", per direction */
    size_t state_size;                  /* bytes of the struct state_new allocates (flow.memcap) */

    /* First bytes of one direction; len > 0. */
    enum applayer_probe_result (*probe)(const uint8_t *data, uint32_t len,
                                        enum flow_direction dir);

    /* Parser-wide settings from the configuration, made once, shared read-only by
     * every worker.  Bad values go to diag as "key: what is wrong". */
    void *(*config_new)(const struct config *cfg, struct diag *diag);
    void (*config_free)(void *settings);

    /* Per flow.  state_new returns NULL when out of memory. */
    void *(*state_new)(const void *settings, const struct flow *flow, uint64_t ts_usec);
    void (*state_free)(void *state);

    /* TCP: the next in-order chunk of one direction.  Returns 0, or -1 when the
     * parser cannot follow this flow any more (it is then left alone). */
    int (*on_data)(void *state, const struct applayer_chunk *chunk, uint64_t ts_usec);
    /* UDP: one datagram.  Same return values. */
    int (*on_packet)(void *state, enum flow_direction dir, const uint8_t *data, uint32_t len,
                     uint64_t ts_usec);

    /* The live transactions, oldest first. */
    size_t (*tx_count)(void *state);
    struct applayer_tx *(*tx_at)(void *state, size_t i);
    /* Frees tx (complete, inspected, logged).  Only the oldest is ever given. */
    void (*tx_free)(void *state, struct applayer_tx *tx);

    /* The protocol's EVE object members (inside "http": {...}, say) for tx;
     * written into the event of the transaction and into its alerts. */
    void (*eve_write)(const void *settings, void *state, const struct applayer_tx *tx,
                      struct json_writer *j);

    /* The content of a sticky buffer (enum detect_buffer) of tx as seen from
     * direction dir; false when the buffer is absent or not complete yet. */
    bool (*get_buffer)(void *state, const struct applayer_tx *tx, enum detect_buffer buffer,
                       enum flow_direction dir, const uint8_t **data, uint32_t *len);

    /* app-layer-event:<name>.<event>: event_names[i] is bit i of tx->events
     * (and of applayer_flow.events for anomalies outside a transaction). */
    const char *const *event_names;

    /* After a successful CONNECT (HTTP) or STARTTLS: the parser says the
     * rest of the flow is another protocol; the framework then probes the
     * bytes from that stream offset again.  NULL or false: no switch. */
    bool (*tunnel_offset)(void *state, uint64_t offset[2]);

    /* xiezhi's own top-level object(s) beside the protocol's (each opened
     * under its own key), for what Suricata's schema has no name for inside
     * it: TLS's "tls_info".  NULL: none. */
    void (*eve_write_beside)(const void *settings, void *state, const struct applayer_tx *tx,
                             struct json_writer *j);

    /* Adds the flow's counters into sum (called once, before state_free).
     * counter_names: NULL-ended, at most APPLAYER_OWN_COUNTERS, the names of
     * sum->own[i] under xiezhi_stats.app_layer.<proto>.  NULL: none. */
    void (*counts_add)(const void *state, struct applayer_counts *sum);
    const char *const *counter_names;

    /* Set: each direction's side of a transaction is its own event, logged
     * once that side is complete (DNS: the request when the query arrives,
     * the response with its answers), with tx->log_side telling eve_write
     * which; the hook says whether the side has anything to log (false: no
     * event for it).  NULL: one event per transaction, when complete. */
    bool (*side_event)(const void *settings, void *state, const struct applayer_tx *tx,
                       enum flow_direction dir);

    /* A multi-buffer's instance i (0, 1, ...) of tx, for the buffers
     * detect_buffer_is_multi() names: every question of a DNS transaction,
     * every certificate of a chain.  False past the last.  NULL: get_buffer's
     * one value is instance 0. */
    bool (*get_buffer_at)(void *state, const struct applayer_tx *tx, enum detect_buffer buffer,
                          enum flow_direction dir, uint32_t i, const uint8_t **data,
                          uint32_t *len);

    /* The EVE object (and event_type) of its transactions when not name:
     * Suricata logs HTTP/2 streams as "http".  NULL: name. */
    const char *eve_object;
    /* Its probe's YES wins over nDPI's verdict for another parser: nDPI
     * calls a prior-knowledge HTTP/2 flow "HTTP", which LibHTP cannot read. */
    bool probe_outranks_ndpi;
    /* The flow's app_proto when it is not name: HTTP/2 becomes "doh2" once a
     * stream carries DNS.  NULL hook or NULL result: name. */
    const char *(*proto_name)(void *state);
    /* Other protocols whose sticky buffers its get_buffer answers (bit per
     * enum applayer_proto), so that rules on them inspect its transactions
     * too: Suricata maps http.* onto HTTP/2 streams, dns.* onto DoH ones. */
    uint32_t buffers_of;
};

/* The rows (each parser's file defines its own). */
extern const struct applayer_parser applayer_http_parser;
extern const struct applayer_parser applayer_dns_parser;
extern const struct applayer_parser applayer_tls_parser;
extern const struct applayer_parser applayer_ssh_parser;
extern const struct applayer_parser applayer_http2_parser;

/* Bytes of a direction kept for probes that need more than one segment. */
#define APPLAYER_PROBE_BYTES 32

/* Per-flow app-layer state, owned by the framework (struct flow's applayer). */
struct applayer_flow {
    const struct applayer_parser *parser;   /* NULL until a probe or nDPI decides */
    void *state;
    enum applayer_proto proto;              /* parser->proto; stays after a give-up */
    uint64_t events;                        /* flow-level anomaly bits of parser */
    uint64_t seen[2];                       /* bytes of the current protocol per direction */
    uint64_t next_offset[2];                /* stream offset after the last chunk, per direction */
    uint64_t skip_to[2];                    /* tunnel: stream offsets where the inner protocol starts */
    uint8_t probe_tries[2];
    uint8_t probe_len[2];                   /* first bytes kept while a probe wants more */
    uint8_t probe_buf[2][APPLAYER_PROBE_BYTES];
    bool in_tunnel;                         /* tunnel announced, outer parser still attached */
    bool eof[2];                            /* an EOF chunk was given per direction */
    uint64_t tx_id_base;                    /* after a tunnel: the outer parser's tx count */
    uint64_t tx_ids_used;                   /* tx_id_base + highest id seen + 1 */
    /* A tunnel's outer parser whose answer came in one chunk with the first
     * inner bytes (101 + HTTP/2 frames): kept until after_detect logged the
     * transactions it still had, under their own tx_ids. */
    const struct applayer_parser *retired;
    void *retired_state;
    uint64_t retired_base;                  /* tx_id_base of the retired parser */
    bool failed;                            /* the parser gave up on this flow */
    bool visible;                           /* packet rules see proto (see applayer_on_packet) */
    uint8_t attach_dir;                     /* direction whose bytes decided the parser */
    uint8_t transport;                      /* enum applayer_transport of the flow */
};

/* The framework's per-worker state (parser settings, nDPI ids, counters). */
struct applayer;

/* Counters are kept per transport, because Suricata's stats name a parser
 * that serves both apart (dns_tcp, dns_udp). */
enum applayer_transport { APPLAYER_TCP, APPLAYER_UDP, APPLAYER_TRANSPORTS };

struct applayer_stats {
    uint64_t flows[APPLAYER_PROTO_COUNT][APPLAYER_TRANSPORTS];  /* flows given to each parser */
    uint64_t tx[APPLAYER_PROTO_COUNT][APPLAYER_TRANSPORTS];     /* transactions logged/freed */
    uint64_t parse_errors[APPLAYER_PROTO_COUNT][APPLAYER_TRANSPORTS];  /* flows given up */
    struct applayer_counts counts[APPLAYER_PROTO_COUNT][APPLAYER_TRANSPORTS];  /* of freed states */
    uint64_t tunnels;                       /* CONNECT and the like that succeeded */
    uint64_t memory;                        /* per-flow framework and parser state now held */
};

/* Reads every parser's settings; NULL when out of memory.  Configuration
 * problems are reported through diag (and -T fails on them). */
struct applayer *applayer_new(const struct config *cfg, const struct classifier *classifier,
                              struct diag *diag);
void applayer_free(struct applayer *al);
const struct applayer_stats *applayer_stats(const struct applayer *al);

/* Every packet, before detection: when a TCP flow's protocol becomes known
 * to packet rules ("alert http" without buffers, app-layer-protocol).  As in
 * Suricata, whose app layer sees a direction's bytes once the other side
 * acknowledged them: from the first packet of the other direction after the
 * handshake.  (UDP: at once.) */
void applayer_on_packet(struct flow *flow, enum flow_direction dir, uint8_t tcp_flags);
/* Whether packet rules may see the flow's app-layer protocol yet. */
bool applayer_proto_visible(const struct flow *flow);

/* Whether the flow's parser still reads direction dir: attached, not given
 * up, that direction not finished, and a transaction not complete in it (or
 * none logged yet).  The stream layer keeps an encrypted direction while this
 * holds (nDPI's "handshake done" comes before the parser's). */
bool applayer_wants_bytes(const struct flow *flow, enum flow_direction dir);

/* TCP: one in-order chunk from the stream layer. */
void applayer_on_chunk(struct applayer *al, struct flow *flow, const struct applayer_chunk *chunk,
                       uint64_t ts_usec);
/* UDP: one datagram. */
void applayer_on_datagram(struct applayer *al, struct flow *flow, enum flow_direction dir,
                          const uint8_t *data, uint32_t len, uint64_t ts_usec);

/* Flow end: tells the parser both directions are finished (an EOF chunk
 * each, unless the stream layer already sent one), so it completes what
 * the close completes (a body read until the connection closes). */
void applayer_on_flow_end(struct applayer *al, struct flow *flow, uint64_t ts_usec);

/* After detection: calls log for each transaction ready to be logged (complete
 * both ways, or every one left when flow_end), marks it logged, and frees the
 * transactions that are done.  log may be NULL. */
typedef void (*applayer_log_fn)(void *ctx, const struct flow *flow,
                                const struct applayer_parser *parser, void *state,
                                const struct applayer_tx *tx);
void applayer_after_detect(struct applayer *al, struct flow *flow, bool flow_end,
                           applayer_log_fn log, void *ctx);
/* Frees the flow's app-layer state (flow end; after the last after_detect). */
void applayer_flow_free(struct applayer *al, struct flow *flow);

/* The EVE tx_id of tx: unique in the flow, also across a tunnel's parsers. */
uint64_t applayer_tx_id(const struct flow *flow, const struct applayer_tx *tx);

/* Lookups for detection and EVE. */
const struct applayer_parser *applayer_parser_of(enum applayer_proto proto);
const struct applayer_parser *applayer_parser_by_name(const char *name);
/* The flow's protocol as Suricata names it, or NULL when no parser has it. */
const char *applayer_flow_proto_name(const struct flow *flow);
/* Suricata's AppProtoEquals: whether a rule naming protocol sig matches a
 * flow whose protocol is flow ("dns" and "http2" match "doh2" flows, "http"
 * matches "http2" ones, "doh2" matches all three). */
bool applayer_proto_equals(const char *sig, const char *flow);
/* The parser's settings in this framework (for eve_write). */
const void *applayer_settings(const struct applayer *al, enum applayer_proto proto);
/* Index of name in parser->event_names, or -1. */
int applayer_event_index(const struct applayer_parser *parser, const char *name);

#endif
