/* The detection engine's insides, shared by its four files and by no one
 * else: engine.c (lifecycle, reload, accessors), load.c (rule files, sid
 * table), build.c (rule order, fast patterns, groups, automata) and match.c
 * (per packet, per transaction, stream and flow end). */
#ifndef XIEZHI_DETECT_ENGINE_INT_H
#define XIEZHI_DETECT_ENGINE_INT_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anomaly/anomaly.h"
#include "applayer/applayer.h"
#include "detect/ac.h"
#include "detect/detect.h"
#include "detect/keywords.h"
#include "detect/threshold.h"

enum { GROUP_TCP, GROUP_UDP, GROUP_ICMP, GROUP_OTHER, GROUP_COUNT };

struct port_entry {
    uint16_t port;
    uint32_t rule;
};

/* Rules prefiltered by one fast pattern each in one of their buffers: a
 * rule is a candidate when it has no pattern (plain) or when its pattern
 * occurs in its buffer (one automaton per buffer, id = rule index). */
struct buffer_prefilter {
    uint32_t *plain;
    size_t nplain, nrules;
    struct ac *ac[BUF_COUNT];
    uint32_t max_len[BUF_COUNT];    /* longest pattern of each automaton */
};

struct proto_group {
    uint32_t *anyport;          /* non-prefiltered rules, any destination port */
    size_t nanyport;
    struct port_entry *byport;  /* non-prefiltered rules by destination port, sorted */
    size_t nbyport;
    uint32_t *iponly;
    size_t niponly;
    uint32_t *app_static;       /* evaluated once per flow direction, verdict final */
    size_t napp_static;
    bool has_fallback;          /* some of the engine's ndpi_fallback rules are in this group */
    struct ac *ac;              /* payload fast patterns, id = rule index */
    bool ac_shared;             /* owned by an earlier group */
    uint32_t max_fast_len;      /* longest fast pattern: how far back a stream scan reaches */
};

/* A rule header's app protocol, as applayer_ids found it. */
struct app_ids_memo {
    char name[32];
    int ids[5];
    size_t n;
};
#define APP_IDS_MEMO 16

/* A rule header's address set, parsed once per text ("$HOME_NET"). */
struct addr_set_memo {
    char *text;
    struct addr_set set;
};
#define ADDR_SET_MEMO 8

struct detect_engine {
    struct detect_engine_config cfg;
    struct diag *diag;          /* the caller's during load, then quiet_diag */
    struct diag quiet_diag;
    struct classification *classification;
    struct anomaly_settings anomaly_settings;   /* read once at load */
    struct classifier *own_classifier;
    const struct classifier *classifier;
    struct dataset_registry *datasets;
    char **flowbits;
    size_t nflowbits, flowbits_cap;
    char **files;
    size_t nfiles;
    struct rule **rules;
    size_t nrules, rules_cap;
    struct proto_group groups[GROUP_COUNT];
    uint32_t *anomaly_rules;
    size_t nanomaly;
    uint32_t *flow_end_rules;   /* app-layer rules that can still fire at flow end */
    size_t nflow_end;
    /* per flow_end_rules entry: the same answer in both directions (see
     * rule_direction_free), so the second direction's look reuses the first's */
    bool *flow_end_symmetric;
    /* ... of them nDPI-served (by parser) */
    struct buffer_prefilter flow_end_fallback[APPLAYER_PROTO_COUNT];
    /* transaction rules nDPI's metadata serves on flows their parser does not
     * have (by enum applayer_proto): once per direction, verdict final.  One
     * list for all groups: rule_matches' protocol check stands in for the
     * group's. */
    struct buffer_prefilter ndpi_fallback[APPLAYER_PROTO_COUNT];
    /* the app protocols rule headers named: 5,000 "alert http" rules look
     * "http" up once, not in nDPI's protocol names 5,000 times */
    struct app_ids_memo app_memo[APP_IDS_MEMO];
    size_t napp_memo;
    struct addr_set_memo addr_memo[ADDR_SET_MEMO];
    size_t naddr_memo;
    struct detect_engine_stats stats;
    bool passive_warned;
    bool has_thresholds;        /* any threshold/detection_filter */
    struct threshold_table *thresholds;     /* then: the workers' shared table */
    bool thresholds_moved;      /* a reloaded engine took the table over */
    int tls_ids[4], http_ids[4];
    size_t ntls, nhttp;
    bool inspect_encrypted;     /* detect.encryption-handling: full */
    /* rules on app-layer transactions: prefiltered per buffer, or always run */
    /* by the direction a transaction progressed in: a rule with
     * flow:to_server (to_client) is only in tx[FLOW_TOSERVER] (tx[FLOW_TOCLIENT]),
     * so a response step does not scan for request-only rules */
    struct buffer_prefilter tx[2];
    size_t ntx_rules;
};

struct detect_thread {
    const struct detect_engine *de;
    pcre2_match_data *md;
    struct anomaly_state *anomaly;
    uint32_t *stamp;            /* per rule: generation it was last queued in */
    uint32_t gen;
    uint32_t *cand;
    size_t ncand;
    uint32_t *alerts;
    size_t nalerts;
    uint8_t *flow_end_seen;     /* per flow_end_rules entry: 0 not looked, 1 no match, 2 match */
    struct detect_thread_stats stats;
    uint8_t *scratch;           /* base64_decode output, SCRATCH_LEN bytes */
};

/* load.c: reads every rule file of de->cfg into de->rules (bad rules are
 * reported and counted; an unreadable file is reported, the others load). */
void engine_load_rules(struct detect_engine *de);

/* build.c: puts the rules in evaluation order (pass first, then flowbit
 * setters before checkers, file order within), numbers them, and builds the
 * groups and automata.  -1 when out of memory. */
int engine_build(struct detect_engine *de);
void prefilter_free(struct buffer_prefilter *pf);

#endif
