/* flow: direction and state of the packet's flow (to_server, to_client,
 * from_client, from_server, established, not_established, stateless,
 * only_stream, no_stream); the engine checks the resulting bits directly,
 * since nearly every rule carries them.  flow.age: the flow's age. */
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "util/text.h"

struct flow_word {
    const char *name;
    uint32_t bit;
};

static const struct flow_word flow_words[] = {
    { "to_server", FLOWOPT_TOSERVER },
    { "from_client", FLOWOPT_TOSERVER },
    { "to_client", FLOWOPT_TOCLIENT },
    { "from_server", FLOWOPT_TOCLIENT },
    { "established", FLOWOPT_ESTABLISHED },
    { "not_established", FLOWOPT_NOT_ESTABLISHED },
    { "stateless", FLOWOPT_STATELESS },
    { "only_stream", FLOWOPT_ONLY_STREAM },
    { "no_stream", FLOWOPT_NO_STREAM },
};

int kw_flow(struct rule_parser *rp, const char *v)
{
    char buf[256];
    if (strlen(v) >= sizeof buf) {
        rule_err(rp, "flow value too long");
        return -1;
    }
    strcpy(buf, v);
    uint32_t bits = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = text_trim(tok);
        uint32_t bit = 0;
        for (size_t i = 0; i < sizeof flow_words / sizeof *flow_words; i++)
            if (strcmp(flow_words[i].name, tok) == 0)
                bit = flow_words[i].bit;
        if (!bit) {
            rule_err(rp, "unknown flow option '%s'", tok);
            return -1;
        }
        bits |= bit;
    }
    if ((bits & FLOWOPT_TOSERVER) && (bits & FLOWOPT_TOCLIENT)) {
        rule_err(rp, "flow cannot be both to_server and to_client");
        return -1;
    }
    if ((bits & FLOWOPT_ESTABLISHED) && (bits & FLOWOPT_NOT_ESTABLISHED)) {
        rule_err(rp, "flow cannot be both established and not_established");
        return -1;
    }
    rp->rule->flow_opts |= bits;
    return 0;
}

/* flow.age: whole seconds from the flow's first packet to this one (packet
 * time, so offline runs give the same answer every time). */
static bool match_flow_age(const struct match_env *env, const void *ctx)
{
    if (!env->flow || env->pkt->ts_usec < env->flow->start_usec)
        return false;
    return num_cmp_match(ctx, (env->pkt->ts_usec - env->flow->start_usec) / 1000000u);
}

int kw_flow_age(struct rule_parser *rp, const char *v)
{
    return rule_add_num_check(rp, v, UINT32_MAX, match_flow_age);
}
