/* HTTP keywords beside the sticky buffers (kw_buffers.c): uricontent, and
 * those only an app-layer transaction answers: urilen (the length of the
 * normalised or raw HTTP URI) and app-layer-event:<proto>.<event> (an
 * anomaly the protocol's parser reported on the transaction). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "applayer/applayer.h"
#include "detect/keywords.h"

/* uricontent:"x" -- the pre-sticky-buffer spelling of content:"x"; http_uri;
 * (it leaves the current sticky buffer as it is). */
int kw_uricontent(struct rule_parser *rp, const char *v)
{
    int sticky = rp->buffer;
    rp->buffer = BUF_HTTP_URI;
    int rc = kw_content(rp, v);
    rp->buffer = sticky;
    return rc;
}

struct urilen_ctx {
    struct num_cmp cmp;
    enum detect_buffer buffer;      /* BUF_HTTP_URI or BUF_HTTP_URI_RAW */
};

static bool match_urilen(const struct match_env *env, const void *ctx)
{
    const struct urilen_ctx *c = ctx;
    if (!env->tx || env->parser->proto != APPLAYER_HTTP)
        return false;
    const uint8_t *data;
    uint32_t len;
    if (!env->parser->get_buffer(env->state, env->tx, c->buffer, FLOW_TOSERVER, &data, &len))
        return false;
    return num_cmp_match(&c->cmp, len);
}

/* urilen:[<>]N[,raw|norm] or N<>M */
int kw_urilen(struct rule_parser *rp, const char *v)
{
    char text[64];
    snprintf(text, sizeof text, "%s", v);
    struct urilen_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    c->buffer = BUF_HTTP_URI;
    char *comma = strchr(text, ',');
    if (comma) {
        *comma = '\0';
        const char *kind = comma + 1;
        while (*kind == ' ')
            kind++;
        if (strcmp(kind, "raw") == 0)
            c->buffer = BUF_HTTP_URI_RAW;
        else if (strcmp(kind, "norm") != 0) {
            free(c);
            rule_err(rp, "invalid urilen '%s': expected ',raw' or ',norm' after the length", v);
            return -1;
        }
    }
    size_t n = strlen(text);
    while (n && text[n - 1] == ' ')
        text[--n] = '\0';
    if (num_cmp_parse(text, UINT32_MAX, &c->cmp) < 0) {
        free(c);
        rule_err(rp, "invalid urilen '%s'", v);
        return -1;
    }
    rp->rule->needs_tx = true;
    rp->rule->tx_proto = APPLAYER_HTTP;
    rp->rule->app_layer = true;
    return rule_add_check(rp, match_urilen, c, free);
}

struct event_ctx {
    enum applayer_proto proto;
    uint64_t bit;
};

static bool match_event(const struct match_env *env, const void *ctx)
{
    const struct event_ctx *c = ctx;
    return env->tx && env->parser->proto == c->proto && (env->tx->events & c->bit);
}

/* app-layer-event:http.missing_host_header; protocols without a parser,
 * and the decoder/stream events, are not supported. */
int kw_app_layer_event(struct rule_parser *rp, const char *v)
{
    const char *dot = strchr(v, '.');
    char proto[32];
    size_t plen = dot ? (size_t)(dot - v) : 0;
    if (!dot || plen == 0 || plen >= sizeof proto) {
        rule_err(rp, "invalid app-layer-event '%s': expected <protocol>.<event>", v);
        return -1;
    }
    memcpy(proto, v, plen);
    proto[plen] = '\0';
    const struct applayer_parser *p = applayer_parser_by_name(proto);
    if (!p || !p->event_names) {
        rp->unsupported = true;
        rule_err(rp, "app-layer-event '%s' is not supported (no %s parser events)", v, proto);
        return -1;
    }
    int idx = applayer_event_index(p, dot + 1);
    if (idx < 0) {
        rule_err(rp, "unknown app-layer-event '%s'", v);
        return -1;
    }
    struct event_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    c->proto = p->proto;
    c->bit = 1ull << idx;
    rp->rule->needs_tx = true;
    rp->rule->tx_proto = (uint8_t)p->proto;
    rp->rule->app_layer = true;
    return rule_add_check(rp, match_event, c, free);
}
