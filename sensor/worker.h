/* A worker runs the packet path for its share of the traffic: decode, flow,
 * stream, classify, enrich, detect, event.  Everything mutable is its own (flow
 * table, nDPI module, detection state, JSON scratch), so several workers can
 * run side by side; what they share is read-only or thread-safe. */
#ifndef XIEZHI_WORKER_H
#define XIEZHI_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "anomaly/anomaly.h"
#include "capture/capture.h"
#include "classify/classify.h"
#include "config/config.h"
#include "decode/decode.h"
#include "detect/detect.h"
#include "enrich/geoip.h"
#include "event/eve.h"
#include "flow/flow.h"
#include "stream/stream.h"

/* What the sensor gives every worker. */
struct worker_shared {
    const struct config *config;
    const struct geoip *geoip;             /* NULL when not configured */
    const struct detect_engine *detect;    /* NULL: no rules */
    struct eve_sink sink;
    const char *sensor_id;
    const char *segment;
    bool offline;
    bool legacy_anomaly_names;             /* anomaly.event-type: anomaly */
    struct decoder_config decoder;
    struct flow_table_config flows;
    struct stream_config stream;
};

struct worker_counters {
    uint64_t alerts;
    uint64_t anomalies;
    uint64_t alerts_by_severity[5];        /* 1..4, [0] for anything else */
    uint64_t last_event_usec;
};

struct worker {
    int id;
    struct decoder *decoder;
    struct flow_table *flows;
    struct stream_engine *stream;
    struct classifier *classifier;
    struct detect_thread *detect;
    const struct geoip *geoip;
    struct eve_writer eve;
    struct alert_sink alerts;
    uint64_t now_usec;                     /* time of the newest packet */
    uint64_t first_usec;
    uint64_t next_expire_usec;
    struct worker_counters counters;
    uint64_t detect_flow_bytes;            /* detection state of live flows (flow.memcap) */
};

int worker_init(struct worker *w, int id, const struct worker_shared *shared);
void worker_process(struct worker *w, const struct capture_packet *frame);
/* Advances time without a packet (live capture on a quiet link). */
void worker_tick(struct worker *w, uint64_t now_usec);
/* Ends every flow (end of input, shutdown): flow events are written. */
void worker_finish(struct worker *w);
/* Swaps the rule set (reload): new detection state, flows keep going. */
int worker_set_detect(struct worker *w, const struct detect_engine *de);

/* Stats leave a worker as a copy of its counters, taken in its own thread,
 * so the sensor can add up several workers and write one stats event. */
struct worker_snapshot {
    struct decode_stats decode;
    struct flow_table_stats flows;
    struct classify_stats classify;
    struct worker_counters counters;
    struct anomaly_stats anomaly;
    struct detect_thread_stats inspect;
    struct stream_stats stream;
    uint64_t first_usec, now_usec;
};

void worker_snapshot(const struct worker *w, struct worker_snapshot *out);
/* Adds one worker's counters into sum (times: earliest first, latest now). */
void worker_snapshot_add(struct worker_snapshot *sum, const struct worker_snapshot *one);
/* Writes the "capture", "decoder", "flow" and "detect" members of a stats
 * event with Suricata's names (between eve_stats_begin and eve_stats_own)... */
void worker_stats_json(struct json_writer *j, const struct worker_snapshot *snap,
                       const struct capture_stats *capture);
/* ...and the counters of xiezhi's own into "xiezhi_stats" (between
 * eve_stats_own and eve_stats_end). */
void worker_stats_own_json(struct json_writer *j, const struct worker_snapshot *snap,
                           const struct capture_stats *capture);
void worker_free(struct worker *w);

#endif
