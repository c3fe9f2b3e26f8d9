/* Meta keywords: msg, sid, rev, gid, classtype, priority, metadata,
 * reference, target and noalert.  They describe the rule and shape its
 * alert; none of them looks at traffic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "event/json.h"

static int parse_u32(struct rule_parser *rp, const char *v, uint32_t min, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (errno || end == v || *end || v[0] == '-' || n < min || n > UINT32_MAX) {
        rule_err(rp, "invalid %s '%s'", rp->keyword, v);
        return -1;
    }
    *out = (uint32_t)n;
    return 0;
}

/* msg text: \" \\ \; \: and \| stand for the character itself. */
int kw_msg(struct rule_parser *rp, const char *v)
{
    char *m = malloc(strlen(v) + 1);
    if (!m) {
        rule_err(rp, "out of memory");
        return -1;
    }
    size_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p == '\\' && p[1] && strchr("\";\\:|", p[1]))
            p++;
        m[n++] = *p;
    }
    m[n] = '\0';
    free(rp->rule->msg);
    rp->rule->msg = m;
    return 0;
}

int kw_sid(struct rule_parser *rp, const char *v)
{
    return parse_u32(rp, v, 1, &rp->rule->info.sid);
}

int kw_rev(struct rule_parser *rp, const char *v)
{
    return parse_u32(rp, v, 0, &rp->rule->info.rev);
}

int kw_gid(struct rule_parser *rp, const char *v)
{
    return parse_u32(rp, v, 1, &rp->rule->info.gid);
}

int kw_classtype(struct rule_parser *rp, const char *v)
{
    const char *desc;
    int prio;
    if (!classification_find(detect_classification(rp->de), v, &desc, &prio)) {
        rule_err(rp, "unknown classtype '%s'", v);
        return -1;
    }
    free(rp->rule->classtype);
    rp->rule->classtype = strdup(v);
    if (!rp->rule->classtype) {
        rule_err(rp, "out of memory");
        return -1;
    }
    return 0;
}

int kw_priority(struct rule_parser *rp, const char *v)
{
    uint32_t p;
    if (parse_u32(rp, v, 1, &p) < 0)
        return -1;
    if (p > 255) {
        rule_err(rp, "invalid priority '%s'", v);
        return -1;
    }
    rp->rule->info.severity = (int)p;
    rp->rule->priority_set = true;
    return 0;
}

/* "key value, key value" -> {"key":["value",...],...}, keys in first-seen
 * order, merged with metadata given earlier in the same rule. */
struct meta_pair {
    char key[64];
    char val[256];
};

static int metadata_render(struct rule_parser *rp, const struct meta_pair *pairs, size_t n)
{
    struct json_writer w;
    json_init(&w);
    json_object_begin(&w, NULL);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcmp(pairs[j].key, pairs[i].key) == 0;
        if (seen)
            continue;
        json_array_begin(&w, pairs[i].key);
        for (size_t j = i; j < n; j++)
            if (strcmp(pairs[j].key, pairs[i].key) == 0)
                json_string(&w, NULL, pairs[j].val);
        json_array_end(&w);
    }
    json_object_end(&w);
    if (!json_ok(&w)) {
        json_free(&w);
        rule_err(rp, "out of memory");
        return -1;
    }
    char *s = malloc(w.len + 1);
    if (!s) {
        json_free(&w);
        rule_err(rp, "out of memory");
        return -1;
    }
    memcpy(s, w.buf, w.len);
    s[w.len] = '\0';
    json_free(&w);
    free(rp->rule->metadata_json);
    rp->rule->metadata_json = s;
    return 0;
}

#define META_MAX 32

static size_t metadata_split(const char *v, struct meta_pair *pairs, size_t n, size_t max,
                             struct rule_parser *rp, int *bad)
{
    const char *p = v;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        size_t len = strcspn(p, ",");
        const char *sp = memchr(p, ' ', len);
        if (!sp) {
            rule_err(rp, "metadata entry '%.*s' is not 'key value'", (int)len, p);
            *bad = 1;
            return n;
        }
        if (n == max) {
            rule_err(rp, "too many metadata entries");
            *bad = 1;
            return n;
        }
        const char *val = sp;
        while (*val == ' ')
            val++;
        size_t klen = (size_t)(sp - p), vlen = len - (size_t)(val - p);
        while (vlen && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
            vlen--;
        snprintf(pairs[n].key, sizeof pairs[n].key, "%.*s", (int)klen, p);
        snprintf(pairs[n].val, sizeof pairs[n].val, "%.*s", (int)vlen, val);
        n++;
        p += len;
    }
    return n;
}

int kw_metadata(struct rule_parser *rp, const char *v)
{
    /* Several metadata options accumulate: keep the raw text, render it all. */
    struct rule *r = rp->rule;
    size_t old = r->metadata_raw ? strlen(r->metadata_raw) : 0;
    char *raw = realloc(r->metadata_raw, old + strlen(v) + 3);
    struct meta_pair *pairs = calloc(META_MAX, sizeof *pairs);
    if (!raw || !pairs) {
        if (raw)
            r->metadata_raw = raw;
        free(pairs);
        rule_err(rp, "out of memory");
        return -1;
    }
    if (old)
        strcat(raw, ", ");
    else
        raw[0] = '\0';
    strcat(raw, v);
    r->metadata_raw = raw;
    int bad = 0;
    size_t n = metadata_split(raw, pairs, 0, META_MAX, rp, &bad);
    int rc = bad ? -1 : metadata_render(rp, pairs, n);
    free(pairs);
    return rc;
}

/* reference:type,id -- kept for humans reading the rule, not in alerts. */
int kw_reference(struct rule_parser *rp, const char *v)
{
    if (!strchr(v, ',')) {
        rule_err(rp, "reference must be 'type,id'");
        return -1;
    }
    return 0;
}

int kw_target(struct rule_parser *rp, const char *v)
{
    if (strcmp(v, "src_ip") != 0 && strcmp(v, "dest_ip") != 0) {
        rule_err(rp, "target must be src_ip or dest_ip");
        return -1;
    }
    return 0;
}

int kw_noalert(struct rule_parser *rp, const char *v)
{
    (void)v;
    rp->rule->noalert = true;
    return 0;
}
