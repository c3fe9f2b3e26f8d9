/* EVE JSON formatting: alert, behavior, flow and stats events, with field
 * names as Suricata writes them and xiezhi's own objects (ndpi, geoip,
 * behavior, xiezhi_stats, sensor, event_id) beside them.  The writer formats one line into
 * its scratch buffer and hands it to the sink; it does no I/O itself. */
#ifndef XIEZHI_EVE_H
#define XIEZHI_EVE_H

#include <stdbool.h>
#include <stdint.h>

#include "classify/classify.h"
#include "decode/packet.h"
#include "detect/detect.h"
#include "enrich/geoip.h"
#include "event/event.h"
#include "event/json.h"
#include "flow/flow.h"

/* Where formatted events go, and where their sequence numbers come from. */
struct eve_sink {
    void *ctx;
    uint64_t (*next_seq)(void *ctx);
    void (*deliver)(void *ctx, const struct event_record *record);
    /* EVENT_TYPE_MASK()s some output takes; 0 means all.  Events nobody
     * takes are not formatted at all (flow events are most of the work). */
    unsigned wanted;
};

struct eve_writer {
    const char *sensor_id;
    const char *segment;          /* NULL or "" when not configured */
    bool offline;                 /* pcap_cnt is written for offline runs */
    bool legacy_anomaly_names;    /* behavioural detections as "anomaly" (pre-0.2) */
    const struct classifier *classifier;
    const struct geoip *geoip;    /* NULL: no geoip object */
    struct eve_sink sink;
    struct json_writer json;
    uint64_t written[EVENT_TYPE_COUNT];
    uint64_t date_second;         /* the second date_text was formatted for */
    char date_text[24];           /* "2024-01-31T12:00:00" */
};

void eve_writer_init(struct eve_writer *w, const char *sensor_id, const char *segment,
                     bool offline, const struct classifier *classifier,
                     const struct geoip *geoip, const struct eve_sink *sink);
void eve_writer_free(struct eve_writer *w);

/* An alert (anomaly NULL) or a behavioural detection ("behavior").  pkt may be NULL for
 * detections made at flow end; the flow's last time is used then. */
void eve_write_alert(struct eve_writer *w, const struct flow *flow, const struct packet *pkt,
                     const struct rule_info *rule, const struct anomaly_info *anomaly);
void eve_write_flow(struct eve_writer *w, const struct flow *flow);

/* Stats events are built by the caller (it knows every stage's counters):
 * begin writes the common header and opens "stats" (Suricata's names only);
 * own closes it and opens "xiezhi_stats" (xiezhi's counters); end closes
 * and sends. */
struct json_writer *eve_stats_begin(struct eve_writer *w, uint64_t ts_usec, uint64_t uptime_sec);
void eve_stats_own(struct eve_writer *w);
void eve_stats_end(struct eve_writer *w);

/* Limits formatting to these EVENT_TYPE_MASK()s (0: all). */
void eve_writer_set_wanted(struct eve_writer *w, unsigned wanted);
/* Whether any output takes events of this type. */
bool eve_wants(const struct eve_writer *w, enum event_type type);

/* "2024-01-31T12:00:00.123456+0000" (UTC); buf of at least 32 bytes. */
void eve_format_timestamp(uint64_t ts_usec, char *buf, size_t len);
/* "TCP", "UDP", "ICMP", "IPv6-ICMP", ... or the number. */
const char *eve_proto_name(uint8_t proto, char *buf, size_t len);

#endif
