/* The rule parser: splits a rule into header and options the way Suricata
 * does (quotes, backslash escapes, ';' separators), parses the header, and
 * hands each option to its keyword from the table.  Every problem becomes
 * one message that the loader prefixes with file:line. */
#include "applayer/applayer.h"
#include "detect/keywords.h"

#include <ctype.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly.h"
#include "util/array.h"
#include "util/text.h"


#define RULE_MAX_OPTIONS 256
#define OPTION_VALUE_MAX 8192

void rule_err(struct rule_parser *rp, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rp->err, sizeof rp->err, fmt, ap);
    va_end(ap);
}

int rule_add_check(struct rule_parser *rp, bool (*match)(const struct match_env *, const void *),
                   void *ctx, void (*free_ctx)(void *))
{
    struct rule *r = rp->rule;
    if (r->nchecks == r->checks_cap) {
        struct check *nc = array_grow(r->checks, &r->checks_cap, sizeof *nc, 4);
        if (!nc) {
            if (free_ctx)
                free_ctx(ctx);
            rule_err(rp, "out of memory");
            return -1;
        }
        r->checks = nc;
    }
    r->checks[r->nchecks++] = (struct check){ match, ctx, free_ctx, false, false };
    return 0;
}

int rule_add_flow_check(struct rule_parser *rp,
                        bool (*match)(const struct match_env *, const void *), void *ctx,
                        void (*free_ctx)(void *))
{
    if (rule_add_check(rp, match, ctx, free_ctx) < 0)
        return -1;
    rp->rule->checks[rp->rule->nchecks - 1].flow_static = true;
    return 0;
}

int rule_add_action(struct rule_parser *rp, void (*apply)(const struct match_env *, const void *),
                    void *ctx)
{
    struct rule *r = rp->rule;
    if (r->nactions == r->actions_cap) {
        struct action_step *na = array_grow(r->actions, &r->actions_cap, sizeof *na, 2);
        if (!na) {
            free(ctx);
            rule_err(rp, "out of memory");
            return -1;
        }
        r->actions = na;
    }
    r->actions[r->nactions++] = (struct action_step){ apply, ctx };
    return 0;
}

struct inspect *rule_add_inspect(struct rule_parser *rp, enum inspect_kind kind)
{
    /* after base64_data, steps go to the decoded data's list (a pcre with a
     * buffer modifier, which sets another buffer, still goes to its own) */
    bool decoded = rp->b64_list && rp->buffer == rp->b64_buffer;
    struct inspect_list *l = decoded ? rp->b64_list : &rp->rule->buf[rp->buffer];
    if (l->n == l->cap) {
        struct inspect *nv = array_grow(l->v, &l->cap, sizeof *nv, 4);
        if (!nv) {
            rule_err(rp, "out of memory");
            return NULL;
        }
        l->v = nv;
    }
    struct inspect *in = &l->v[l->n++];
    memset(in, 0, sizeof *in);
    in->kind = kind;
    rp->rule->buffers_used |= 1ull << rp->buffer;
    rp->last_payload = in;
    rp->last_payload_buffer = rp->buffer;
    return in;
}

static void inspect_free(struct inspect *in)
{
    switch (in->kind) {
    case INSPECT_CONTENT: free(in->u.content.pat); break;
    case INSPECT_PCRE: pcre_match_free(in->u.pcre); break;
    case INSPECT_BYTE_TEST:
    case INSPECT_BYTE_JUMP:
    case INSPECT_BYTE_EXTRACT:
    case INSPECT_BYTE_MATH: free(in->u.byte); break;
    case INSPECT_BASE64_DECODE:
        if (in->u.b64)
            inspect_list_free(in->u.b64->data);
        free(in->u.b64);
        break;
    default: break;
    }
}

/* Frees a heap-allocated list (base64_data's) and its steps. */
void inspect_list_free(struct inspect_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        inspect_free(&l->v[i]);
    free(l->v);
    free(l);
}

void rule_free(struct rule *r)
{
    if (!r)
        return;
    free(r->msg);
    free(r->classtype);
    free(r->metadata_json);
    free(r->metadata_raw);
    free(r->src.r);
    free(r->dst.r);
    free(r->sp.r);
    free(r->dp.r);
    for (size_t i = 0; i < r->nchecks; i++)
        if (r->checks[i].free_ctx)
            r->checks[i].free_ctx(r->checks[i].ctx);
    free(r->checks);
    for (int b = 0; b < BUF_COUNT; b++) {
        for (size_t i = 0; i < r->buf[b].n; i++)
            inspect_free(&r->buf[b].v[i]);
        free(r->buf[b].v);
    }
    free(r->groups);
    for (size_t i = 0; i < r->nactions; i++)
        free(r->actions[i].ctx);
    free(r->actions);
    if (r->anomaly)
        anomaly_params_free(r->anomaly);
    free(r);
}

const char *rule_parser_keyword(const struct rule_parser *rp)
{
    return rp->keyword;
}

/* --- header --------------------------------------------------------------- */

struct proto_name {
    const char *name;
    uint8_t ipproto;
    bool icmp_any;
};

static const struct proto_name ip_protocols[] = {
    { "ip", 0, false }, { "pkthdr", 0, false },
    { "tcp", IPPROTO_TCP, false }, { "tcp-pkt", IPPROTO_TCP, false },
    { "tcp-stream", IPPROTO_TCP, false },
    { "udp", IPPROTO_UDP, false },
    { "icmp", IPPROTO_ICMP, true }, { "icmpv4", IPPROTO_ICMP, false },
    { "icmpv6", IPPROTO_ICMPV6, false },
    { "sctp", IPPROTO_SCTP, false },
};

static int header_protocol(struct rule_parser *rp, const char *name)
{
    struct rule *r = rp->rule;
    for (size_t i = 0; i < sizeof ip_protocols / sizeof *ip_protocols; i++) {
        if (strcasecmp(ip_protocols[i].name, name) == 0) {
            r->ipproto = ip_protocols[i].ipproto;
            r->icmp_any = ip_protocols[i].icmp_any;
            /* tcp-pkt: packets only; tcp-stream: the reassembled stream only */
            if (strcasecmp(name, "tcp-pkt") == 0)
                r->payload_source = RULE_PAYLOAD_PACKET;
            else if (strcasecmp(name, "tcp-stream") == 0)
                r->payload_source = RULE_PAYLOAD_STREAM;
            return 0;
        }
    }
    r->napp_ids = detect_app_ids(rp->de, name, r->app_ids, 4);
    /* doh2 flows are the HTTP/2 parser's; "alert doh2" matches what
     * Suricata's AppProtoEquals lets a doh2 rule match (http2 flows too) */
    const char *pname = strcasecmp(name, "http1") == 0 ? "http"
                        : strcasecmp(name, "doh2") == 0 ? "http2" : name;
    const struct applayer_parser *parser = applayer_parser_by_name(pname);
    if (parser)
        r->app_proto = (uint8_t)parser->proto;
    if (r->napp_ids > 0 || parser)
        return 0;       /* nDPI's name for it, or a parser of xiezhi's own (http2) */
    rule_err(rp, "unknown protocol '%s'", name);
    return -1;
}

/* Splits the header at blanks outside brackets; returns the field count. */
static size_t header_fields(char *h, char **fields, size_t max)
{
    size_t n = 0;
    char *p = h;
    while (*p) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            break;
        if (n == max)
            return max + 1;
        fields[n++] = p;
        int nest = 0;
        while (*p && (nest > 0 || !isspace((unsigned char)*p))) {
            if (*p == '[')
                nest++;
            else if (*p == ']')
                nest--;
            p++;
        }
        if (*p)
            *p++ = '\0';
    }
    return n;
}

static int parse_header(struct rule_parser *rp, char *header, bool *passive)
{
    int nest = 0;
    for (const char *p = header; *p && nest >= 0; p++)
        nest += *p == '[' ? 1 : *p == ']' ? -1 : 0;
    if (nest != 0) {
        rule_err(rp, "unbalanced brackets in the rule header");
        return -1;
    }
    char *f[8];
    size_t n = header_fields(header, f, 7);
    if (n != 7) {
        rule_err(rp, "rule header needs 7 fields (action protocol source port direction "
                     "destination port), found %zu", n > 7 ? (size_t)8 : n);
        return -1;
    }
    struct rule *r = rp->rule;
    if (strcmp(f[0], "alert") == 0) {
        r->info.action = RULE_ACTION_ALERT;
    } else if (strcmp(f[0], "pass") == 0) {
        r->info.action = RULE_ACTION_PASS;
    } else if (strcmp(f[0], "drop") == 0 || strncmp(f[0], "reject", 6) == 0) {
        r->info.action = RULE_ACTION_ALERT;
        *passive = true;
    } else {
        rule_err(rp, "unknown action '%s'", f[0]);
        return -1;
    }
    if (header_protocol(rp, f[1]) < 0)
        return -1;
    const struct config *cfg = detect_engine_cfg(rp->de)->config;
    char msg[200];
    if (detect_parse_addr_set(rp->de, f[2], &r->src, msg, sizeof msg) < 0 ||
        parse_port_set(cfg, f[3], &r->sp, msg, sizeof msg) < 0 ||
        detect_parse_addr_set(rp->de, f[5], &r->dst, msg, sizeof msg) < 0 ||
        parse_port_set(cfg, f[6], &r->dp, msg, sizeof msg) < 0) {
        rule_err(rp, "%s", msg);
        return -1;
    }
    if (strcmp(f[4], "->") == 0) {
        r->bidir = false;
    } else if (strcmp(f[4], "<>") == 0) {
        r->bidir = true;
    } else {
        rule_err(rp, "invalid direction '%s' (use -> or <>)", f[4]);
        return -1;
    }
    return 0;
}

/* --- options ----------------------------------------------------------------- */

/* Strips surrounding quotes; a quote left open or closed early is an error. */
static int unquote(struct rule_parser *rp, const char *name, char **value)
{
    char *v = *value;
    rp->value_negated = false;
    if (v[0] == '!' && v[1] == '"') {
        rp->value_negated = true;
        v++;
    }
    size_t n = strlen(v);
    if (n == 0 || v[0] != '"')
        return 0;
    bool closed = false;
    size_t i = 1;
    for (; i < n; i++) {
        if (v[i] == '\\' && i + 1 < n) {
            i++;
            continue;
        }
        if (v[i] == '"') {
            closed = true;
            break;
        }
    }
    if (!closed) {
        rule_err(rp, "unbalanced quotes in option '%s'", name);
        return -1;
    }
    if (i != n - 1) {
        rule_err(rp, "unexpected text after the closing quote of option '%s'", name);
        return -1;
    }
    v[n - 1] = '\0';
    *value = v + 1;
    return 0;
}

static int apply_option(struct rule_parser *rp, char *name, char *value)
{
    name = text_trim(name);
    if (!*name) {
        rule_err(rp, "empty option");
        return -1;
    }
    const struct keyword *kw = keyword_find(name);
    if (!kw || !kw->setup) {
        rule_err(rp, "keyword '%s' is not supported", name);
        rp->unsupported = true;
        return -1;
    }
    rp->value_negated = false;
    if (value) {
        value = text_trim(value);
        if (unquote(rp, name, &value) < 0)
            return -1;
    }
    if (kw->value == KW_VALUE_NONE && value) {
        rule_err(rp, "keyword '%s' takes no value", name);
        return -1;
    }
    if (kw->value == KW_VALUE_REQUIRED && (!value || !*value)) {
        rule_err(rp, "keyword '%s' needs a value", name);
        return -1;
    }
    rp->keyword = kw->name;
    int rc = kw->setup(rp, value);
    rp->keyword = NULL;
    if (rc < 0 && !rp->err[0] && !rp->reported)
        rule_err(rp, "invalid value for '%s'", name);
    return rc;
}

/* Walks "name:value; name; ..." honouring quotes and backslash escapes. */
static int parse_options(struct rule_parser *rp, char *opts)
{
    char *p = opts;
    int count = 0;
    for (;;) {
        while (isspace((unsigned char)*p))
            p++;
        if (!*p)
            return 0;
        if (++count > RULE_MAX_OPTIONS) {
            rule_err(rp, "too many options");
            return -1;
        }
        char *name = p;
        while (*p && *p != ':' && *p != ';')
            p++;
        char *value = NULL;
        if (*p == ':') {
            *p++ = '\0';
            value = p;
            bool in_quote = false;
            while (*p && (in_quote || *p != ';')) {
                if (*p == '\\' && p[1]) {
                    p += 2;
                    continue;
                }
                if (*p == '"')
                    in_quote = !in_quote;
                p++;
            }
            if (in_quote) {
                rule_err(rp, "unbalanced quotes in option '%s'", text_trim(name));
                return -1;
            }
        }
        if (*p != ';') {
            rule_err(rp, "option '%s' must end with ';'", text_trim(name));
            return -1;
        }
        *p++ = '\0';
        if (strlen(value ? value : "") > OPTION_VALUE_MAX) {
            rule_err(rp, "value of option '%s' is too long", text_trim(name));
            return -1;
        }
        if (apply_option(rp, name, value) < 0)
            return -1;
    }
}

static int finish_rule(struct rule_parser *rp)
{
    struct rule *r = rp->rule;
    if (r->info.sid == 0) {
        rule_err(rp, "missing sid");
        return -1;
    }
    if (!r->msg && !(r->msg = strdup("")))
        return rule_err(rp, "out of memory"), -1;
    if (!r->priority_set)
        r->info.severity = 3;
    if (r->classtype) {
        const char *desc = "";
        int prio = 3;
        classification_find(detect_classification(rp->de), r->classtype, &desc, &prio);
        r->info.category = desc;
        if (!r->priority_set)
            r->info.severity = prio;
    } else {
        r->info.category = "";
    }
    if (r->info.gid == 0)
        r->info.gid = 1;
    r->info.msg = r->msg;
    r->info.classtype = r->classtype;
    r->info.metadata_json = r->metadata_json;
    r->info.action_name = "allowed";
    r->file = rp->file;
    r->line = rp->line;
    return 0;
}

struct rule *rule_parse(struct detect_engine *de, const char *text, const char *file,
                        unsigned line, char *err, size_t errlen, bool *unsupported,
                        bool *passive_warning)
{
    *unsupported = false;
    *passive_warning = false;
    struct rule *r = calloc(1, sizeof *r);
    char *copy = strdup(text);
    struct rule_parser rp = { .de = de, .rule = r, .file = file, .line = line,
                              .buffer = BUF_PAYLOAD, .last_payload_buffer = -1 };
    int rc = -1;
    if (!r || !copy) {
        rule_err(&rp, "out of memory");
        goto out;
    }
    r->info.rev = 0;
    char *open = strchr(copy, '(');
    if (!open) {
        rule_err(&rp, "rule has no options: expected '(' after the header");
        goto out;
    }
    char *body = text_trim(open + 1);
    size_t blen = strlen(body);
    if (blen == 0 || body[blen - 1] != ')') {
        rule_err(&rp, "rule options must end with ')'");
        goto out;
    }
    body[blen - 1] = '\0';
    *open = '\0';
    if (parse_header(&rp, copy, passive_warning) < 0)
        goto out;
    if (parse_options(&rp, body) < 0)
        goto out;
    rc = finish_rule(&rp);
out:
    if (rc < 0) {
        snprintf(err, errlen, "%s", rp.err);
        *unsupported = rp.unsupported;
        rule_free(r);
        r = NULL;
    }
    free(copy);
    return r;
}
