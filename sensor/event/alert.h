/* What a detection hands to the event writer: the rule that fired, the
 * behavioural details, and the sink they leave through.  Types only, so
 * detect, anomaly and event can share them without including each other. */
#ifndef XIEZHI_ALERT_H
#define XIEZHI_ALERT_H

#include <stddef.h>
#include <stdint.h>

struct flow;
struct packet;

enum rule_action { RULE_ACTION_ALERT, RULE_ACTION_PASS };

/* What an alert event says about the rule that fired. */
struct rule_info {
    uint32_t gid, sid, rev;
    enum rule_action action;
    const char *action_name;     /* "allowed" in EVE alert.action */
    const char *msg;
    const char *classtype;       /* NULL if none */
    const char *category;        /* classtype description, "" if none */
    int severity;                /* priority: from the rule or its classtype; default 3 */
    const char *metadata_json;   /* pre-rendered {"key":["v",...]} or NULL */
};

/* Behavioural detections add what was seen (EVE "behavior" object). */
struct anomaly_info {
    const char *kind;            /* "port_scan", "dns_tunnel", ... */
    uint64_t window_usec;
    uint64_t count;
    double score;                /* 0 when not meaningful */
    const char *const *evidence; /* nevidence strings */
    size_t nevidence;
};

struct applayer_tx;

struct alert_sink {
    void *ctx;
    /* anomaly is NULL for signature alerts; pkt may be NULL (flow-end detections). */
    void (*emit)(void *ctx, const struct flow *flow, const struct packet *pkt,
                 const struct rule_info *rule, const struct anomaly_info *anomaly);
    /* A match on an app-layer transaction of the flow's parser (the alert
     * carries its protocol object).  NULL: emit is called instead. */
    void (*emit_tx)(void *ctx, const struct flow *flow, const struct packet *pkt,
                    const struct rule_info *rule, const struct applayer_tx *tx);
};

#endif
