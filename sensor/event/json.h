/* A small JSON writer for EVE lines.  Strings are escaped completely:
 * quotes, backslash, every control character, and bytes that are not valid
 * UTF-8 (written as \u00XX of the byte), so every line a sensor writes
 * parses, whatever the network sent.  Out of memory makes the writer sticky
 * failed; json_ok() says whether the text is whole. */
#ifndef XIEZHI_JSON_H
#define XIEZHI_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JSON_MAX_DEPTH 16

struct json_writer {
    char *buf;
    size_t len, cap;
    bool failed;
    int depth;
    bool need_comma[JSON_MAX_DEPTH];
};

void json_init(struct json_writer *w);
void json_reset(struct json_writer *w);      /* keeps the buffer */
void json_free(struct json_writer *w);
static inline bool json_ok(const struct json_writer *w) { return !w->failed && w->depth == 0; }

void json_object_begin(struct json_writer *w, const char *key);   /* key NULL at top or in arrays */
void json_object_end(struct json_writer *w);
void json_array_begin(struct json_writer *w, const char *key);
void json_array_end(struct json_writer *w);

void json_string(struct json_writer *w, const char *key, const char *value);
void json_string_len(struct json_writer *w, const char *key, const char *value, size_t len);
void json_uint(struct json_writer *w, const char *key, uint64_t value);
void json_int(struct json_writer *w, const char *key, int64_t value);
void json_double(struct json_writer *w, const char *key, double value);
void json_bool(struct json_writer *w, const char *key, bool value);
/* Inserts already-valid JSON (e.g. pre-rendered rule metadata). */
void json_raw(struct json_writer *w, const char *key, const char *json);

/* Appends the escaped form of s (without quotes) to w. */
void json_escape(struct json_writer *w, const char *s, size_t len);

#endif
