/* The flow table: bidirectional flows keyed by (VLAN ids, protocol,
 * addresses, ports).  The client is the side that sent the first packet (or the SYN).
 * Flows end by idle or active timeout, TCP close, LRU eviction under the
 * memory cap, or end of input; each end is handed to the owner's callback
 * before the flow is freed, so later stages can emit events and release the
 * per-flow state they own. */
#ifndef XIEZHI_FLOW_H
#define XIEZHI_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"

/* EVE flow ids keep to 51 bits, as Suricata's do, so they stay exact in
 * consumers that read JSON numbers as doubles (jq 1.6, JavaScript). */
#define FLOW_ID_MASK UINT64_C(0x0007ffffffffffff)

enum flow_direction { FLOW_TOSERVER = 0, FLOW_TOCLIENT = 1 };

enum flow_end_reason {
    FLOW_END_NONE,
    FLOW_END_TIMEOUT,       /* idle timeout (or the closed-state timeout) */
    FLOW_END_ACTIVE,        /* active timeout: flow lived too long, is split */
    FLOW_END_EVICTED,       /* memory cap reached, least recently used went */
    FLOW_END_SHUTDOWN,      /* end of input or sensor stop */
};

enum flow_tcp_state {
    FLOW_TCP_NONE,          /* not TCP, or no handshake seen (midstream) */
    FLOW_TCP_SYN_SENT,
    FLOW_TCP_SYN_RECEIVED,
    FLOW_TCP_ESTABLISHED,
    FLOW_TCP_CLOSING,       /* FIN seen */
    FLOW_TCP_CLOSED,        /* FIN both ways, or RST */
};

/* What classification leaves on a flow: a compact nDPI verdict. */
enum classify_state {
    CLASSIFY_NONE,          /* no payload seen yet: no nDPI state allocated */
    CLASSIFY_IN_PROGRESS,   /* nDPI state allocated, still dissecting */
    CLASSIFY_DONE,          /* detected (and extra dissection finished) */
    CLASSIFY_GIVEN_UP,      /* ndpi_detection_giveup() decided at flow end */
};

struct classify_result {
    uint16_t master_protocol;   /* nDPI ids; 0 = unknown */
    uint16_t app_protocol;
    uint16_t category;          /* ndpi_protocol_category_t */
    uint16_t http_response_code;
    uint8_t confidence;         /* ndpi_confidence_t */
    uint8_t state;              /* enum classify_state */
    uint8_t tls_version_known;
    uint8_t pad;
    uint64_t risk;              /* ndpi_risk bitmap */
};

/* Enrichment copied onto the flow once, when it is created. */
struct flow_geo {
    char country[2][2];     /* ISO codes of client [0] and server [1]; 0 if unknown */
    uint32_t asn[2];
};

struct flow {
    /* owned by the flow table */
    struct flow *hash_next;
    struct flow *lru_prev, *lru_next;

    uint64_t flow_id;       /* deterministic: derived from the key and start time; <= FLOW_ID_MASK */
    struct ip_addr client, server;
    uint16_t client_port, server_port;
    uint16_t vlan_id;       /* outermost VLAN id; 0 if none */
    uint8_t proto;
    uint8_t tcp_state;      /* enum flow_tcp_state */
    uint8_t tcp_flags_seen[2];  /* OR of flags per direction */
    uint8_t end_reason;     /* enum flow_end_reason, set before the end callback */
    uint8_t stream_flags;   /* owned by stream: its state was released for good */
    uint16_t vlan_inner;    /* second VLAN id (QinQ), part of the key; 0 if none */
    uint8_t stream_events[2];   /* owned by stream: enum stream_event bits per direction */
    uint64_t start_usec, last_usec;
    /* Packets as 32 bits, bytes as 64, as Suricata counts them: the four
     * bytes saved keep a classified flow under 256 bytes (docs/stream.md). */
    uint32_t pkts[2];       /* indexed by enum flow_direction */
    uint64_t bytes[2];

    /* owned by classify */
    struct classify_result app;
    struct ndpi_flow_struct *ndpi;  /* NULL until payload, NULL again once done */
    struct flow_meta *meta;         /* classify/result.h */

    /* owned by enrich */
    struct flow_geo geo;
    /* owned by stream: enum stream_event bits 8-15 per direction (the TCP
     * state events), here in the padding after geo so the struct keeps its size */
    uint8_t stream_events_hi[2];

    /* owned by detect */
    struct detect_flow *detect;

    /* owned by stream: NULL until TCP data or a SYN, NULL again once released */
    struct stream_flow *stream;
    /* owned by applayer: NULL until a parser takes the flow */
    struct applayer_flow *applayer;
};

struct flow_table_config {
    size_t max_flows;                   /* hard cap; LRU eviction beyond; default 1M */
    uint64_t tcp_new_timeout_usec;      /* before the handshake completes; default 30 s */
    uint64_t tcp_established_timeout_usec;  /* default 300 s */
    uint64_t tcp_closed_timeout_usec;   /* after FIN/RST; default 10 s */
    uint64_t udp_timeout_usec;          /* default 60 s */
    uint64_t icmp_timeout_usec;         /* default 30 s */
    uint64_t other_timeout_usec;        /* default 60 s */
    uint64_t active_timeout_usec;       /* default 1800 s; 0 = none */
    /* Bytes all flows of the table may hold: their structs, the hash table
     * and what other stages keep per flow (flow_table_set_state_probe).  A
     * new flow evicts the least recently used ones beyond it.  Default 256
     * MiB; 0 = no byte cap (max_flows alone). */
    uint64_t memcap;
};

struct flow_table_stats {
    uint64_t created, ended, active;
    uint64_t timed_out, active_timeouts, evicted, shutdown;
    uint64_t tcp, udp, icmp, other;
    uint64_t memory_bytes;              /* flow structs + hash table + the stages' per-flow state */
    uint64_t memcap_evicted;            /* of evicted: to stay under memcap */
};

/* Called for each flow that ends, before it is freed. */
typedef void (*flow_end_fn)(void *ctx, struct flow *flow);

struct flow_table;

void flow_table_config_defaults(struct flow_table_config *cfg);
struct flow_table *flow_table_new(const struct flow_table_config *cfg, flow_end_fn on_end,
                                  void *ctx);
void flow_table_free(struct flow_table *ft);      /* ends nothing: call flush first */

/* Finds or creates the flow of pkt, counts the packet on it, updates TCP
 * state, and says which way the packet goes.  *created is set for a new
 * flow.  Returns NULL only when memory runs out. */
struct flow *flow_table_lookup(struct flow_table *ft, const struct packet *pkt,
                               enum flow_direction *dir, bool *created);

/* Ends flows whose timeouts have passed at now_usec (packet time offline). */
void flow_table_expire(struct flow_table *ft, uint64_t now_usec);
/* Ends every flow with the given reason (end of input, shutdown). */
void flow_table_flush(struct flow_table *ft, enum flow_end_reason reason);
const struct flow_table_stats *flow_table_stats(const struct flow_table *ft);
/* probe(ctx) says how many bytes the other stages (nDPI, metadata,
 * detection, stream) hold for this table's flows now; it is asked when a
 * flow is created (and after each eviction that makes room) and counted in
 * memory_bytes. */
void flow_table_set_state_probe(struct flow_table *ft, uint64_t (*probe)(void *ctx), void *ctx);
/* The most flows in one hash bucket (walks every bucket: tests and
 * diagnostics only). */
size_t flow_table_longest_chain(const struct flow_table *ft);

/* EVE names: "timeout", "active_timeout", "evicted", "shutdown";
 * and "new", "established", "closed" for the state. */
const char *flow_end_reason_name(enum flow_end_reason reason);
const char *flow_state_name(const struct flow *flow);

#endif
