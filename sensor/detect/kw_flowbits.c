/* flowbits: named bits stored on the flow (set, unset, toggle as actions of
 * a matching rule; isset, isnotset as conditions, with a|b meaning either
 * and a&b meaning all; noalert).  Names are interned to small ids at load;
 * the flow keeps a short array of the ids that are set. */
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "util/text.h"

#define FLOWBITS_NAMES_MAX 8
#define FLOWBITS_PER_FLOW_MAX 1024

struct flowbits_ctx {
    int ids[FLOWBITS_NAMES_MAX];
    size_t n;
    bool all;               /* '&': all of them (isset); '|' or single: any */
};

bool detect_flowbit_isset(const struct flow *flow, int id)
{
    const struct detect_flow *df = flow->detect;
    if (!df)
        return false;
    for (uint16_t i = 0; i < df->nbits; i++)
        if (df->bits[i] == id)
            return true;
    return false;
}

struct detect_flow *detect_flow_state(struct flow *flow)
{
    if (!flow->detect)
        flow->detect = calloc(1, sizeof *flow->detect);
    return flow->detect;
}

void detect_flowbit_set(struct flow *flow, int id, bool on)
{
    struct detect_flow *df = on ? detect_flow_state(flow) : flow->detect;
    if (!df)
        return;
    for (uint16_t i = 0; i < df->nbits; i++) {
        if (df->bits[i] != id)
            continue;
        if (!on)
            df->bits[i] = df->bits[--df->nbits];
        return;
    }
    if (!on || df->nbits >= FLOWBITS_PER_FLOW_MAX)
        return;
    if (df->nbits == df->bits_cap) {
        uint16_t cap = df->bits_cap ? (uint16_t)(df->bits_cap * 2) : 4;
        uint16_t *nb = realloc(df->bits, cap * sizeof *nb);
        if (!nb)
            return;
        df->bits = nb;
        df->bits_cap = cap;
    }
    df->bits[df->nbits++] = (uint16_t)id;
}

static bool match_isset(const struct match_env *env, const void *ctx)
{
    const struct flowbits_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++) {
        bool set = detect_flowbit_isset(env->flow, c->ids[i]);
        if (set && !c->all)
            return true;
        if (!set && c->all)
            return false;
    }
    return c->all;
}

static bool match_isnotset(const struct match_env *env, const void *ctx)
{
    const struct flowbits_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        if (!detect_flowbit_isset(env->flow, c->ids[i]))
            return true;
    return false;
}

static void apply_set(const struct match_env *env, const void *ctx)
{
    const struct flowbits_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        detect_flowbit_set(env->flow, c->ids[i], true);
}

static void apply_unset(const struct match_env *env, const void *ctx)
{
    const struct flowbits_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        detect_flowbit_set(env->flow, c->ids[i], false);
}

static void apply_toggle(const struct match_env *env, const void *ctx)
{
    const struct flowbits_ctx *c = ctx;
    for (size_t i = 0; i < c->n; i++)
        detect_flowbit_set(env->flow, c->ids[i],
                           !detect_flowbit_isset(env->flow, c->ids[i]));
}

static int parse_names(struct rule_parser *rp, const char *names, struct flowbits_ctx *c,
                       bool allow_and)
{
    char buf[512];
    if (strlen(names) >= sizeof buf) {
        rule_err(rp, "flowbits names too long");
        return -1;
    }
    strcpy(buf, names);
    bool has_or = strchr(buf, '|') != NULL, has_and = strchr(buf, '&') != NULL;
    if (has_or && has_and) {
        rule_err(rp, "flowbits cannot mix '|' and '&'");
        return -1;
    }
    if (has_and && !allow_and) {
        rule_err(rp, "flowbits '&' is only valid with isset");
        return -1;
    }
    c->all = has_and;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "|&", &save); tok; tok = strtok_r(NULL, "|&", &save)) {
        tok = text_trim(tok);
        if (!*tok || strpbrk(tok, " ,;")) {
            rule_err(rp, "invalid flowbit name '%s'", tok);
            return -1;
        }
        if (c->n == FLOWBITS_NAMES_MAX) {
            rule_err(rp, "too many flowbit names");
            return -1;
        }
        int id = detect_flowbit_id(rp->de, tok);
        if (id < 0) {
            rule_err(rp, "too many flowbits");
            return -1;
        }
        c->ids[c->n++] = id;
    }
    if (c->n == 0) {
        rule_err(rp, "flowbits needs a name");
        return -1;
    }
    return 0;
}

int kw_flowbits(struct rule_parser *rp, const char *v)
{
    char cmd[32];
    const char *comma = strchr(v, ',');
    size_t clen = comma ? (size_t)(comma - v) : strlen(v);
    while (clen && v[clen - 1] == ' ')
        clen--;
    if (clen >= sizeof cmd) {
        rule_err(rp, "unknown flowbits command '%s'", v);
        return -1;
    }
    memcpy(cmd, v, clen);
    cmd[clen] = '\0';
    if (strcmp(cmd, "noalert") == 0) {
        if (comma) {
            rule_err(rp, "flowbits:noalert takes no name");
            return -1;
        }
        rp->rule->noalert = true;
        return 0;
    }
    if (!comma) {
        rule_err(rp, "flowbits:%s needs a name", cmd);
        return -1;
    }
    struct flowbits_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    bool is_check = strcmp(cmd, "isset") == 0 || strcmp(cmd, "isnotset") == 0;
    void (*apply)(const struct match_env *, const void *) = NULL;
    if (strcmp(cmd, "set") == 0)
        apply = apply_set;
    else if (strcmp(cmd, "unset") == 0)
        apply = apply_unset;
    else if (strcmp(cmd, "toggle") == 0)
        apply = apply_toggle;
    else if (!is_check) {
        free(c);
        rule_err(rp, "unknown flowbits command '%s'", cmd);
        return -1;
    }
    if (parse_names(rp, comma + 1, c, strcmp(cmd, "isset") == 0) < 0) {
        free(c);
        return -1;
    }
    if (is_check) {
        rp->rule->checks_flowbits = true;
        return rule_add_check(rp, strcmp(cmd, "isset") == 0 ? match_isset : match_isnotset, c,
                              free);
    }
    rp->rule->sets_flowbits = true;
    return rule_add_action(rp, apply, c);
}
