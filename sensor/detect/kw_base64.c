/* base64_decode and base64_data: decode base64 text found in the buffer
 * (from an offset, or relative to the previous match, for at most `bytes`
 * bytes) and inspect the decoded bytes with the keywords written after
 * base64_data, which work on them like on a buffer of their own. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "util/text.h"

#define B64_OPT_MAX 65535

/* "bytes N" or "offset N": the number after the word, or NULL. */
static const char *number_after(const char *opt, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(opt, word, n) != 0 || !isspace((unsigned char)opt[n]))
        return NULL;
    opt += n;
    while (isspace((unsigned char)*opt))
        opt++;
    return opt;
}

static int parse_opt(struct rule_parser *rp, const char *opt, struct base64_decode *d)
{
    if (strcmp(opt, "relative") == 0) {
        d->relative = true;
        return 0;
    }
    const char *num = number_after(opt, "bytes");
    const char *name = "bytes";
    if (!num) {
        num = number_after(opt, "offset");
        name = "offset";
    }
    if (!num) {
        rule_err(rp, "base64_decode: unknown option '%s' (bytes N, offset N, relative)", opt);
        return -1;
    }
    long min = name[0] == 'b' ? 1 : 0;
    char *end;
    errno = 0;
    long n = strtol(num, &end, 10);
    if (errno || end == num || *end || n < min || n > B64_OPT_MAX) {
        rule_err(rp, "base64_decode: %s must be %ld to %d", name, min, B64_OPT_MAX);
        return -1;
    }
    if (name[0] == 'b')
        d->bytes = (uint32_t)n;
    else
        d->offset = (int32_t)n;
    return 0;
}

static int base64_decode_in(struct rule_parser *rp, const char *v);

int kw_base64_decode(struct rule_parser *rp, const char *v)
{
    int saved = byte_enter_buffer(rp, v);
    int rc = base64_decode_in(rp, v);
    rp->b64_legacy = rc == 0 && saved != rp->buffer;
    rp->buffer = saved;
    return rc;
}

static int base64_decode_in(struct rule_parser *rp, const char *v)
{
    if (rp->b64) {
        rule_err(rp, "only one base64_decode per rule");
        return -1;
    }
    struct base64_decode d = { 0 };
    if (v && *v) {
        char text[256];
        if (copy_value(rp, v, text, sizeof text) < 0)
            return -1;
        for (char *opt = text; opt;) {
            char *next = strchr(opt, ',');
            if (next)
                *next++ = '\0';
            while (isspace((unsigned char)*opt))
                opt++;
            size_t n = strlen(opt);
            while (n && isspace((unsigned char)opt[n - 1]))
                opt[--n] = '\0';
            if (parse_opt(rp, opt, &d) < 0)
                return -1;
            opt = next;
        }
    }
    struct base64_decode *b = malloc(sizeof *b);
    struct inspect_list *data = calloc(1, sizeof *data);
    if (!b || !data) {
        free(b);
        free(data);
        rule_err(rp, "out of memory");
        return -1;
    }
    *b = d;
    b->data = data;
    struct payload_mark mark;
    payload_mark_save(rp, &mark);
    struct inspect *in = rule_add_inspect(rp, INSPECT_BASE64_DECODE);
    if (!in) {
        free(b);
        free(data);
        return -1;
    }
    in->u.b64 = b;
    rp->b64 = b;
    rp->b64_buffer = rp->buffer;
    payload_mark_restore(rp, &mark);
    if (!detect_buffer_is_packet(rp->buffer))
        rp->rule->app_layer = true;
    return 0;
}

int kw_base64_data(struct rule_parser *rp, const char *v)
{
    (void)v;
    bool same = rp->b64 && (rp->b64_buffer == rp->buffer ||
                            (rp->b64_legacy && rp->buffer == BUF_PAYLOAD));
    if (!same) {
        rule_err(rp, "base64_data needs a base64_decode before it in the same buffer");
        return -1;
    }
    rp->buffer = rp->b64_buffer;    /* its variables and app-layer nature */
    rp->b64_list = rp->b64->data;
    rp->last_payload = NULL;
    return 0;
}

uint32_t base64_decode_bytes(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t cap)
{
    uint32_t n = 0, bits = 0, nbits = 0;
    for (uint32_t i = 0; i < len; i++) {
        int v = text_base64_digit(in[i]);
        if (v < 0)
            break;      /* padding or a byte outside the alphabet ends the data */
        bits = (bits << 6 | (uint32_t)v) & 0xffffff;
        nbits += 6;
        if (nbits >= 8) {
            nbits -= 8;
            if (n == cap)
                return n;
            out[n++] = (uint8_t)(bits >> nbits);
        }
    }
    return n;
}
