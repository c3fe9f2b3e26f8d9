/* Behavioural detectors configured from rule files.  A rule carries the
 * xiezhi keyword `anomaly:<kind>[, option value]...`; its header and other
 * options (addresses, ports, flow:...) scope what the detector sees.  The
 * detect engine parses the keyword through anomaly_params_parse, then feeds
 * each matching packet and each ended flow to the detector, which keeps its
 * bounded tracking state in a per-worker anomaly_state. */
#ifndef XIEZHI_ANOMALY_H
#define XIEZHI_ANOMALY_H

#include <stdint.h>

#include "config/config.h"
#include "decode/packet.h"
#include "event/alert.h"
#include "flow/flow.h"
#include "util/diag.h"

struct anomaly_params;     /* one rule's detector and its settings */
struct anomaly_state;      /* per worker: every detector's tracking tables */

/* value is the text after "anomaly:".  cfg gives zones and other shared
 * settings.  NULL on error with what is wrong in err (errlen > 0), without
 * a "file:line: " prefix: the rule loader adds the rule's place (a mistake
 * in the config's zones names its own place in the message). */
struct anomaly_params *anomaly_params_parse(const char *value, const struct config *cfg,
                                            char *err, size_t errlen);
void anomaly_params_free(struct anomaly_params *params);

/* Which hooks the rule's detector uses, so the engine can skip the calls
 * that would do nothing.  The kind name is the EVE anomaly.kind. */
enum { ANOMALY_HOOK_PACKET = 1, ANOMALY_HOOK_FLOW_END = 2 };
unsigned anomaly_params_hooks(const struct anomaly_params *params);
const char *anomaly_params_kind(const struct anomaly_params *params);

/* The detectors' settings, read once when the engine loads (so -T reports
 * a bad value as file:line) and handed to every state. */
struct anomaly_settings {
    uint64_t memcap;               /* anomaly.memcap: all tables of a state, 64mb */
    uint32_t max_tracked;          /* anomaly.max-tracked: entries per rule that
                                    * sets no max-tracked of its own, 65536 */
};
/* Defaults when cfg is NULL; a bad value is reported and the default kept. */
void anomaly_settings_load(struct anomaly_settings *out, const struct config *cfg,
                           struct diag *diag);

/* settings NULL: the defaults.  A state holds pointers to the params it has
 * seen: free it before the params (one state per detect_thread, which lives
 * within its engine). */
struct anomaly_state *anomaly_state_new(const struct anomaly_settings *settings);
void anomaly_state_free(struct anomaly_state *st);
/* A rule reload: each rule's tracking table follows map(old params) to the
 * new rule's params (same rule, same options), or is dropped when map says
 * NULL (the rule changed or went away). */
void anomaly_state_remap(struct anomaly_state *st,
                         const struct anomaly_params *(*map)(void *ctx, const struct anomaly_params *p),
                         void *ctx);

/* A packet that matched the rule's header and other options. */
void anomaly_on_packet(struct anomaly_state *st, const struct anomaly_params *params,
                       const struct rule_info *rule, const struct flow *flow,
                       const struct packet *pkt, enum flow_direction dir,
                       const struct alert_sink *sink);
/* A flow that ended and whose client->server side matches the rule's header. */
void anomaly_on_flow_end(struct anomaly_state *st, const struct anomaly_params *params,
                         const struct rule_info *rule, const struct flow *flow,
                         const struct alert_sink *sink);
/* Expires windows and suppression at packet time now_usec. */
void anomaly_expire(struct anomaly_state *st, uint64_t now_usec);

struct anomaly_stats {
    uint64_t tracked_entries;      /* live entries in all tables */
    uint64_t evictions;            /* entries dropped at the memory bound */
    uint64_t alerts, suppressed;
    uint64_t memory_bytes;         /* bytes held by all tables */
    uint64_t dropped;              /* events not tracked: memcap with nothing to evict */
};
void anomaly_get_stats(const struct anomaly_state *st, struct anomaly_stats *out);

#endif
