/* Reading EVE lines back by dotted path (see eve_fields.h): a recursive
 * descent over the whole object that keeps the path of the current value
 * and copies a scalar when its path is wanted. */
#include "event/eve_fields.h"
#include "util/text.h"

#include <stdio.h>
#include <string.h>

#define JSON_MAX_NEST 64

struct jparser {
    const char *p, *end;
    char path[512];
    size_t path_len;
    int hidden;                 /* > 0: inside an array or a path too long: nothing wanted */
    int depth;
    struct eve_field *fields;
    size_t nfields;
};

static void skip_ws(struct jparser *jp)
{
    while (jp->p < jp->end && (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r'))
        jp->p++;
}

static void out_byte(char *out, size_t *n, size_t cap, char c)
{
    if (out && *n + 1 < cap)
        out[(*n)++] = c;
}

/* Parses a string at jp->p (at the quote); unescaped text into out (may be NULL). */
static int parse_string(struct jparser *jp, char *out, size_t cap)
{
    size_t n = 0;
    if (jp->p >= jp->end || *jp->p != '"')
        return -1;
    jp->p++;
    while (jp->p < jp->end) {
        unsigned char c = (unsigned char)*jp->p++;
        if (c == '"') {
            if (out)
                out[n] = '\0';
            return 0;
        }
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            out_byte(out, &n, cap, (char)c);
            continue;
        }
        if (jp->p >= jp->end)
            return -1;
        char e = *jp->p++;
        static const char simple_in[] = "\"\\/bfnrt", simple_out[] = "\"\\/\b\f\n\r\t";
        const char *k = strchr(simple_in, e);
        if (e && k) {
            out_byte(out, &n, cap, simple_out[k - simple_in]);
            continue;
        }
        if (e != 'u' || jp->end - jp->p < 4)
            return -1;
        unsigned cp = 0;
        for (int i = 0; i < 4; i++) {
            int h = text_hex_digit(jp->p[i]);
            if (h < 0)
                return -1;
            cp = cp << 4 | (unsigned)h;
        }
        jp->p += 4;
        /* non-ASCII is shown as '?': the line is for a terminal */
        out_byte(out, &n, cap, cp < 0x80 ? (char)cp : '?');
    }
    return -1;
}

static int parse_value(struct jparser *jp);

/* After a member or an element: 1 when a ',' says more follow, 0 at the
 * closing bracket, -1 at anything else. */
static int next_or_close(struct jparser *jp, char close)
{
    skip_ws(jp);
    if (jp->p >= jp->end)
        return -1;
    char c = *jp->p++;
    if (c == ',')
        return 1;
    return c == close ? 0 : -1;
}

static struct eve_field *wanted(struct jparser *jp)
{
    if (jp->hidden)
        return NULL;
    for (size_t i = 0; i < jp->nfields; i++)
        if (!jp->fields[i].found && strcmp(jp->fields[i].path, jp->path) == 0)
            return &jp->fields[i];
    return NULL;
}

static int parse_object(struct jparser *jp)
{
    jp->p++;   /* { */
    skip_ws(jp);
    if (jp->p < jp->end && *jp->p == '}') {
        jp->p++;
        return 0;
    }
    for (;;) {
        char key[128];
        skip_ws(jp);
        if (parse_string(jp, key, sizeof key) != 0)
            return -1;
        skip_ws(jp);
        if (jp->p >= jp->end || *jp->p++ != ':')
            return -1;
        size_t saved = jp->path_len;
        int w = snprintf(jp->path + saved, sizeof jp->path - saved, "%s%s", saved ? "." : "", key);
        bool fits = w >= 0 && (size_t)w < sizeof jp->path - saved;
        if (fits)
            jp->path_len += (size_t)w;
        else
            jp->hidden++;       /* longer than any field anyone asks for */
        skip_ws(jp);
        if (parse_value(jp) != 0)
            return -1;
        if (!fits)
            jp->hidden--;
        jp->path_len = saved;
        jp->path[saved] = '\0';
        int more = next_or_close(jp, '}');
        if (more <= 0)
            return more;
    }
}

static int parse_array(struct jparser *jp)
{
    jp->p++;   /* [ */
    skip_ws(jp);
    if (jp->p < jp->end && *jp->p == ']') {
        jp->p++;
        return 0;
    }
    jp->hidden++;               /* array elements have no path */
    for (;;) {
        skip_ws(jp);
        if (parse_value(jp) != 0)
            return -1;
        int more = next_or_close(jp, ']');
        if (more < 0)
            return -1;
        if (more == 0) {
            jp->hidden--;
            return 0;
        }
    }
}

static int parse_scalar(struct jparser *jp)
{
    const char *start = jp->p;
    static const char *const words[] = { "true", "false", "null" };
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(words[i]);
        if ((size_t)(jp->end - jp->p) >= n && memcmp(jp->p, words[i], n) == 0) {
            jp->p += n;
            goto found;
        }
    }
    if (jp->p < jp->end && *jp->p == '-')
        jp->p++;
    if (jp->p >= jp->end || *jp->p < '0' || *jp->p > '9')
        return -1;
    while (jp->p < jp->end && ((*jp->p >= '0' && *jp->p <= '9') || *jp->p == '.' || *jp->p == 'e' ||
                               *jp->p == 'E' || *jp->p == '+' || *jp->p == '-'))
        jp->p++;
found:;
    struct eve_field *f = wanted(jp);
    if (f) {
        size_t n = (size_t)(jp->p - start);
        if (n >= sizeof f->value)
            n = sizeof f->value - 1;
        memcpy(f->value, start, n);
        f->value[n] = '\0';
        f->found = true;
    }
    return 0;
}

static int parse_value(struct jparser *jp)
{
    if (jp->p >= jp->end)
        return -1;
    if (*jp->p == '{' || *jp->p == '[') {
        if (++jp->depth > JSON_MAX_NEST)
            return -1;
        int rc = *jp->p == '{' ? parse_object(jp) : parse_array(jp);
        jp->depth--;
        return rc;
    }
    if (*jp->p == '"') {
        struct eve_field *f = wanted(jp);
        if (parse_string(jp, f ? f->value : NULL, f ? sizeof f->value : 0) != 0)
            return -1;
        if (f)
            f->found = true;
        return 0;
    }
    return parse_scalar(jp);
}

int eve_fields_extract(const char *text, size_t len, struct eve_field *fields, size_t n)
{
    struct jparser jp = { .p = text, .end = text + len, .fields = fields, .nfields = n };
    for (size_t i = 0; i < n; i++) {
        fields[i].found = false;
        fields[i].value[0] = '\0';
    }
    skip_ws(&jp);
    if (jp.p >= jp.end || *jp.p != '{')
        return -1;
    if (parse_value(&jp) != 0)
        return -1;
    skip_ws(&jp);
    return jp.p == jp.end ? 0 : -1;
}
