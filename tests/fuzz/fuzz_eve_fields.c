/* Fuzz target: the consumer's EVE reader (sensor/event/eve_fields.c).
 * xiezhi-alerts takes its lines from Redis, which anyone who reaches the
 * Redis port can write, so the input is one line as it would arrive.  Two
 * properties besides the sanitizers': every field found holds a
 * NUL-terminated value that fits; and every line the strict RFC 8259
 * checker of json_check.h accepts as one object is accepted by the reader
 * too (a valid event is never dropped as "not JSON").
 * fuzz-needs: eve_fields_extract */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "event/eve_fields.h"
#include "fuzz_util.h"
#include "json_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_INITIALIZE_QUIET

/* The consumer's fields, and a few that only odd lines have. */
static const char *const paths[] = {
    "timestamp", "event_type", "event_id", "alert.severity", "alert.signature_id",
    "alert.signature", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "app_proto",
    "ndpi.protocol", "geoip.src.country", "geoip.dest.country", "sensor.id", "anomaly.kind",
    "", "a", "a.b", "a.b.c.d.e.f",
};
#define NPATHS (sizeof paths / sizeof paths[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct eve_field fields[NPATHS];
    for (size_t i = 0; i < NPATHS; i++)
        fields[i].path = paths[i];
    const char *text = (const char *)data;
    int rc = eve_fields_extract(text, size, fields, NPATHS);
    FUZZ_CHECK(rc == 0 || rc == -1, "returned %d", rc);
    for (size_t i = 0; i < NPATHS; i++)
        if (fields[i].found)
            FUZZ_CHECK(strnlen(fields[i].value, EVE_FIELD_MAX) < EVE_FIELD_MAX,
                       "field %s is not NUL-terminated", paths[i]);
    size_t bad;
    if (json_check_object(text, size, &bad))
        FUZZ_CHECK(rc == 0, "a valid JSON object was refused: %.200s", text);
    return 0;
}
