/* geoip:src|dst|both|any,CC[,CC...] with Suricata's semantics: src/dst test
 * the packet's source/destination, both needs both, any either.  A leading
 * "!" on the countries negates the list.  Countries come from the flow's
 * enrichment when present, else from a lookup; an unknown country never
 * matches.  Without a country database the rule is refused at load. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "enrich/geoip.h"
#include "util/text.h"

#define GEOIP_MAX_COUNTRIES 64

enum geo_dir { GEO_SRC, GEO_DST, GEO_BOTH, GEO_ANY };

struct geoip_ctx {
    const struct geoip *db;
    enum geo_dir dir;
    bool negated;
    size_t n;
    char cc[GEOIP_MAX_COUNTRIES][2];
};

static bool country_of(const struct geoip_ctx *c, const struct match_env *env, bool src,
                       char out[2])
{
    const struct flow *f = env->flow;
    const struct ip_addr *a = src ? &env->pkt->src : &env->pkt->dst;
    if (f) {
        /* flow geo is by side: client [0], server [1] */
        bool is_client = (env->dir == FLOW_TOSERVER) == src;
        const char *cc = f->geo.country[is_client ? 0 : 1];
        if (cc[0]) {
            out[0] = cc[0];
            out[1] = cc[1];
            return true;
        }
    }
    struct geo_info gi;
    if (!geoip_lookup(c->db, a, &gi) || !gi.country[0])
        return false;
    out[0] = gi.country[0];
    out[1] = gi.country[1];
    return true;
}

static bool side_matches(const struct geoip_ctx *c, const struct match_env *env, bool src)
{
    char cc[2];
    if (!country_of(c, env, src, cc))
        return false;
    bool in = false;
    for (size_t i = 0; i < c->n && !in; i++)
        in = c->cc[i][0] == cc[0] && c->cc[i][1] == cc[1];
    return in != c->negated;
}

static bool match_geoip(const struct match_env *env, const void *ctx)
{
    const struct geoip_ctx *c = ctx;
    switch (c->dir) {
    case GEO_SRC: return side_matches(c, env, true);
    case GEO_DST: return side_matches(c, env, false);
    case GEO_BOTH: return side_matches(c, env, true) && side_matches(c, env, false);
    default: return side_matches(c, env, true) || side_matches(c, env, false);
    }
}

static const char *const dir_names[] = { "src", "dst", "both", "any" };

int kw_geoip(struct rule_parser *rp, const char *v)
{
    const struct geoip *db = detect_engine_cfg(rp->de)->geoip;
    if (!db || !geoip_has_country(db)) {
        rule_err(rp, "geoip needs a country database: set geoip.country-db in the config");
        return -1;
    }
    struct geoip_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    c->db = db;
    c->dir = GEO_ANY;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", v);
    char *save = NULL;
    bool first = true;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = text_trim(tok);
        if (first) {
            first = false;
            bool is_dir = false;
            for (int d = 0; d < 4; d++)
                if (strcmp(tok, dir_names[d]) == 0) {
                    c->dir = (enum geo_dir)d;
                    is_dir = true;
                }
            if (is_dir)
                continue;
        }
        bool neg = tok[0] == '!';
        if (neg)
            tok++;
        if (c->n > 0 && neg != c->negated) {
            free(c);
            rule_err(rp, "geoip cannot mix negated and plain countries");
            return -1;
        }
        c->negated = neg;
        if (strlen(tok) != 2 || !isalpha((unsigned char)tok[0]) ||
            !isalpha((unsigned char)tok[1])) {
            free(c);
            rule_err(rp, "invalid country code '%s' in geoip", tok);
            return -1;
        }
        if (c->n == GEOIP_MAX_COUNTRIES) {
            free(c);
            rule_err(rp, "too many countries in geoip");
            return -1;
        }
        c->cc[c->n][0] = (char)toupper((unsigned char)tok[0]);
        c->cc[c->n][1] = (char)toupper((unsigned char)tok[1]);
        c->n++;
    }
    if (c->n == 0) {
        free(c);
        rule_err(rp, "geoip needs at least one country code");
        return -1;
    }
    return rule_add_check(rp, match_geoip, c, free);
}
