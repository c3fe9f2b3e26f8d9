/* Fuzz target: the EVE JSON writer.  The input is a little program (open
 * object/array, close, string, numbers, bool) run against json_writer; the
 * output must parse with the strict RFC 8259 parser below, and every string
 * must come back: byte for byte through the writer's own escape convention
 * (\u00XX for a byte that is not UTF-8), and through standard JSON decoding
 * whenever the original was valid UTF-8.  Any mismatch aborts.
 * fuzz-needs: json_escape json_string_len */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/json.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    return 0;
}

#define MAX_STRINGS 512
#define MAX_STR     300

/* ---- what the program wrote, in document order ---- */

struct expected {
    size_t nstr;
    uint8_t str[MAX_STRINGS][MAX_STR];
    size_t len[MAX_STRINGS];
};

static struct expected want;

#define CHECK FUZZ_CHECK

/* Independent UTF-8 validation (RFC 3629): length of the sequence at s, 0 if
 * it is not a valid one. */
static size_t utf8_len(const uint8_t *s, size_t avail)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c == 0xE0) {
        n = 3;
        lo = 0xA0;
    } else if (c == 0xED) {
        n = 3;
        hi = 0x9F;
    } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF)
        n = 3;
    else if (c == 0xF0) {
        n = 4;
        lo = 0x90;
    } else if (c >= 0xF1 && c <= 0xF3)
        n = 4;
    else if (c == 0xF4) {
        n = 4;
        hi = 0x8F;
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    return n;
}

static bool utf8_valid(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = utf8_len(s + i, len - i);
        if (!n)
            return false;
        i += n;
    }
    return true;
}

/* ---- a strict JSON parser that checks the strings as it goes ---- */

struct parser {
    const uint8_t *p, *end;
    size_t nstr;             /* strings seen so far */
    int depth;
};

static void ws(struct parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool read_u4(struct parser *ps, uint32_t *out)
{
    if (ps->end - ps->p < 4)
        return false;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(ps->p[i]);
        if (h < 0)
            return false;
        v = (v << 4) | (uint32_t)h;
    }
    ps->p += 4;
    *out = v;
    return true;
}

static size_t put_utf8(uint8_t *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (cp >> 18));
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes one string two ways: std (standard JSON: code points as UTF-8) and
 * raw (the writer's convention: \u0080..\u00ff is the byte itself). */
static bool parse_string(struct parser *ps)
{
    static uint8_t std[MAX_STR * 6], raw[MAX_STR * 6];
    size_t nstd = 0, nraw = 0;
    if (ps->p >= ps->end || *ps->p != '"')
        return false;
    ps->p++;
    for (;;) {
        if (ps->p >= ps->end)
            return false;
        uint8_t c = *ps->p;
        if (c == '"') {
            ps->p++;
            break;
        }
        if (c < 0x20)
            return false;                     /* raw control character */
        if (nstd + 8 > sizeof std || nraw + 8 > sizeof raw)
            return false;
        if (c != '\\') {
            size_t n = utf8_len(ps->p, (size_t)(ps->end - ps->p));
            if (!n)
                return false;                 /* raw bytes must be UTF-8 */
            memcpy(std + nstd, ps->p, n);
            memcpy(raw + nraw, ps->p, n);
            nstd += n;
            nraw += n;
            ps->p += n;
            continue;
        }
        ps->p++;
        if (ps->p >= ps->end)
            return false;
        uint8_t e = *ps->p++;
        static const char simple_in[] = "\"\\/bfnrt";
        static const char simple_out[] = "\"\\/\b\f\n\r\t";
        const char *hit = e ? strchr(simple_in, e) : NULL;
        if (hit) {
            std[nstd++] = (uint8_t)simple_out[hit - simple_in];
            raw[nraw++] = (uint8_t)simple_out[hit - simple_in];
            continue;
        }
        if (e != 'u')
            return false;
        uint32_t cp;
        if (!read_u4(ps, &cp))
            return false;
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return false;                     /* lone low surrogate */
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo;
            if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
                return false;
            ps->p += 2;
            if (!read_u4(ps, &lo) || lo < 0xDC00 || lo > 0xDFFF)
                return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
        nstd += put_utf8(std + nstd, cp);
        if (cp >= 0x80 && cp <= 0xFF)
            raw[nraw++] = (uint8_t)cp;
        else
            nraw += put_utf8(raw + nraw, cp);
    }
    /* Compare with what was written. */
    CHECK(ps->nstr < want.nstr, "more strings in the output (%zu) than written", ps->nstr + 1);
    const uint8_t *orig = want.str[ps->nstr];
    size_t olen = want.len[ps->nstr];
    CHECK(nraw == olen && memcmp(raw, orig, olen) == 0,
          "string %zu does not round-trip byte for byte", ps->nstr);
    if (utf8_valid(orig, olen))
        CHECK(nstd == olen && memcmp(std, orig, olen) == 0,
              "valid UTF-8 string %zu does not decode to itself", ps->nstr);
    ps->nstr++;
    return true;
}

static bool parse_number(struct parser *ps)
{
    const uint8_t *p = ps->p, *end = ps->end;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return false;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return false;
    if (p < end && *p == '.') {
        p++;
        if (p >= end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return false;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    ps->p = p;
    return true;
}

static bool literal(struct parser *ps, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n) != 0)
        return false;
    ps->p += n;
    return true;
}

static bool parse_value(struct parser *ps);

static bool parse_container(struct parser *ps, uint8_t close, bool is_object)
{
    if (++ps->depth > 64)
        return false;
    ps->p++;
    ws(ps);
    if (ps->p < ps->end && *ps->p == close) {
        ps->p++;
        ps->depth--;
        return true;
    }
    for (;;) {
        ws(ps);
        if (is_object) {
            if (!parse_string(ps))
                return false;
            ws(ps);
            if (ps->p >= ps->end || *ps->p != ':')
                return false;
            ps->p++;
            ws(ps);
        }
        if (!parse_value(ps))
            return false;
        ws(ps);
        if (ps->p >= ps->end)
            return false;
        if (*ps->p == ',') {
            ps->p++;
            continue;
        }
        if (*ps->p != close)
            return false;
        ps->p++;
        ps->depth--;
        return true;
    }
}

static bool parse_value(struct parser *ps)
{
    if (ps->p >= ps->end)
        return false;
    switch (*ps->p) {
    case '{':
        return parse_container(ps, '}', true);
    case '[':
        return parse_container(ps, ']', false);
    case '"':
        return parse_string(ps);
    case 't':
        return literal(ps, "true");
    case 'f':
        return literal(ps, "false");
    case 'n':
        return literal(ps, "null");
    default:
        return parse_number(ps);
    }
}

/* ---- the program ---- */

struct input {
    const uint8_t *p;
    size_t left;
};

static uint8_t take_byte(struct input *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

static uint64_t take_u64(struct input *in)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | take_byte(in);
    return v;
}

/* Takes a length byte and that many bytes (fewer at the end of input). */
static size_t take_bytes(struct input *in, uint8_t *out, size_t max)
{
    size_t n = take_byte(in);
    if (n > max)
        n = max;
    if (n > in->left)
        n = in->left;
    memcpy(out, in->p, n);
    in->p += n;
    in->left -= n;
    return n;
}

static bool remember(const uint8_t *s, size_t len)
{
    if (want.nstr >= MAX_STRINGS)
        return false;
    memcpy(want.str[want.nstr], s, len);
    want.len[want.nstr++] = len;
    return true;
}

/* Reads a key for a value inside an object; NULL inside arrays.  Keys are C
 * strings, so they end at the first NUL. */
static const char *take_key(struct input *in, bool in_object, char *buf)
{
    if (!in_object)
        return NULL;
    size_t n = take_bytes(in, (uint8_t *)buf, MAX_STR - 1);
    buf[n] = '\0';
    remember((const uint8_t *)buf, strlen(buf));
    return buf;
}

static void check_output(const struct json_writer *w)
{
    CHECK(w->buf != NULL, "no output");
    CHECK(strlen(w->buf) == w->len, "NUL byte inside the output");
    struct parser ps = { .p = (const uint8_t *)w->buf, .end = (const uint8_t *)w->buf + w->len };
    ws(&ps);
    bool ok = parse_value(&ps);
    ws(&ps);
    CHECK(ok && ps.p == ps.end, "output is not JSON at offset %td: %.200s",
          (const char *)ps.p - w->buf, w->buf);
    CHECK(ps.nstr == want.nstr, "%zu strings written, %zu parsed", want.nstr, ps.nstr);
}

static void run_program(struct json_writer *w, const uint8_t *data, size_t size)
{
    struct input in = { data, size };
    bool is_object[64] = { true };
    int depth = 1;               /* the model's depth; the root object is open */
    bool overflow = false;       /* the writer should have failed */
    char key[MAX_STR];
    uint8_t value[MAX_STR];
    want.nstr = 0;
    json_object_begin(w, NULL);
    while (in.left && want.nstr < MAX_STRINGS - 2) {
        uint8_t op = take_byte(&in);
        bool obj = is_object[depth - 1];
        switch (op % 9) {
        case 0:
        case 1:
            if (depth >= 63)
                break;
            if (op % 9 == 0)
                json_object_begin(w, take_key(&in, obj, key));
            else
                json_array_begin(w, take_key(&in, obj, key));
            is_object[depth++] = op % 9 == 0;
            if (depth >= JSON_MAX_DEPTH)
                overflow = true;
            break;
        case 2:
            if (depth <= 1)
                break;
            if (is_object[--depth])
                json_object_end(w);
            else
                json_array_end(w);
            break;
        case 3: {
            const char *k = take_key(&in, obj, key);
            size_t n = take_bytes(&in, value, sizeof value);
            remember(value, n);
            json_string_len(w, k, (const char *)value, n);
            break;
        }
        case 4: {
            /* NUL-terminated form. */
            const char *k = take_key(&in, obj, key);
            size_t n = take_bytes(&in, value, sizeof value - 1);
            value[n] = '\0';
            remember(value, strlen((char *)value));
            json_string(w, k, (const char *)value);
            break;
        }
        case 5: {
            const char *k = take_key(&in, obj, key);
            json_uint(w, k, take_u64(&in));
            break;
        }
        case 6: {
            const char *k = take_key(&in, obj, key);
            json_int(w, k, (int64_t)take_u64(&in));
            break;
        }
        case 7: {
            const char *k = take_key(&in, obj, key);
            uint64_t bits = take_u64(&in);
            double d;
            memcpy(&d, &bits, sizeof d);
            json_double(w, k, d);
            break;
        }
        default: {
            const char *k = take_key(&in, obj, key);
            json_bool(w, k, take_byte(&in) & 1);
            break;
        }
        }
    }
    while (depth > 0) {
        if (is_object[--depth])
            json_object_end(w);
        else
            json_array_end(w);
    }
    if (overflow) {
        CHECK(!json_ok(w), "nesting beyond JSON_MAX_DEPTH was accepted");
        return;
    }
    CHECK(json_ok(w), "writer failed on a well-formed program");
    check_output(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct json_writer w;
    json_init(&w);
    run_program(&w, data, size);
    /* Again on the same buffer after a reset, as the event writer reuses it. */
    json_reset(&w);
    run_program(&w, data, size);
    json_free(&w);

    /* json_escape on the whole input, as a bare string body. */
    json_init(&w);
    json_string_len(&w, NULL, (const char *)data, size);
    CHECK(w.buf != NULL && strlen(w.buf) == w.len, "escape output has a NUL");
    json_free(&w);
    return 0;
}
