/* isdataat: is there data at an offset of the buffer (or at an offset from
 * the end of the previous match, with relative)?  "!" asks the opposite;
 * the offset may be a byte variable.  rawbytes is accepted and ignored, as
 * in Suricata (there is no normalised payload to tell apart). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "detect/keywords.h"

#define ISDATAAT_MAX 65535

static int isdataat_in(struct rule_parser *rp, const char *v);

int kw_isdataat(struct rule_parser *rp, const char *v)
{
    return byte_setup_in_buffer(rp, v, isdataat_in);
}

static int isdataat_in(struct rule_parser *rp, const char *v)
{
    char text[256];
    if (copy_value(rp, v, text, sizeof text) < 0)
        return -1;
    struct isdataat id = { .negated = rp->value_negated };
    char *p = text;
    if (*p == '!') {
        id.negated = true;
        p++;
        while (isspace((unsigned char)*p))
            p++;
    }
    char *opt = strchr(p, ',');
    if (opt)
        *opt++ = '\0';
    size_t n = strlen(p);
    while (n && isspace((unsigned char)p[n - 1]))
        p[--n] = '\0';
    if (!*p) {
        rule_err(rp, "isdataat needs an offset");
        return -1;
    }
    if (byte_value_parse(rp, "offset", p, 0, ISDATAAT_MAX, &id.at) < 0)
        return -1;
    while (opt) {
        char *next = strchr(opt, ',');
        if (next)
            *next++ = '\0';
        while (isspace((unsigned char)*opt))
            opt++;
        n = strlen(opt);
        while (n && isspace((unsigned char)opt[n - 1]))
            opt[--n] = '\0';
        if (strcmp(opt, "relative") == 0) {
            id.relative = true;
        } else if (strcmp(opt, "rawbytes") != 0) {
            rule_err(rp, "isdataat: unknown option '%s' (relative, rawbytes)", opt);
            return -1;
        }
        opt = next;
    }
    struct payload_mark mark;
    payload_mark_save(rp, &mark);
    struct inspect *in = rule_add_inspect(rp, INSPECT_ISDATAAT);
    if (!in)
        return -1;
    in->u.isdataat = id;
    payload_mark_restore(rp, &mark);
    if (!detect_buffer_is_packet(rp->buffer))
        rp->rule->app_layer = true;
    return 0;
}
