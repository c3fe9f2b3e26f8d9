/* A strict RFC 8259 validator for the fuzz targets that check EVE lines:
 * one value, no trailing bytes, no raw control characters, every escape
 * well formed (surrogates paired), every raw byte valid UTF-8 (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF).  Written apart from
 * sensor/event/json.c on purpose, so one cannot hide the other's mistake. */
#ifndef XIEZHI_FUZZ_JSON_CHECK_H
#define XIEZHI_FUZZ_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct jc {
    const uint8_t *p, *end;
    int depth;
    /* Called with each string's body (between the quotes, escapes as
     * written) once it is known to be valid; false fails the check.
     * fuzz_json decodes and compares them here. */
    bool (*on_string)(void *ctx, const uint8_t *body, size_t len);
    void *ctx;
};

static size_t jc_utf8_len(const uint8_t *s, size_t avail)
{
    uint8_t c = s[0], lo = 0x80, hi = 0xBF;
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c == 0xE0)
        n = 3, lo = 0xA0;
    else if (c == 0xED)
        n = 3, hi = 0x9F;
    else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
        n = 3;
    else if (c == 0xF0)
        n = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3)
        n = 4;
    else if (c == 0xF4)
        n = 4, hi = 0x8F;
    else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static void jc_ws(struct jc *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool jc_hex4(struct jc *c, unsigned *out)
{
    unsigned v = 0;
    if (c->end - c->p < 4)
        return false;
    for (int i = 0; i < 4; i++) {
        uint8_t h = c->p[i];
        unsigned d = h >= '0' && h <= '9' ? (unsigned)(h - '0')
                   : h >= 'a' && h <= 'f' ? (unsigned)(h - 'a' + 10)
                   : h >= 'A' && h <= 'F' ? (unsigned)(h - 'A' + 10) : 16u;
        if (d > 15)
            return false;
        v = v << 4 | d;
    }
    c->p += 4;
    *out = v;
    return true;
}

static bool jc_string(struct jc *c)
{
    if (c->p >= c->end || *c->p != '"')
        return false;
    const uint8_t *body = ++c->p;
    while (c->p < c->end) {
        uint8_t b = *c->p;
        if (b == '"') {
            c->p++;
            return !c->on_string || c->on_string(c->ctx, body, (size_t)(c->p - 1 - body));
        }
        if (b < 0x20)
            return false;
        if (b != '\\') {
            size_t n = jc_utf8_len(c->p, (size_t)(c->end - c->p));
            if (!n)
                return false;
            c->p += n;
            continue;
        }
        if (++c->p >= c->end)
            return false;
        b = *c->p++;
        if (b && strchr("\"\\/bfnrt", b))
            continue;
        unsigned u, lo;
        if (b != 'u' || !jc_hex4(c, &u) || (u >= 0xDC00 && u <= 0xDFFF))
            return false;
        if (u >= 0xD800 && u <= 0xDBFF) {
            if (c->end - c->p < 2 || c->p[0] != '\\' || c->p[1] != 'u')
                return false;
            c->p += 2;
            if (!jc_hex4(c, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return false;
        }
    }
    return false;
}

static bool jc_digits(struct jc *c)
{
    const uint8_t *start = c->p;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
        c->p++;
    return c->p > start;
}

static bool jc_number(struct jc *c)
{
    if (c->p < c->end && *c->p == '-')
        c->p++;
    if (c->p < c->end && *c->p == '0')
        c->p++;
    else if (c->p >= c->end || *c->p < '1' || *c->p > '9' || !jc_digits(c))
        return false;
    if (c->p < c->end && *c->p == '.') {
        c->p++;
        if (!jc_digits(c))
            return false;
    }
    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
            c->p++;
        if (!jc_digits(c))
            return false;
    }
    return true;
}

static bool jc_word(struct jc *c, const char *w)
{
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0)
        return false;
    c->p += n;
    return true;
}

static bool jc_value(struct jc *c);

static bool jc_container(struct jc *c, uint8_t close, bool object)
{
    if (++c->depth > 64)
        return false;
    c->p++;
    jc_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        c->depth--;
        return true;
    }
    for (;;) {
        jc_ws(c);
        if (object) {
            if (!jc_string(c))
                return false;
            jc_ws(c);
            if (c->p >= c->end || *c->p++ != ':')
                return false;
            jc_ws(c);
        }
        if (!jc_value(c))
            return false;
        jc_ws(c);
        if (c->p >= c->end)
            return false;
        uint8_t b = *c->p++;
        if (b == close) {
            c->depth--;
            return true;
        }
        if (b != ',')
            return false;
    }
}

static bool jc_value(struct jc *c)
{
    if (c->p >= c->end)
        return false;
    switch (*c->p) {
    case '{': return jc_container(c, '}', true);
    case '[': return jc_container(c, ']', false);
    case '"': return jc_string(c);
    case 't': return jc_word(c, "true");
    case 'f': return jc_word(c, "false");
    case 'n': return jc_word(c, "null");
    default: return jc_number(c);
    }
}

/* True when text[0..len) is exactly one JSON value (with object, one
 * object); *bad_offset says where it went wrong otherwise.  on_string, if
 * set, sees every string as in struct jc. */
static inline bool json_check(const char *text, size_t len, bool object, size_t *bad_offset,
                              bool (*on_string)(void *, const uint8_t *, size_t), void *ctx)
{
    struct jc c = { .p = (const uint8_t *)text, .end = (const uint8_t *)text + len,
                    .on_string = on_string, .ctx = ctx };
    jc_ws(&c);
    bool ok = c.p < c.end && (!object || *c.p == '{') && jc_value(&c);
    jc_ws(&c);
    ok = ok && c.p == c.end;
    *bad_offset = (size_t)(c.p - (const uint8_t *)text);
    return ok;
}

static inline bool json_check_object(const char *text, size_t len, size_t *bad_offset)
{
    return json_check(text, len, true, bad_offset, NULL, NULL);
}

#endif
