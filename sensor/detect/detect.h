/* Detection: Suricata-style rules compiled into an engine that worker
 * threads share (swapped whole on reload).  Its rules and prefilter are
 * read-only after load; two parts change while packets flow, each under its
 * own lock: the threshold table (shared by the workers, so a threshold
 * counts over the whole sensor as in Suricata) and the datasets (written by
 * dataset:set/unset).  One detect_thread per worker holds the rest of the
 * mutable state (anomaly trackers, scratch).
 * Detection never does I/O: matches leave through the alert_sink. */
#ifndef XIEZHI_DETECT_H
#define XIEZHI_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "decode/packet.h"
#include "event/alert.h"
#include "flow/flow.h"
#include "util/diag.h"

struct classifier;
struct geoip;

struct detect_engine_config {
    const struct config *config;          /* vars.address-groups, vars.port-groups, ... */
    const char *const *rule_files;        /* full paths */
    size_t nrule_files;
    const char *classification_file;      /* NULL or "" for none */
    const struct geoip *geoip;            /* NULL: geoip keyword rejected */
    const struct classifier *classifier;  /* protocol and risk names */
};

struct detect_engine_stats {
    size_t rules_loaded, rules_failed, rules_warned;
    /* pcre patterns PCRE2 could not JIT-compile (no JIT in the library, or
     * executable memory refused: MemoryDenyWriteExecute=yes); they run
     * interpreted, measured about 1.7x the CPU (docs/operations.md). */
    size_t pcre_total, pcre_without_jit;
};

struct detect_engine;
struct detect_thread;

/* Loads and compiles every rule file.  Each bad rule is reported as
 * "file:line: ..." through diag and skipped.  Returns NULL only on a fatal
 * problem (unreadable file, out of memory); -T treats diag->errors as failure. */
struct detect_engine *detect_engine_load(const struct detect_engine_config *cfg,
                                         struct diag *diag);
void detect_engine_free(struct detect_engine *de);
const struct detect_engine_stats *detect_engine_stats(const struct detect_engine *de);

struct detect_thread *detect_thread_new(const struct detect_engine *de);
void detect_thread_free(struct detect_thread *dt);

/* Runs the rules on one packet of a flow. */
void detect_packet(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                   enum flow_direction dir, const struct alert_sink *sink);
/* Same, with the reassembled stream of the packet's direction (raw stream
 * inspection: tcp and tcp-stream rules also match over view; NULL = none). */
struct stream_view;
void detect_packet_stream(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                          enum flow_direction dir, const struct stream_view *view,
                          const struct alert_sink *sink);
/* At flow end, before detect_flow_end: the stream bytes the end released
 * (views[d], by direction; alerts carry no packet). */
void detect_stream_end(struct detect_thread *dt, struct flow *flow,
                       const struct stream_view *views, const struct alert_sink *sink);
/* At flow end: flow-end detections, then frees flow->detect. */
void detect_flow_end(struct detect_thread *dt, struct flow *flow, const struct alert_sink *sink);
/* What one thread's rules looked at: payload bytes given to the payload
 * keywords, and packets and bytes of encrypted flows left out
 * (detect.encryption-handling). */
struct detect_thread_stats {
    uint64_t payload_bytes_inspected;
    uint64_t stream_bytes_inspected;    /* new reassembled bytes given to stream rules */
    uint64_t encrypted_packets_skipped;
    uint64_t encrypted_bytes_skipped;
    /* pcre runs that ended in an error instead of an answer: the match or
     * depth limit (a pattern backtracking on crafted input), or any other
     * (JIT stack exhausted, ...).  Such a pcre does not match, and a negated
     * one does not pass either: the rule cannot tell. */
    uint64_t pcre_match_limit;
    uint64_t pcre_errors;
};
void detect_thread_stats(const struct detect_thread *dt, struct detect_thread_stats *out);
/* Bytes of detection state the flow holds now (flowbits, rules fired). */
size_t detect_flow_memory(const struct flow *flow);
/* The behavioural detectors' tracking counters of this thread. */
struct anomaly_stats;
void detect_thread_anomaly_stats(const struct detect_thread *dt, struct anomaly_stats *out);

/* SIGHUP reload: the state of every rule that did not change (same gid,
 * sid, rev and text) carries over to the new rule set; changed and removed
 * rules start afresh.  detect_engine_carry_state moves the threshold table
 * from old to de (old keeps using it until freed; call before the workers
 * switch); detect_thread_carry_state moves a worker's anomaly trackers
 * from its old thread state to dt (old keeps none). */
void detect_engine_carry_state(struct detect_engine *de, struct detect_engine *old);
void detect_thread_carry_state(struct detect_thread *dt, struct detect_thread *old);

/* Expires time-based state (thresholds, trackers) at packet time now_usec. */
void detect_thread_expire(struct detect_thread *dt, uint64_t now_usec);

#endif
