/* content and its modifiers (nocase, depth, offset, distance, within,
 * startswith, endswith, fast_pattern, rawbytes), plus bsize.  Contents accept |hex|
 * blocks and the escapes \" \; \: \\ \|; "!" before the quotes negates. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "detect/keywords.h"
#include "util/text.h"

#define CONTENT_MAX 65535

int content_decode(const char *value, uint8_t **out, uint32_t *outlen, char *err, size_t errlen)
{
    size_t vlen = strlen(value);
    uint8_t *buf = malloc(vlen + 1);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    size_t n = 0;
    bool hex = false;
    int pending = -1;           /* first nibble of a hex byte */
    for (size_t i = 0; i < vlen; i++) {
        unsigned char c = (unsigned char)value[i];
        if (c == '|') {
            if (hex && pending >= 0) {
                snprintf(err, errlen, "incomplete hex byte in content");
                goto fail;
            }
            hex = !hex;
            continue;
        }
        if (hex) {
            if (c == ' ' || c == '\t') {
                if (pending >= 0) {
                    snprintf(err, errlen, "incomplete hex byte in content");
                    goto fail;
                }
                continue;
            }
            int d = text_hex_digit(c);
            if (d < 0) {
                snprintf(err, errlen, "invalid hex character '%c' in content", c);
                goto fail;
            }
            if (pending < 0) {
                pending = d;
            } else {
                buf[n++] = (uint8_t)(pending << 4 | d);
                pending = -1;
            }
            continue;
        }
        if (c == '\\') {
            unsigned char e = (unsigned char)value[i + 1];
            if (!e || !strchr("\";:\\|", e)) {
                snprintf(err, errlen, "invalid escape '\\%c' in content", e ? e : ' ');
                goto fail;
            }
            buf[n++] = e;
            i++;
            continue;
        }
        if (c == '"' || c == ';') {
            snprintf(err, errlen, "unescaped '%c' in content", c);
            goto fail;
        }
        buf[n++] = c;
    }
    if (hex) {
        snprintf(err, errlen, "unterminated hex block in content (missing '|')");
        goto fail;
    }
    if (n == 0) {
        snprintf(err, errlen, "empty content");
        goto fail;
    }
    if (n > CONTENT_MAX) {
        snprintf(err, errlen, "content longer than %d bytes", CONTENT_MAX);
        goto fail;
    }
    *out = buf;
    *outlen = (uint32_t)n;
    return 0;
fail:
    free(buf);
    return -1;
}

int kw_content(struct rule_parser *rp, const char *v)
{
    bool negated = rp->value_negated;
    if (!negated && v[0] == '!') {
        negated = true;
        v++;
        while (*v == ' ')
            v++;
        if (*v == '"') {
            rule_err(rp, "unbalanced quotes in option 'content'");
            return -1;
        }
    }
    uint8_t *pat;
    uint32_t len;
    char msg[200];
    if (content_decode(v, &pat, &len, msg, sizeof msg) < 0) {
        rule_err(rp, "%s", msg);
        return -1;
    }
    struct inspect *in = rule_add_inspect(rp, INSPECT_CONTENT);
    if (!in) {
        free(pat);
        return -1;
    }
    in->u.content.pat = pat;
    in->u.content.len = len;
    in->u.content.flags = negated ? CF_NEGATED : 0;
    if (!detect_buffer_is_packet(rp->buffer))
        rp->rule->app_layer = true;
    return 0;
}

/* The content a modifier applies to, or NULL after an error message. */
static struct content *last_content(struct rule_parser *rp)
{
    if (!rp->last_payload || rp->last_payload->kind != INSPECT_CONTENT) {
        rule_err(rp, "'%s' needs a preceding content", rp->keyword);
        return NULL;
    }
    return &rp->last_payload->u.content;
}

static int parse_int(struct rule_parser *rp, const char *v, int32_t min, int32_t *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < min || n > CONTENT_MAX * 16) {
        rule_err(rp, "invalid %s '%s'", rp->keyword, v);
        return -1;
    }
    *out = (int32_t)n;
    return 0;
}

/* A modifier's value: a number, or a byte variable's name (distance:len),
 * whose value is read when the rule is evaluated; *var is then 1 + its index. */
static int parse_pos(struct rule_parser *rp, const char *v, int32_t min, int32_t *out,
                     uint8_t *var)
{
    *var = 0;
    if (isalpha((unsigned char)v[0]) || v[0] == '_') {
        int idx = byte_var_find(rp, v);
        if (idx < 0)
            return -1;
        *var = (uint8_t)(idx + 1);
        *out = 0;
        return 0;
    }
    return parse_int(rp, v, min, out);
}

static int check_mix(struct rule_parser *rp, const struct content *c, bool relative)
{
    uint32_t other = relative ? (CF_OFFSET | CF_DEPTH | CF_STARTSWITH)
                              : (CF_DISTANCE | CF_WITHIN);
    if (c->flags & other) {
        rule_err(rp, "'%s' cannot be mixed with %s modifiers on one content", rp->keyword,
                 relative ? "absolute (offset, depth, startswith)" : "relative (distance, within)");
        return -1;
    }
    return 0;
}

int kw_nocase(struct rule_parser *rp, const char *v)
{
    (void)v;
    struct content *c = last_content(rp);
    if (!c)
        return -1;
    c->flags |= CF_NOCASE;
    return 0;
}

int kw_depth(struct rule_parser *rp, const char *v)
{
    struct content *c = last_content(rp);
    if (!c || check_mix(rp, c, false) < 0 || parse_pos(rp, v, 1, &c->depth, &c->var_depth) < 0)
        return -1;
    if (!c->var_depth && (uint32_t)c->depth < c->len) {
        rule_err(rp, "depth %d is smaller than the content length %u", c->depth, c->len);
        return -1;
    }
    c->flags |= CF_DEPTH;
    return 0;
}

int kw_offset(struct rule_parser *rp, const char *v)
{
    struct content *c = last_content(rp);
    if (!c || check_mix(rp, c, false) < 0 || parse_pos(rp, v, 0, &c->offset, &c->var_offset) < 0)
        return -1;
    c->flags |= CF_OFFSET;
    return 0;
}

int kw_distance(struct rule_parser *rp, const char *v)
{
    struct content *c = last_content(rp);
    if (!c || check_mix(rp, c, true) < 0 ||
        parse_pos(rp, v, -CONTENT_MAX, &c->distance, &c->var_distance) < 0)
        return -1;
    c->flags |= CF_DISTANCE;
    return 0;
}

int kw_within(struct rule_parser *rp, const char *v)
{
    struct content *c = last_content(rp);
    if (!c || check_mix(rp, c, true) < 0 || parse_pos(rp, v, 1, &c->within, &c->var_within) < 0)
        return -1;
    if (!c->var_within && (uint32_t)c->within < c->len) {
        rule_err(rp, "within %d is smaller than the content length %u", c->within, c->len);
        return -1;
    }
    c->flags |= CF_WITHIN;
    return 0;
}

int kw_startswith(struct rule_parser *rp, const char *v)
{
    (void)v;
    struct content *c = last_content(rp);
    if (!c || check_mix(rp, c, false) < 0)
        return -1;
    if (c->flags & (CF_OFFSET | CF_DEPTH)) {
        rule_err(rp, "startswith cannot be combined with offset or depth");
        return -1;
    }
    c->flags |= CF_STARTSWITH | CF_DEPTH;
    c->depth = (int32_t)c->len;
    return 0;
}

/* rawbytes: Snort's "not the telnet-normalised payload"; xiezhi, like
 * Suricata, inspects raw bytes anyway, so it only checks its place. */
int kw_rawbytes(struct rule_parser *rp, const char *v)
{
    (void)v;
    struct content *c = last_content(rp);
    if (!c)
        return -1;
    if (rp->last_payload_buffer != BUF_PAYLOAD || rp->b64_list) {
        rule_err(rp, "rawbytes only applies to a content of the packet payload");
        return -1;
    }
    return 0;
}

int kw_endswith(struct rule_parser *rp, const char *v)
{
    (void)v;
    struct content *c = last_content(rp);
    if (!c)
        return -1;
    c->flags |= CF_ENDSWITH;
    return 0;
}

/* fast_pattern, fast_pattern:only and fast_pattern:offset,length (the
 * pattern is then still matched whole). */
int kw_fast_pattern(struct rule_parser *rp, const char *v)
{
    struct content *c = last_content(rp);
    if (!c)
        return -1;
    if (v && strcmp(v, "only") != 0) {
        char *end;
        errno = 0;
        unsigned long a = strtoul(v, &end, 10);
        unsigned long b = *end == ',' ? strtoul(end + 1, &end, 10) : ULONG_MAX;
        if (errno || *end || !isdigit((unsigned char)v[0]) || a > c->len || b > c->len - a) {
            rule_err(rp, "invalid fast_pattern '%s'", v);
            return -1;
        }
    }
    if (c->flags & CF_NEGATED) {
        rule_err(rp, "fast_pattern cannot be set on a negated content");
        return -1;
    }
    c->flags |= CF_FAST_PATTERN;
    return 0;
}

int kw_bsize(struct rule_parser *rp, const char *v)
{
    struct num_cmp cmp;
    if (num_cmp_parse(v, UINT32_MAX, &cmp) < 0) {
        rule_err(rp, "invalid bsize '%s'", v);
        return -1;
    }
    if (rp->buffer == BUF_PAYLOAD) {
        rule_err(rp, "bsize needs a sticky buffer before it");
        return -1;
    }
    struct inspect *in = rule_add_inspect(rp, INSPECT_BSIZE);
    if (!in)
        return -1;
    in->u.bsize.op = cmp.op;
    in->u.bsize.a = (uint32_t)cmp.a;
    in->u.bsize.b = (uint32_t)cmp.b;
    rp->last_payload = NULL;
    return 0;
}
