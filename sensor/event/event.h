/* Events as they leave the sensor: one EVE JSON line with its type and
 * sequence number.  Exporters see only these records, never packets. */
#ifndef XIEZHI_EVENT_H
#define XIEZHI_EVENT_H

#include <stddef.h>
#include <stdint.h>

/* EVENT_ANOMALY is a behavioural detection (sensor/anomaly).  In EVE it is
 * event_type "behavior" with a "behavior" object: Suricata's "anomaly" means
 * decoder/app-layer anomalies with other fields, and consumers built for
 * Suricata must not mistake one for the other (docs/anomaly.md). */
enum event_type {
    EVENT_ALERT, EVENT_ANOMALY, EVENT_FLOW, EVENT_STATS,
    /* protocol events, one per app-layer transaction (sensor/applayer) */
    EVENT_HTTP, EVENT_DNS, EVENT_TLS, EVENT_SSH,
    EVENT_TYPE_COUNT
};

#define EVENT_TYPE_MASK(t) (1u << (t))
#define EVENT_TYPE_ALL     ((1u << EVENT_TYPE_COUNT) - 1)

struct event_record {
    enum event_type type;
    uint64_t seq;              /* the sequence part of event_id */
    const char *json;          /* one JSON object, no trailing newline */
    size_t len;
};

const char *event_type_name(enum event_type type);
/* The name before 0.2 (anomaly.event-type: anomaly writes it again). */
#define EVENT_BEHAVIOR_LEGACY_NAME "anomaly"

/* "alert" -> EVENT_ALERT; -1 if unknown.  The legacy name "anomaly" still
 * selects behavioural detections, so older outputs.*.types lists keep working. */
int event_type_from_name(const char *name);

#endif
