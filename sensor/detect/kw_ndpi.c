/* The keywords of Suricata's nDPI plugin: ndpi-protocol:[!]proto matches a
 * flow whose nDPI master or application protocol is proto ("TLS", "Tor",
 * "TLS.Google" for both), ndpi-risk:[!]RISK[,RISK...] a flow carrying any of
 * the risks (names with or without the NDPI_ prefix).  Negations match only
 * once nDPI has a verdict. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "detect/keywords.h"

struct ndpi_proto_ctx {
    int master, app;        /* -1: any */
    bool negated;
};

static bool verdict_known(const struct flow *f)
{
    return f->app.master_protocol != 0 || f->app.app_protocol != 0 ||
           f->app.state == CLASSIFY_DONE || f->app.state == CLASSIFY_GIVEN_UP;
}

static bool match_ndpi_protocol(const struct match_env *env, const void *ctx)
{
    const struct ndpi_proto_ctx *c = ctx;
    const struct flow *f = env->flow;
    if (!f)
        return false;
    bool is;
    if (c->master >= 0 && c->app >= 0)
        is = f->app.master_protocol == c->master && f->app.app_protocol == c->app;
    else
        is = f->app.master_protocol == c->app || f->app.app_protocol == c->app;
    if (!c->negated)
        return is;
    return !is && verdict_known(f);
}

int kw_ndpi_protocol(struct rule_parser *rp, const char *v)
{
    struct ndpi_proto_ctx c = { -1, -1, false };
    if (*v == '!') {
        c.negated = true;
        v++;
    }
    const struct classifier *cl = detect_classifier(rp->de);
    char buf[128];
    snprintf(buf, sizeof buf, "%s", v);
    char *dot = strchr(buf, '.');
    if (dot) {
        *dot = '\0';
        c.master = cl ? classify_protocol_id(cl, buf) : -1;
        c.app = cl ? classify_protocol_id(cl, dot + 1) : -1;
        if (c.master < 0 || c.app < 0) {
            rule_err(rp, "unknown nDPI protocol '%s'", v);
            return -1;
        }
    } else {
        c.app = cl ? classify_protocol_id(cl, buf) : -1;
        if (c.app < 0) {
            rule_err(rp, "unknown nDPI protocol '%s'", v);
            return -1;
        }
    }
    struct ndpi_proto_ctx *pc = malloc(sizeof *pc);
    if (!pc) {
        rule_err(rp, "out of memory");
        return -1;
    }
    *pc = c;
    rp->rule->app_layer = true;
    return rule_add_flow_check(rp, match_ndpi_protocol, pc, free);
}

struct ndpi_risk_ctx {
    uint64_t mask;
    bool negated;
};

static bool match_ndpi_risk(const struct match_env *env, const void *ctx)
{
    const struct ndpi_risk_ctx *c = ctx;
    const struct flow *f = env->flow;
    if (!f)
        return false;
    bool has = (f->app.risk & c->mask) != 0;
    if (!c->negated)
        return has;
    return !has && verdict_known(f);
}

int kw_ndpi_risk(struct rule_parser *rp, const char *v)
{
    struct ndpi_risk_ctx c = { 0, false };
    if (*v == '!') {
        c.negated = true;
        v++;
    }
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",| ", &save); tok; tok = strtok_r(NULL, ",| ", &save)) {
        int bit = classify_risk_id(tok);
        if (bit < 0 || bit >= 64) {
            rule_err(rp, "unknown nDPI risk '%s'", tok);
            return -1;
        }
        c.mask |= 1ull << bit;
    }
    if (!c.mask) {
        rule_err(rp, "ndpi-risk needs a risk name");
        return -1;
    }
    struct ndpi_risk_ctx *rc = malloc(sizeof *rc);
    if (!rc) {
        rule_err(rp, "out of memory");
        return -1;
    }
    *rc = c;
    rp->rule->app_layer = true;
    return rule_add_flow_check(rp, match_ndpi_risk, rc, free);
}
