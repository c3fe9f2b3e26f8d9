/* Reading EVE lines back: picks scalar fields out of one JSON object by
 * dotted path ("alert.signature"), for the analyst's consumer
 * (tools/xiezhi-alerts), which takes the lines from Redis, that is from the
 * network.  The whole line is parsed with depth and lengths bounded; a
 * value too long for its field is cut, and text is unescaped as it is, so
 * the caller strips what it must not print. */
#ifndef XIEZHI_EVENT_EVE_FIELDS_H
#define XIEZHI_EVENT_EVE_FIELDS_H

#include <stdbool.h>
#include <stddef.h>

#define EVE_FIELD_MAX 512

struct eve_field {
    const char *path;           /* "alert.signature"; array elements have none */
    char value[EVE_FIELD_MAX];  /* unescaped (strings; \u beyond ASCII as '?')
                                 * or as written (numbers, true, false, null) */
    bool found;
};

/* 0 when text[0..len) is one JSON object (the fields found filled in), -1
 * when it is not.  Every syntactically valid object is accepted up to 64
 * levels of nesting, however long its keys. */
int eve_fields_extract(const char *text, size_t len, struct eve_field *fields, size_t n);

#endif
