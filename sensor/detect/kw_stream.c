/* Keywords on the TCP stream stage's state: stream-event (reassembly
 * anomalies and a few TCP state-machine events the current packet caused,
 * Suricata's names; the other state-machine events are not raised) and stream_size
 * (bytes a side sent so far by sequence number, Suricata's syntax
 * "stream_size:<server|client|both|either>,<op>,<number>"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "stream/stream.h"
#include "util/text.h"

struct stream_event_name {
    const char *name;
    unsigned bit;               /* enum stream_event */
};

static const struct stream_event_name stream_event_names[] = {
    { "reassembly_overlap_different_data", STREAM_EVENT_OVERLAP_DIFFERENT_DATA },
    { "reassembly_seq_gap", STREAM_EVENT_GAP },
    { "pkt_retransmission", STREAM_EVENT_RETRANSMISSION },
    { "reassembly_segment_before_base_seq", STREAM_EVENT_BEFORE_BASE },
    { "suspected_rst_inject", STREAM_EVENT_RST_INJECT },
    { "rst_but_no_session", STREAM_EVENT_RST_NO_SESSION },
    { "fin_but_no_session", STREAM_EVENT_FIN_NO_SESSION },
    { "3whs_synack_in_wrong_direction", STREAM_EVENT_SYNACK_WRONG_DIR },
    { "3whs_synack_with_wrong_ack", STREAM_EVENT_SYNACK_WRONG_ACK },
    { "3whs_synack_resend_with_diff_seq", STREAM_EVENT_SYNACK_RESEND_SEQ },
    { "3whs_synack_resend_with_different_ack", STREAM_EVENT_SYNACK_RESEND_ACK },
};

static bool match_stream_event(const struct match_env *env, const void *ctx)
{
    const unsigned *bit = ctx;
    return env->flow && (stream_events(env->flow, env->dir) & *bit);
}

int kw_stream_event(struct rule_parser *rp, const char *v)
{
    for (size_t i = 0; i < sizeof stream_event_names / sizeof *stream_event_names; i++) {
        if (strcmp(stream_event_names[i].name, v) != 0)
            continue;
        unsigned *bit = malloc(sizeof *bit);
        if (!bit) {
            rule_err(rp, "out of memory");
            return -1;
        }
        *bit = stream_event_names[i].bit;
        return rule_add_check(rp, match_stream_event, bit, free);
    }
    /* the list of supported names is too long for a message: the docs */
    rule_err(rp, "stream-event '%s' is not supported (docs/stream.md lists the events raised)",
             v);
    rp->unsupported = true;
    return -1;
}

enum stream_side { SIDE_SERVER, SIDE_CLIENT, SIDE_BOTH, SIDE_EITHER };

struct stream_size_match {
    enum stream_side side;
    struct num_cmp cmp;
};

/* "server" is what the server sent (the to-client direction), as in Suricata. */
static bool match_stream_size(const struct match_env *env, const void *ctx)
{
    const struct stream_size_match *m = ctx;
    if (!env->flow)
        return false;
    uint64_t server, client;
    bool has_server = stream_size(env->flow, FLOW_TOCLIENT, &server);
    bool has_client = stream_size(env->flow, FLOW_TOSERVER, &client);
    bool s = has_server && num_cmp_match(&m->cmp, server);
    bool c = has_client && num_cmp_match(&m->cmp, client);
    switch (m->side) {
    case SIDE_SERVER: return s;
    case SIDE_CLIENT: return c;
    case SIDE_BOTH: return s && c;
    default: return s || c;
    }
}

static int parse_side(const char *text, enum stream_side *out)
{
    static const char *const names[] = { "server", "client", "both", "either" };
    for (size_t i = 0; i < 4; i++) {
        if (strcmp(text, names[i]) == 0) {
            *out = (enum stream_side)i;
            return 0;
        }
    }
    return -1;
}

/* Suricata's operators -> the shared comparison's prefix. */
static const char *cmp_prefix(const char *op)
{
    static const struct { const char *op, *prefix; } ops[] = {
        { "<", "<" }, { ">", ">" }, { "=", "=" }, { "!=", "!" }, { "<=", "<=" }, { ">=", ">=" },
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(op, ops[i].op) == 0)
            return ops[i].prefix;
    return NULL;
}

int kw_stream_size(struct rule_parser *rp, const char *v)
{
    char buf[96];
    if (strlen(v) >= sizeof buf) {
        rule_err(rp, "invalid stream_size '%s'", v);
        return -1;
    }
    strcpy(buf, v);
    char *side = buf, *op = strchr(buf, ',');
    char *num = op ? strchr(op + 1, ',') : NULL;
    if (!op || !num || strchr(num + 1, ',')) {
        rule_err(rp, "stream_size needs <server|client|both|either>,<op>,<number>: '%s'", v);
        return -1;
    }
    *op++ = '\0';
    *num++ = '\0';
    struct stream_size_match m;
    const char *prefix = cmp_prefix(text_trim(op));
    char expr[64];
    num = text_trim(num);
    if (parse_side(text_trim(side), &m.side) < 0 || !prefix ||
        (size_t)snprintf(expr, sizeof expr, "%s%s", prefix, num) >= sizeof expr ||
        num_cmp_parse(expr, UINT32_MAX, &m.cmp) < 0 || m.cmp.op == 'r') {
        rule_err(rp, "invalid stream_size '%s'", v);
        return -1;
    }
    struct stream_size_match *ctx = malloc(sizeof *ctx);
    if (!ctx) {
        rule_err(rp, "out of memory");
        return -1;
    }
    *ctx = m;
    return rule_add_check(rp, match_stream_size, ctx, free);
}
