/* Fuzz target: the EVE JSON writer.  The input is a little program (open
 * object/array, close, string, numbers, bool) run against json_writer; the
 * output must parse with the strict RFC 8259 checker of json_check.h, and every string
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
#include "json_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_INITIALIZE_QUIET

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

/* The output is checked by json_check.h (strict RFC 8259, written apart
 * from the writer); each string it finds comes here to be decoded two ways
 * and compared with what was written, in order. */

static bool utf8_valid(const uint8_t *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t n = jc_utf8_len(s + i, len - i);
        if (!n)
            return false;
        i += n;
    }
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

/* Four hex digits the checker has already validated. */
static uint32_t hex4(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 4 | (uint32_t)(p[i] <= '9' ? p[i] - '0' : (p[i] | 0x20) - 'a' + 10);
    return v;
}

struct strings_seen {
    size_t n;
};

/* Decodes one valid string body two ways: std (standard JSON: code points
 * as UTF-8) and raw (the writer's convention: \u0080..\u00ff is the byte
 * itself), and compares both with the string written.  One exception, by
 * design: \u0080..\u009f is also how the writer escapes a C1 control
 * character (valid UTF-8 C2 80..C2 9F: a terminal acts on it), so in raw
 * form it stands for C2 xx where the original has the character there. */
static bool check_string(void *ctx, const uint8_t *s, size_t len)
{
    struct strings_seen *seen = ctx;
    static uint8_t std[MAX_STR * 6], raw[MAX_STR * 6];
    size_t nstd = 0, nraw = 0;
    CHECK(seen->n < want.nstr, "more strings in the output (%zu) than written", seen->n + 1);
    const uint8_t *orig = want.str[seen->n];
    size_t olen = want.len[seen->n];
    static const char simple_in[] = "\"\\/bfnrt";
    static const char simple_out[] = "\"\\/\b\f\n\r\t";
    for (size_t i = 0; i < len;) {
        if (nstd + 8 > sizeof std || nraw + 8 > sizeof raw)
            return false;
        if (s[i] != '\\') {
            size_t n = jc_utf8_len(s + i, len - i);
            memcpy(std + nstd, s + i, n);
            memcpy(raw + nraw, s + i, n);
            nstd += n;
            nraw += n;
            i += n;
            continue;
        }
        uint8_t e = s[i + 1];
        if (e != 'u') {
            char out = simple_out[strchr(simple_in, e) - simple_in];
            std[nstd++] = raw[nraw++] = (uint8_t)out;
            i += 2;
            continue;
        }
        uint32_t cp = hex4(s + i + 2);
        i += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4(s + i + 2) - 0xDC00);
            i += 6;
        }
        nstd += put_utf8(std + nstd, cp);
        if (cp >= 0x80 && cp <= 0x9F && nraw + 1 < olen && orig[nraw] == 0xC2 && orig[nraw + 1] == cp)
            nraw += put_utf8(raw + nraw, cp);           /* the C1 character */
        else if (cp >= 0x80 && cp <= 0xFF)
            raw[nraw++] = (uint8_t)cp;
        else
            nraw += put_utf8(raw + nraw, cp);
    }
    CHECK(nraw == olen && memcmp(raw, orig, olen) == 0,
          "string %zu does not round-trip byte for byte", seen->n);
    if (utf8_valid(orig, olen))
        CHECK(nstd == olen && memcmp(std, orig, olen) == 0,
              "valid UTF-8 string %zu does not decode to itself", seen->n);
    seen->n++;
    return true;
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
    struct strings_seen seen = { 0 };
    size_t bad;
    bool ok = json_check(w->buf, w->len, false, &bad, check_string, &seen);
    CHECK(ok, "output is not JSON at offset %zu: %.200s", bad, w->buf);
    CHECK(seen.n == want.nstr, "%zu strings written, %zu parsed", want.nstr, seen.n);
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
