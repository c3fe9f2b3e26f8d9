/* threshold and detection_filter: per-rule counters tracked by source,
 * destination, rule, both or flow, in a bounded table, with Suricata's
 * semantics for the types threshold, limit and both, and detection_filter
 * (with xiezhi's unique_on src_port|dst_port for distinct counting). */
#ifndef XIEZHI_THRESHOLD_H
#define XIEZHI_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow.h"

enum threshold_kind { THRESHOLD_THRESHOLD, THRESHOLD_LIMIT, THRESHOLD_BOTH, THRESHOLD_DETECTION_FILTER };
enum threshold_track { THRESHOLD_TRACK_BY_SRC, THRESHOLD_TRACK_BY_DST, THRESHOLD_TRACK_BY_RULE, THRESHOLD_TRACK_BY_BOTH, THRESHOLD_TRACK_BY_FLOW };
enum threshold_unique { UNIQUE_NONE, UNIQUE_SRC_PORT, UNIQUE_DST_PORT };

struct threshold_spec {
    enum threshold_kind kind;
    enum threshold_track track;
    enum threshold_unique unique_on;
    uint32_t count;
    uint64_t seconds_usec;
};

/* Parses the value of `threshold:` (is_detection_filter false) or
 * `detection_filter:`; on error writes a message to err and returns -1. */
int threshold_parse(const char *value, bool is_detection_filter, struct threshold_spec *spec,
                    char *err, size_t errlen);

struct threshold_table;

struct threshold_table *threshold_table_new(size_t max_entries);
void threshold_table_free(struct threshold_table *t);

/* Called when rule (gid, sid) matched pkt on flow at packet time now_usec.
 * Returns true when an alert must be emitted.  src/dst are the packet's. */
bool threshold_check(struct threshold_table *t, const struct threshold_spec *spec,
                     uint32_t gid, uint32_t sid, const struct flow *flow,
                     const struct packet *pkt, uint64_t now_usec);
void threshold_table_expire(struct threshold_table *t, uint64_t now_usec);
/* Drops the entries of every rule (gid, sid) keep() refuses: after a
 * reload, the rules that changed start counting afresh. */
void threshold_table_retain(struct threshold_table *t, bool (*keep)(void *ctx, uint32_t gid, uint32_t sid),
                            void *ctx);
/* Entries dropped because the table was full (counted in stats). */
uint64_t threshold_table_evictions(const struct threshold_table *t);

/* Additions (enrichdata), for stats.  The table is thread-safe (one mutex
 * inside), so one table may serve every worker: by_src/by_dst/by_rule
 * counts are only right when all matches of a rule reach the same table. */
size_t threshold_table_entries(const struct threshold_table *t);
/* unique_on matches that found the distinct-port memory cap reached and
 * were counted as plain matches instead. */
uint64_t threshold_table_port_alloc_failures(const struct threshold_table *t);

#endif
