/* JSON writer: escaping that survives hostile bytes, and comma bookkeeping
 * per nesting level so callers only say what to write. */
#include "event/json.h"

#include "util/utf8.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void json_init(struct json_writer *w)
{
    memset(w, 0, sizeof *w);
}

void json_reset(struct json_writer *w)
{
    w->len = 0;
    w->failed = false;
    w->depth = 0;
    w->need_comma[0] = false;
    if (w->buf)
        w->buf[0] = '\0';
}

void json_free(struct json_writer *w)
{
    free(w->buf);
    json_init(w);
}

static bool reserve(struct json_writer *w, size_t extra)
{
    if (w->failed)
        return false;
    if (w->len + extra + 1 <= w->cap)
        return true;
    size_t cap = w->cap ? w->cap : 1024;
    while (cap < w->len + extra + 1)
        cap *= 2;
    char *grown = realloc(w->buf, cap);
    if (!grown) {
        w->failed = true;
        return false;
    }
    w->buf = grown;
    w->cap = cap;
    return true;
}

static void append(struct json_writer *w, const char *s, size_t n)
{
    if (!reserve(w, n))
        return;
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = '\0';
}

/* Without a memcpy call: commas, quotes and brackets are most appends. */
static void append_char(struct json_writer *w, char c)
{
    if (!reserve(w, 1))
        return;
    w->buf[w->len++] = c;
    w->buf[w->len] = '\0';
}

/* Printable ASCII other than the quote and the backslash: copied as it is. */
static inline bool plain_ascii(unsigned char c)
{
    return (unsigned char)(c - 0x20) < 0x5F && c != '"' && c != '\\';
}

void json_escape(struct json_writer *w, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        /* Copy plain printable ASCII in one go. */
        while (run < len && plain_ascii(s[run]))
            run++;
        if (run > i) {
            append(w, (const char *)s + i, run - i);
            i = run;
            continue;
        }
        unsigned char c = s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            append(w, esc, 2);
            i++;
        } else if (c == '\n') {
            append(w, "\\n", 2);
            i++;
        } else if (c == '\r') {
            append(w, "\\r", 2);
            i++;
        } else if (c == '\t') {
            append(w, "\\t", 2);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            append(w, esc, 6);
            i++;
        } else {
            size_t n = utf8_sequence_length(s + i, len - i);
            if (n == 2 && c == 0xC2 && s[i + 1] <= 0x9F) {
                /* A C1 control (U+0080-U+009F, e.g. U+009B, the 8-bit CSI):
                 * valid UTF-8, but terminals act on it; escape it. */
                snprintf(esc, sizeof esc, "\\u%04x", s[i + 1]);
                append(w, esc, 6);
                i += 2;
            } else if (n) {
                append(w, (const char *)s + i, n);
                i += n;
            } else {
                /* Not UTF-8: keep the byte visible and the line parseable. */
                snprintf(esc, sizeof esc, "\\u%04x", c);
                append(w, esc, 6);
                i++;
            }
        }
    }
}

static void begin_value(struct json_writer *w, const char *key)
{
    if (w->depth > 0) {
        if (w->need_comma[w->depth])
            append_char(w, ',');
        w->need_comma[w->depth] = true;
    }
    if (key) {
        append_char(w, '"');
        json_escape(w, key, strlen(key));
        append(w, "\":", 2);
    }
}

static void open_container(struct json_writer *w, const char *key, char bracket)
{
    begin_value(w, key);
    if (w->depth + 1 >= JSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    append_char(w, bracket);
    w->need_comma[++w->depth] = false;
}

static void close_container(struct json_writer *w, char bracket)
{
    if (w->depth <= 0) {
        w->failed = true;
        return;
    }
    append_char(w, bracket);
    w->depth--;
}

void json_object_begin(struct json_writer *w, const char *key) { open_container(w, key, '{'); }
void json_object_end(struct json_writer *w) { close_container(w, '}'); }
void json_array_begin(struct json_writer *w, const char *key) { open_container(w, key, '['); }
void json_array_end(struct json_writer *w) { close_container(w, ']'); }

void json_string_len(struct json_writer *w, const char *key, const char *value, size_t len)
{
    begin_value(w, key);
    append_char(w, '"');
    json_escape(w, value, len);
    append_char(w, '"');
}

void json_string(struct json_writer *w, const char *key, const char *value)
{
    json_string_len(w, key, value ? value : "", value ? strlen(value) : 0);
}

/* Decimal digits of value, written backwards from end; returns where they
 * start.  (snprintf's format parsing was a third of the cost of a flow
 * event, which holds a dozen numbers.) */
static char *decimal(uint64_t value, char *end)
{
    char *p = end;
    do {
        *--p = (char)('0' + value % 10);
        value /= 10;
    } while (value);
    return p;
}

void json_uint(struct json_writer *w, const char *key, uint64_t value)
{
    char num[24];
    char *start = decimal(value, num + sizeof num);
    begin_value(w, key);
    append(w, start, (size_t)(num + sizeof num - start));
}

void json_int(struct json_writer *w, const char *key, int64_t value)
{
    char num[24];
    /* the magnitude as unsigned: -INT64_MIN does not fit an int64_t */
    uint64_t mag = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;
    char *start = decimal(mag, num + sizeof num);
    if (value < 0)
        *--start = '-';
    begin_value(w, key);
    append(w, start, (size_t)(num + sizeof num - start));
}

void json_double(struct json_writer *w, const char *key, double value)
{
    char num[40];
    /* JSON has no NaN or infinity. */
    int n = isfinite(value) ? snprintf(num, sizeof num, "%.6g", value) : snprintf(num, sizeof num, "null");
    begin_value(w, key);
    append(w, num, (size_t)n);
}

void json_bool(struct json_writer *w, const char *key, bool value)
{
    begin_value(w, key);
    append(w, value ? "true" : "false", value ? 4 : 5);
}

void json_raw(struct json_writer *w, const char *key, const char *json)
{
    begin_value(w, key);
    append(w, json, strlen(json));
}
