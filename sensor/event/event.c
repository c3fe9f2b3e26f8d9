/* Event type names, shared by the EVE writer, the config and the exporters. */
#include "event/event.h"

#include <string.h>

static const char *const event_type_names[EVENT_TYPE_COUNT] = {
    [EVENT_ALERT] = "alert",
    [EVENT_ANOMALY] = "behavior",
    [EVENT_FLOW] = "flow",
    [EVENT_STATS] = "stats",
    [EVENT_HTTP] = "http",
    [EVENT_DNS] = "dns",
    [EVENT_TLS] = "tls",
    [EVENT_SSH] = "ssh",
};

const char *event_type_name(enum event_type type)
{
    return (unsigned)type < EVENT_TYPE_COUNT ? event_type_names[type] : "unknown";
}

int event_type_from_name(const char *name)
{
    for (int t = 0; t < EVENT_TYPE_COUNT; t++)
        if (strcmp(event_type_names[t], name) == 0)
            return t;
    if (strcmp(name, EVENT_BEHAVIOR_LEGACY_NAME) == 0)
        return EVENT_ANOMALY;
    return -1;
}
