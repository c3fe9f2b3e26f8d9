/* flowint: per-flow unsigned 32-bit integer variables, as Suricata's.
 * "name,=|+|-,value" changes the variable when the rule matches (an action,
 * like flowbits:set); "name,==|!=|<|<=|>|>=,value" and "name,isset|notset"
 * are conditions.  value is a number or another flowint's name.  A flow
 * keeps at most FLOWINT_PER_FLOW_MAX variables; they go with the flow's
 * detection state. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "util/text.h"

#define FLOWINT_PER_FLOW_MAX 64

enum flowint_op {
    FI_SET, FI_ADD, FI_SUB,                     /* actions */
    FI_EQ, FI_NE, FI_LT, FI_LE, FI_GT, FI_GE,   /* comparisons */
    FI_ISSET, FI_NOTSET,
};

static const struct { const char *name; enum flowint_op op; } flowint_ops[] = {
    { "=", FI_SET }, { "+", FI_ADD }, { "-", FI_SUB }, { "==", FI_EQ }, { "!=", FI_NE },
    { "<", FI_LT }, { "<=", FI_LE }, { ">", FI_GT }, { ">=", FI_GE }, { "isset", FI_ISSET },
    { "notset", FI_NOTSET }, { "isnotset", FI_NOTSET },
};

struct flowint_ctx {
    int id;                 /* the variable */
    enum flowint_op op;
    uint32_t value;
    int value_id;           /* >= 0: the value is this variable's */
};

static bool var_get(const struct flow *flow, int id, uint32_t *value)
{
    const struct detect_flow *df = flow ? flow->detect : NULL;
    if (!df)
        return false;
    for (uint16_t i = 0; i < df->nints; i++) {
        if (df->ints[i].id == id) {
            *value = df->ints[i].value;
            return true;
        }
    }
    return false;
}

/* Sets the variable, adding it when the flow has room (silently not, as a
 * flowbit beyond its cap: the rule still matched). */
static void var_put(struct flow *flow, int id, uint32_t value)
{
    struct detect_flow *df = detect_flow_state(flow);
    if (!df)
        return;
    for (uint16_t i = 0; i < df->nints; i++) {
        if (df->ints[i].id == id) {
            df->ints[i].value = value;
            return;
        }
    }
    if (df->nints >= FLOWINT_PER_FLOW_MAX)
        return;
    if (df->nints == df->ints_cap) {
        uint16_t cap = df->ints_cap ? (uint16_t)(df->ints_cap * 2) : 2;
        struct flowint_var *nv = realloc(df->ints, cap * sizeof *nv);
        if (!nv)
            return;
        df->ints = nv;
        df->ints_cap = cap;
    }
    df->ints[df->nints++] = (struct flowint_var){ .id = (uint16_t)id, .value = value };
}

static bool operand(const struct flow *flow, const struct flowint_ctx *c, uint32_t *v)
{
    if (c->value_id < 0) {
        *v = c->value;
        return true;
    }
    return var_get(flow, c->value_id, v);
}

static bool match_flowint(const struct match_env *env, const void *ctx)
{
    const struct flowint_ctx *c = ctx;
    uint32_t cur, v;
    bool set = var_get(env->flow, c->id, &cur);
    if (c->op == FI_ISSET || c->op == FI_NOTSET)
        return set == (c->op == FI_ISSET);
    if (!set || !operand(env->flow, c, &v))
        return false;
    switch (c->op) {
    case FI_EQ: return cur == v;
    case FI_NE: return cur != v;
    case FI_LT: return cur < v;
    case FI_LE: return cur <= v;
    case FI_GT: return cur > v;
    default: return cur >= v;
    }
}

/* An unset variable counts as 0 for + and -; values wrap at 2^32 as
 * Suricata's do.  A value naming an unset variable changes nothing. */
static void apply_flowint(const struct match_env *env, const void *ctx)
{
    const struct flowint_ctx *c = ctx;
    uint32_t v, cur = 0;
    if (!env->flow || !operand(env->flow, c, &v))
        return;
    var_get(env->flow, c->id, &cur);
    if (c->op == FI_ADD)
        v = cur + v;
    else if (c->op == FI_SUB)
        v = cur - v;
    var_put(env->flow, c->id, v);
}

static int parse_operand(struct rule_parser *rp, const char *text, struct flowint_ctx *c)
{
    c->value_id = -1;
    if (isdigit((unsigned char)text[0])) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(text, &end, 10);
        if (errno || *end || n > UINT32_MAX) {
            rule_err(rp, "invalid flowint value '%s' (0 to 4294967295 or a variable)", text);
            return -1;
        }
        c->value = (uint32_t)n;
        return 0;
    }
    if (!*text || strpbrk(text, " \t,;")) {
        rule_err(rp, "invalid flowint value '%s' (0 to 4294967295 or a variable)", text);
        return -1;
    }
    if ((c->value_id = detect_flowbit_id(rp->de, text)) < 0) {
        rule_err(rp, "too many flow variables");
        return -1;
    }
    return 0;
}

static int parse_flowint(struct rule_parser *rp, const char *v, struct flowint_ctx *c)
{
    char buf[256];
    if (copy_value(rp, v, buf, sizeof buf) < 0)
        return -1;
    char *save = NULL;
    char *name = strtok_r(buf, ",", &save), *op = strtok_r(NULL, ",", &save);
    char *value = strtok_r(NULL, ",", &save);
    if (!name || !op || strtok_r(NULL, ",", &save)) {
        rule_err(rp, "flowint needs name,operator[,value]: '%s'", v);
        return -1;
    }
    name = text_trim(name);
    op = text_trim(op);
    if (!*name || strpbrk(name, " \t")) {
        rule_err(rp, "invalid flowint name '%s'", name);
        return -1;
    }
    size_t i = 0, n = sizeof flowint_ops / sizeof *flowint_ops;
    while (i < n && strcmp(flowint_ops[i].name, op) != 0)
        i++;
    if (i == n) {
        rule_err(rp, "unknown flowint operator '%s'", op);
        return -1;
    }
    c->op = flowint_ops[i].op;
    bool takes_value = c->op != FI_ISSET && c->op != FI_NOTSET;
    if (takes_value != (value != NULL)) {
        rule_err(rp, takes_value ? "flowint '%s' needs a value" : "flowint '%s' takes no value",
                 op);
        return -1;
    }
    if ((c->id = detect_flowbit_id(rp->de, name)) < 0) {
        rule_err(rp, "too many flow variables");
        return -1;
    }
    c->value_id = -1;
    return value ? parse_operand(rp, text_trim(value), c) : 0;
}

int kw_flowint(struct rule_parser *rp, const char *v)
{
    struct flowint_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    if (parse_flowint(rp, v, c) < 0) {
        free(c);
        return -1;
    }
    /* ordered like flowbits: rules that change a variable run before the
     * rules that read it */
    if (c->op <= FI_SUB) {
        rp->rule->sets_flowbits = true;
        return rule_add_action(rp, apply_flowint, c);
    }
    rp->rule->checks_flowbits = true;
    return rule_add_check(rp, match_flowint, c, free);
}
