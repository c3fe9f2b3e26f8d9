/* The detection engine: loads rule files into an immutable set of compiled
 * rules, groups them by transport protocol and destination port, and builds
 * one Aho-Corasick prefilter per group over the rules' fast patterns, so a
 * packet only fully evaluates the rules whose pattern occurs in it (plus the
 * few without a payload pattern).  IP-only rules run on the first packet of
 * each flow direction.  Per-worker mutable state (pcre scratch, anomaly
 * trackers, candidate lists) lives in detect_thread; per-flow state
 * (flowbits, once-per-flow rules, pass) in struct detect_flow.  The
 * threshold table is the engine's, shared by the workers under its lock:
 * a by_src count must see a source's flows whichever worker has them. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <netinet/in.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly/anomaly.h"
#include "applayer/applayer.h"
#include "classify/classify.h"
#include "detect/ac.h"
#include "detect/dataset.h"
#include "detect/keywords.h"
#include "stream/stream.h"
#include "util/log.h"
#include "util/text.h"

#define RULE_LINE_MAX (256 * 1024)
#define FLOWBITS_MAX 65535
#define THRESHOLD_TABLE_MAX 65536
#define FIRED_PER_FLOW_MAX 4096


enum { GROUP_TCP, GROUP_UDP, GROUP_ICMP, GROUP_OTHER, GROUP_COUNT };

struct port_entry {
    uint16_t port;
    uint32_t rule;
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
    /* transaction rules nDPI's metadata serves on flows their parser does not
     * have (by enum applayer_proto): once per direction, verdict final */
    uint32_t *ndpi_fallback[APPLAYER_PROTO_COUNT];
    size_t nndpi_fallback[APPLAYER_PROTO_COUNT];
    bool has_fallback;
    struct ac *ac;              /* payload fast patterns, id = rule index */
    bool ac_shared;             /* owned by an earlier group */
    uint32_t max_fast_len;      /* longest fast pattern: how far back a stream scan reaches */
};

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
    uint32_t *flow_end_fallback[APPLAYER_PROTO_COUNT];  /* ... of them nDPI-served (by parser) */
    size_t nflow_end_fallback[APPLAYER_PROTO_COUNT];
    struct detect_engine_stats stats;
    bool passive_warned;
    bool has_thresholds;        /* any threshold/detection_filter */
    struct threshold_table *thresholds;     /* then: the workers' shared table */
    bool thresholds_moved;      /* a reloaded engine took the table over */
    int tls_ids[4], http_ids[4];
    size_t ntls, nhttp;
    bool inspect_encrypted;     /* detect.encryption-handling: full */
    /* rules on app-layer transactions: prefiltered per buffer, or always run */
    struct ac *tx_ac[BUF_COUNT];
    uint32_t *tx_plain;
    size_t ntx_plain, ntx_rules;
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
    struct detect_thread_stats stats;
    uint8_t *scratch;           /* base64_decode output, SCRATCH_LEN bytes */
};

#define SCRATCH_LEN 65535       /* Suricata's most decoded bytes per base64_decode */

/* --- services for keywords ------------------------------------------------------- */

int detect_flowbit_id(struct detect_engine *de, const char *name)
{
    for (size_t i = 0; i < de->nflowbits; i++)
        if (strcmp(de->flowbits[i], name) == 0)
            return (int)i;
    if (de->nflowbits >= FLOWBITS_MAX)
        return -1;
    if (de->nflowbits == de->flowbits_cap) {
        size_t cap = de->flowbits_cap ? de->flowbits_cap * 2 : 16;
        char **nv = realloc(de->flowbits, cap * sizeof *nv);
        if (!nv)
            return -1;
        de->flowbits = nv;
        de->flowbits_cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    de->flowbits[de->nflowbits] = copy;
    return (int)de->nflowbits++;
}

struct dataset_registry *detect_datasets(struct detect_engine *de) { return de->datasets; }
const struct detect_engine_config *detect_engine_cfg(const struct detect_engine *de)
{
    return &de->cfg;
}
struct diag *detect_engine_diag(struct detect_engine *de) { return de->diag; }
const struct classification *detect_classification(const struct detect_engine *de)
{
    return de->classification;
}
const struct classifier *detect_classifier(const struct detect_engine *de)
{
    return de->classifier;
}
const struct detect_engine_stats *detect_engine_stats(const struct detect_engine *de)
{
    return &de->stats;
}

bool detect_proto_is(const struct detect_engine *de, const struct flow *f, const char *which)
{
    if (strcmp(which, "tls") == 0)
        return applayer_flow_is(f, de->tls_ids, de->ntls);
    return applayer_flow_is(f, de->http_ids, de->nhttp);
}

void *detect_thread_match_data(struct detect_thread *dt) { return dt->md; }

void detect_engine_pcre_compiled(struct detect_engine *de, bool jit)
{
    de->stats.pcre_total++;
    if (!jit)
        de->stats.pcre_without_jit++;
}

void detect_thread_pcre_failed(struct detect_thread *dt, bool limit)
{
    if (limit)
        dt->stats.pcre_match_limit++;
    else
        dt->stats.pcre_errors++;
}

uint8_t *detect_thread_scratch(struct detect_thread *dt, uint32_t *cap)
{
    if (!dt->scratch)
        dt->scratch = malloc(SCRATCH_LEN);
    *cap = SCRATCH_LEN;
    return dt->scratch;
}

/* --- loading ------------------------------------------------------------------------- */

static const char *intern_file(struct detect_engine *de, const char *path)
{
    for (size_t i = 0; i < de->nfiles; i++)
        if (strcmp(de->files[i], path) == 0)
            return de->files[i];
    char **nv = realloc(de->files, (de->nfiles + 1) * sizeof *nv);
    if (!nv)
        return NULL;
    de->files = nv;
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    de->files[de->nfiles++] = copy;
    return copy;
}

static int push_rule(struct detect_engine *de, struct rule *r)
{
    if (de->nrules == de->rules_cap) {
        size_t cap = de->rules_cap ? de->rules_cap * 2 : 256;
        struct rule **nv = realloc(de->rules, cap * sizeof *nv);
        if (!nv)
            return -1;
        de->rules = nv;
        de->rules_cap = cap;
    }
    de->rules[de->nrules++] = r;
    return 0;
}

/* (gid, sid) -> first rule, open addressing; built while loading. */
struct sid_table {
    struct rule **slots;
    size_t cap, n;
};

static size_t sid_hash(uint32_t gid, uint32_t sid, size_t cap)
{
    uint64_t h = ((uint64_t)gid << 32 | sid) * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static struct rule *sid_find_or_add(struct sid_table *t, struct rule *r)
{
    if (t->n * 2 >= t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct rule **ns = calloc(cap, sizeof *ns);
        if (!ns)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            struct rule *o = t->slots[i];
            if (!o)
                continue;
            size_t h = sid_hash(o->info.gid, o->info.sid, cap);
            while (ns[h])
                h = (h + 1) & (cap - 1);
            ns[h] = o;
        }
        free(t->slots);
        t->slots = ns;
        t->cap = cap;
    }
    size_t h = sid_hash(r->info.gid, r->info.sid, t->cap);
    while (t->slots[h]) {
        struct rule *o = t->slots[h];
        if (o->info.gid == r->info.gid && o->info.sid == r->info.sid)
            return o;
        h = (h + 1) & (t->cap - 1);
    }
    t->slots[h] = r;
    t->n++;
    return r;
}

/* FNV-1a over the rule's text, blanks not counted (re-indenting a rule
 * file changes no rule). */
static uint64_t rule_text_hash(const char *text)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            continue;
        h = (h ^ *p) * 0x100000001b3ull;
    }
    return h;
}

static void load_rule_text(struct detect_engine *de, struct sid_table *sids, const char *text,
                           const char *file, unsigned line)
{
    char err[400];
    bool unsupported, passive;
    struct rule *r = rule_parse(de, text, file, line, err, sizeof err, &unsupported, &passive);
    if (!r) {
        if (err[0])
            diag_error(de->diag, file, line, "%s", err);
        de->stats.rules_failed++;
        return;
    }
    r->text_hash = rule_text_hash(text);
    if (passive && !de->passive_warned) {
        de->passive_warned = true;
        de->stats.rules_warned++;
        diag_warning(de->diag, file, line,
                     "drop/reject act as alert: xiezhi is a passive sensor");
    }
    struct rule *first = sid_find_or_add(sids, r);
    if (first != r) {
        if (first)
            diag_error(de->diag, file, line, "duplicate sid %u (first defined at %s:%u)",
                       r->info.sid, first->file, first->line);
        else
            diag_error(de->diag, file, line, "out of memory");
        de->stats.rules_failed++;
        rule_free(r);
        return;
    }
    if (push_rule(de, r) < 0) {
        diag_error(de->diag, file, line, "out of memory");
        de->stats.rules_failed++;
        rule_free(r);
        return;
    }
    de->stats.rules_loaded++;
}

/* Reads a rule file; a line ending in '\' continues on the next. */
static int load_file(struct detect_engine *de, struct sid_table *sids, const char *path)
{
    const char *file = intern_file(de, path);
    FILE *f = file ? fopen(path, "r") : NULL;
    if (!f) {
        diag_error(de->diag, path, 0, "cannot open rule file");
        return -1;
    }
    char *line = NULL, *rule = NULL;
    size_t cap = 0, rlen = 0;
    unsigned lineno = 0, start = 0;
    while (getline(&line, &cap, f) >= 0) {
        lineno++;
        char *s = text_trim(line);
        if (!rule && (!*s || *s == '#'))
            continue;
        size_t n = strlen(s);
        bool cont = n > 0 && s[n - 1] == '\\';
        if (cont)
            s[--n] = '\0';
        if (!rule)
            start = lineno;
        if (rlen + n + 2 > RULE_LINE_MAX) {
            diag_error(de->diag, file, start, "rule longer than %d bytes", RULE_LINE_MAX);
            de->stats.rules_failed++;
            free(rule);
            rule = NULL;
            rlen = 0;
            continue;
        }
        char *nr = realloc(rule, rlen + n + 2);
        if (!nr)
            break;
        rule = nr;
        memcpy(rule + rlen, s, n);
        rlen += n;
        rule[rlen] = '\0';
        if (cont)
            continue;
        load_rule_text(de, sids, rule, file, start);
        free(rule);
        rule = NULL;
        rlen = 0;
    }
    if (rule) {
        load_rule_text(de, sids, rule, file, start);
        free(rule);
    }
    free(line);
    fclose(f);
    return 0;
}

/* --- compiling ------------------------------------------------------------------------- */

static int order_class(const struct rule *r)
{
    if (r->sets_flowbits && !r->checks_flowbits)
        return 0;
    if (!r->sets_flowbits && !r->checks_flowbits)
        return 1;
    return r->sets_flowbits ? 2 : 3;
}

static int rule_order(const void *a, const void *b)
{
    const struct rule *x = *(struct rule *const *)a, *y = *(struct rule *const *)b;
    int ax = x->info.action == RULE_ACTION_PASS ? 0 : 1;
    int ay = y->info.action == RULE_ACTION_PASS ? 0 : 1;
    if (ax != ay)
        return ax - ay;
    int cx = order_class(x), cy = order_class(y);
    if (cx != cy)
        return cx - cy;
    return x->index < y->index ? -1 : x->index > y->index;
}

static const struct content *pick_fast_pattern(const struct rule *r)
{
    const struct inspect_list *l = &r->buf[BUF_PAYLOAD];
    const struct content *best = NULL;
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].kind != INSPECT_CONTENT)
            continue;
        const struct content *c = &l->v[i].u.content;
        if (c->flags & CF_NEGATED)
            continue;
        if (c->flags & CF_FAST_PATTERN)
            return c;
        if (!best || c->len > best->len)
            best = c;
    }
    return best;
}

/* Contents placed from the start of the buffer: on the stream that is
 * the stream's start, so for packets the stream did not take whole the
 * packet itself is inspected too (see payload_matches). */
static bool payload_is_anchored(const struct rule *r)
{
    const struct inspect_list *l = &r->buf[BUF_PAYLOAD];
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].kind == INSPECT_CONTENT &&
            (l->v[i].u.content.flags & (CF_OFFSET | CF_DEPTH | CF_STARTSWITH)))
            return true;
    return false;
}

static bool rule_is_app_static(const struct rule *r)
{
    if (!r->app_layer || r->anomaly || r->buf[BUF_PAYLOAD].n ||
        (r->buffers_used & ((1ull << BUF_IP_SRC) | (1ull << BUF_IP_DST))) ||
        (r->flow_opts & ~(uint32_t)(FLOWOPT_TOSERVER | FLOWOPT_TOCLIENT)) || r->checks_flowbits)
        return false;
    for (size_t i = 0; i < r->nchecks; i++)
        if (!r->checks[i].flow_static)
            return false;
    return true;
}

/* A rule that sees nothing but the header and ip.src/ip.dst with a dataset
 * (an IOC list of addresses) gives the same answer on every packet of a
 * flow direction, so it is evaluated on the first only, like Suricata's
 * IP-only rules; a threshold on it counts flows, not packets.  As in
 * Suricata, a flow keyword (even flow:to_server alone) makes a rule a
 * per-packet one (suricata-verify detect-engine-proto). */
static bool rule_is_ip_only(const struct rule *r)
{
    const uint64_t fixed_buffers = (1ull << BUF_IP_SRC) | (1ull << BUF_IP_DST);
    return r->nchecks == 0 && (r->buffers_used & ~fixed_buffers) == 0 &&
           r->flow_opts == 0 && r->napp_ids == 0 && r->app_proto == 0 && !r->anomaly &&
           r->nactions == 0;
}

static bool rule_in_group(const struct rule *r, int g)
{
    static const uint8_t group_proto[GROUP_COUNT] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 0 };
    if (r->ipproto == 0)
        return true;
    if (g == GROUP_ICMP)
        return r->ipproto == IPPROTO_ICMP || r->ipproto == IPPROTO_ICMPV6;
    if (g == GROUP_OTHER)
        return r->ipproto != IPPROTO_TCP && r->ipproto != IPPROTO_UDP && r->ipproto != IPPROTO_ICMP &&
               r->ipproto != IPPROTO_ICMPV6;
    return r->ipproto == group_proto[g];
}

/* The index arrays keep no capacity: it is the next power of two of the
 * count (at least 4), so growing is amortised O(1) rather than a realloc,
 * and often a copy, per rule. */
static bool array_full(size_t n)
{
    return n == 0 || (n >= 4 && (n & (n - 1)) == 0);
}

static int array_grow(void **v, size_t n, size_t elem)
{
    if (!array_full(n))
        return 0;
    size_t cap = n ? 2 * n : 4;
    void *nv = realloc(*v, cap * elem);
    if (!nv)
        return -1;
    *v = nv;
    return 0;
}

static int u32_push(uint32_t **v, size_t *n, uint32_t x)
{
    void *p = *v;
    if (array_grow(&p, *n, sizeof **v) < 0)
        return -1;
    *v = p;
    (*v)[(*n)++] = x;
    return 0;
}

static int port_push(struct proto_group *g, uint16_t port, uint32_t rule)
{
    void *p = g->byport;
    if (array_grow(&p, g->nbyport, sizeof *g->byport) < 0)
        return -1;
    g->byport = p;
    g->byport[g->nbyport++] = (struct port_entry){ port, rule };
    return 0;
}

static int port_entry_cmp(const void *a, const void *b)
{
    const struct port_entry *x = a, *y = b;
    if (x->port != y->port)
        return x->port < y->port ? -1 : 1;
    return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* A rule goes into destination-port buckets when its destination ports are
 * a short positive list and it is one-directional. */
#define PORT_BUCKET_MAX 32

static int add_nonprefiltered(struct proto_group *g, const struct rule *r)
{
    size_t nports = 0;
    bool bucket = !r->bidir && !r->dp.any && r->dp.npos == r->dp.n;
    for (size_t i = 0; bucket && i < r->dp.n; i++)
        nports += (size_t)r->dp.r[i].hi - r->dp.r[i].lo + 1;
    if (!bucket || nports > PORT_BUCKET_MAX)
        return u32_push(&g->anyport, &g->nanyport, r->index);
    for (size_t i = 0; i < r->dp.n; i++)
        for (uint32_t p = r->dp.r[i].lo; p <= r->dp.r[i].hi; p++)
            if (port_push(g, (uint16_t)p, r->index) < 0)
                return -1;
    return 0;
}

static bool same_rules(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* One automaton per group over its rules' fast patterns; groups with the
 * same prefiltered rules (every rule "ip", say) share one automaton. */
static int build_automata(struct detect_engine *de, uint32_t *const *pre, const size_t *npre)
{
    for (int g = 0; g < GROUP_COUNT; g++) {
        for (int h = 0; h < g && !de->groups[g].ac; h++) {
            if (same_rules(pre[g], npre[g], pre[h], npre[h])) {
                de->groups[g].ac = de->groups[h].ac;
                de->groups[g].ac_shared = true;
            }
        }
        if (de->groups[g].ac)
            continue;
        struct ac *ac = ac_new();
        if (!ac)
            return -1;
        de->groups[g].ac = ac;
        for (size_t i = 0; i < npre[g]; i++) {
            const struct rule *r = de->rules[pre[g][i]];
            if (ac_add(ac, r->fast->pat, r->fast->len, r->fast->flags & CF_NOCASE, r->index) < 0)
                return -1;
        }
        if (ac_build(ac) < 0)
            return -1;
    }
    return 0;
}

/* Which parser's transactions a rule inspects, whether nDPI's metadata can
 * serve it on other flows, and its fast pattern among the transaction
 * buffers (an explicit fast_pattern, else the longest content). */
static void classify_tx_rule(struct rule *r)
{
    bool all_fallback = !r->needs_tx;
    int proto = r->tx_proto;
    uint64_t used = r->buffers_used;
    for (int b = 0; used; b++, used >>= 1) {
        bool fallback;
        int p = (used & 1) ? detect_buffer_applayer((enum detect_buffer)b, &fallback) : 0;
        if (!p)
            continue;
        proto = p;
        all_fallback &= fallback;
    }
    r->tx_proto = (uint8_t)proto;
    r->tx_fallback = proto && all_fallback;
    r->tx_fast = NULL;
    for (int b = 0; proto && b < BUF_COUNT; b++) {
        bool fallback;
        if (!(r->buffers_used & (1ull << b)) ||
            detect_buffer_applayer((enum detect_buffer)b, &fallback) != proto)
            continue;
        for (size_t i = 0; i < r->buf[b].n; i++) {
            const struct inspect *in = &r->buf[b].v[i];
            if (in->kind != INSPECT_CONTENT || (in->u.content.flags & CF_NEGATED))
                continue;
            const struct content *c = &in->u.content;
            bool better = !r->tx_fast || (c->flags & CF_FAST_PATTERN) ||
                          (!(r->tx_fast->flags & CF_FAST_PATTERN) && c->len > r->tx_fast->len);
            if (better) {
                r->tx_fast = c;
                r->tx_fast_buffer = b;
            }
        }
    }
}

static int add_tx_rule(struct detect_engine *de, const struct rule *r)
{
    de->ntx_rules++;
    if (!r->tx_fast)
        return u32_push(&de->tx_plain, &de->ntx_plain, r->index);
    struct ac **ac = &de->tx_ac[r->tx_fast_buffer];
    if (!*ac && !(*ac = ac_new()))
        return -1;
    return ac_add(*ac, r->tx_fast->pat, r->tx_fast->len, r->tx_fast->flags & CF_NOCASE,
                  r->index);
}

static int build_tx_automata(struct detect_engine *de)
{
    for (int b = 0; b < BUF_COUNT; b++)
        if (de->tx_ac[b] && ac_build(de->tx_ac[b]) < 0)
            return -1;
    return 0;
}

static int build_groups(struct detect_engine *de)
{
    uint32_t *pre[GROUP_COUNT] = { NULL };
    size_t npre[GROUP_COUNT] = { 0 };
    int rc = -1;
    for (size_t i = 0; i < de->nrules; i++) {
        struct rule *r = de->rules[i];
        unsigned hooks = r->anomaly ? anomaly_params_hooks(r->anomaly) : 0;
        if ((hooks & ANOMALY_HOOK_FLOW_END) &&
            u32_push(&de->anomaly_rules, &de->nanomaly, r->index) < 0)
            goto out;
        if (r->anomaly && !(hooks & ANOMALY_HOOK_PACKET))
            continue;       /* flow-end detector only: no packet evaluation */
        classify_tx_rule(r);
        if (r->tx_proto && !r->anomaly && add_tx_rule(de, r) < 0)
            goto out;
        if (r->tx_proto && !r->tx_fallback)
            continue;       /* transactions only: no packet evaluation */
        if (r->app_layer && !r->anomaly && r->info.action == RULE_ACTION_ALERT &&
            r->buf[BUF_PAYLOAD].n == 0 &&
            (r->tx_fallback ? u32_push(&de->flow_end_fallback[r->tx_proto],
                                       &de->nflow_end_fallback[r->tx_proto], r->index)
                            : u32_push(&de->flow_end_rules, &de->nflow_end, r->index)) < 0)
            goto out;
        r->ip_only = rule_is_ip_only(r);
        r->app_static = rule_is_app_static(r);
        if (r->has_threshold || r->has_detection_filter)
            de->has_thresholds = true;
        r->fast = pick_fast_pattern(r);
        r->payload_anchored = payload_is_anchored(r);
        if (r->flow_opts & FLOWOPT_ONLY_STREAM)
            r->payload_source = RULE_PAYLOAD_STREAM;
        else if (r->flow_opts & FLOWOPT_NO_STREAM)
            r->payload_source = RULE_PAYLOAD_PACKET;
        for (int g = 0; g < GROUP_COUNT; g++) {
            if (!rule_in_group(r, g))
                continue;
            struct proto_group *pg = &de->groups[g];
            if (r->fast && r->fast->len > pg->max_fast_len)
                pg->max_fast_len = r->fast->len;
            int prc;
            if (r->tx_fallback && !r->buf[BUF_PAYLOAD].n && !r->checks_flowbits)
                prc = u32_push(&pg->ndpi_fallback[r->tx_proto],
                               &pg->nndpi_fallback[r->tx_proto], r->index),
                pg->has_fallback = true;
            else if (r->ip_only)
                prc = u32_push(&pg->iponly, &pg->niponly, r->index);
            else if (r->app_static)
                prc = u32_push(&pg->app_static, &pg->napp_static, r->index);
            else if (r->fast)
                prc = u32_push(&pre[g], &npre[g], r->index);
            else
                prc = add_nonprefiltered(pg, r);
            if (prc < 0)
                goto out;
        }
    }
    for (int g = 0; g < GROUP_COUNT; g++) {
        struct proto_group *pg = &de->groups[g];
        if (pg->nbyport)
            qsort(pg->byport, pg->nbyport, sizeof *pg->byport, port_entry_cmp);
    }
    rc = build_automata(de, pre, npre);
    if (rc == 0)
        rc = build_tx_automata(de);
out:
    for (int g = 0; g < GROUP_COUNT; g++)
        free(pre[g]);
    return rc;
}

struct detect_engine *detect_engine_load(const struct detect_engine_config *cfg,
                                         struct diag *diag)
{
    struct detect_engine *de = calloc(1, sizeof *de);
    if (!de)
        return NULL;
    de->cfg = *cfg;
    de->diag = diag;
    de->classifier = cfg->classifier;
    if (!de->classifier) {
        de->own_classifier = classifier_new();
        de->classifier = de->own_classifier;
    }
    de->datasets = dataset_registry_new();
    de->classification = classification_load(cfg->classification_file, diag);
    if (!de->datasets || !de->classification)
        goto fail;
    if (cfg->config &&
        dataset_registry_set_data_dir(de->datasets, config_get_str(cfg->config, "datasets.dir", "")) < 0)
        goto fail;
    if (cfg->config) {
        static const char *const handling[] = { "default", "full" };
        de->inspect_encrypted = config_get_choice(cfg->config, "detect.encryption-handling",
                                                  handling, 2, 0, diag) == 1;
    }
    anomaly_settings_load(&de->anomaly_settings, cfg->config, diag);
    de->ntls = applayer_ids(de, "tls", de->tls_ids, 4);
    de->nhttp = applayer_ids(de, "http", de->http_ids, 4);
    struct sid_table sids = { 0 };
    /* an unreadable file is reported; the other files still load */
    for (size_t i = 0; i < cfg->nrule_files; i++)
        load_file(de, &sids, cfg->rule_files[i]);
    free(sids.slots);
    for (size_t i = 0; i < de->nrules; i++)
        de->rules[i]->index = (uint32_t)i;
    if (de->nrules > 1)
        qsort(de->rules, de->nrules, sizeof *de->rules, rule_order);
    for (size_t i = 0; i < de->nrules; i++)
        de->rules[i]->index = (uint32_t)i;
    if (build_groups(de) < 0)
        goto fail;
    if (de->has_thresholds && !(de->thresholds = threshold_table_new(THRESHOLD_TABLE_MAX)))
        goto fail;
    de->quiet_diag.quiet = 1;
    de->diag = &de->quiet_diag;
    return de;
fail:
    diag_error(diag, "detect", 0, "out of memory while compiling rules");
    detect_engine_free(de);
    return NULL;
}

void detect_engine_free(struct detect_engine *de)
{
    if (!de)
        return;
    for (size_t i = 0; i < de->nrules; i++)
        rule_free(de->rules[i]);
    free(de->rules);
    for (int g = 0; g < GROUP_COUNT; g++) {
        free(de->groups[g].anyport);
        free(de->groups[g].byport);
        free(de->groups[g].iponly);
        free(de->groups[g].app_static);
        for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
            free(de->groups[g].ndpi_fallback[p]);
        if (!de->groups[g].ac_shared)
            ac_free(de->groups[g].ac);
    }
    free(de->anomaly_rules);
    free(de->flow_end_rules);
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
        free(de->flow_end_fallback[p]);
    for (int b = 0; b < BUF_COUNT; b++)
        ac_free(de->tx_ac[b]);
    free(de->tx_plain);
    for (size_t i = 0; i < de->nflowbits; i++)
        free(de->flowbits[i]);
    free(de->flowbits);
    for (size_t i = 0; i < de->nfiles; i++)
        free(de->files[i]);
    free(de->files);
    if (!de->thresholds_moved)
        threshold_table_free(de->thresholds);
    classification_free(de->classification);
    dataset_registry_free(de->datasets);
    if (de->own_classifier)
        classifier_free(de->own_classifier);
    free(de);
}

/* --- reload: state of unchanged rules carries over ------------------------------------ */

static int rule_key_cmp(const void *a, const void *b)
{
    const struct rule *x = *(const struct rule *const *)a, *y = *(const struct rule *const *)b;
    if (x->info.gid != y->info.gid)
        return x->info.gid < y->info.gid ? -1 : 1;
    return x->info.sid < y->info.sid ? -1 : x->info.sid > y->info.sid;
}

/* The rules of de sorted by (gid, sid), for lookups during a carry. */
struct rule_index {
    const struct rule **v;
    size_t n;
};

static int rule_index_build(struct rule_index *ix, const struct detect_engine *de)
{
    ix->n = de->nrules;
    ix->v = malloc((ix->n ? ix->n : 1) * sizeof *ix->v);
    if (!ix->v)
        return -1;
    for (size_t i = 0; i < ix->n; i++)
        ix->v[i] = de->rules[i];
    qsort(ix->v, ix->n, sizeof *ix->v, rule_key_cmp);
    return 0;
}

static const struct rule *rule_index_find(const struct rule_index *ix, uint32_t gid, uint32_t sid)
{
    struct rule key = { .info = { .gid = gid, .sid = sid } };
    const struct rule *kp = &key;
    const struct rule **hit = bsearch(&kp, ix->v, ix->n, sizeof *ix->v, rule_key_cmp);
    return hit ? *hit : NULL;
}

static bool rule_unchanged(const struct rule *a, const struct rule *b)
{
    return a && b && a->info.rev == b->info.rev && a->text_hash == b->text_hash;
}

struct carry {
    struct rule_index old, neu;
};

static bool carry_keep(void *ctx, uint32_t gid, uint32_t sid)
{
    const struct carry *c = ctx;
    return rule_unchanged(rule_index_find(&c->old, gid, sid), rule_index_find(&c->neu, gid, sid));
}

void detect_engine_carry_state(struct detect_engine *de, struct detect_engine *old)
{
    dataset_registry_carry(de->datasets, old->datasets);
    if (!de->thresholds || !old->thresholds || old->thresholds_moved)
        return;
    struct carry c;
    if (rule_index_build(&c.old, old) < 0)
        return;
    if (rule_index_build(&c.neu, de) < 0) {
        free(c.old.v);
        return;
    }
    threshold_table_retain(old->thresholds, carry_keep, &c);
    threshold_table_free(de->thresholds);
    de->thresholds = old->thresholds;
    old->thresholds_moved = true;
    free(c.old.v);
    free(c.neu.v);
}

struct params_map {
    const struct detect_engine *old, *neu;
};

/* Old rule of these params -> the new engine's same rule's params, or NULL. */
static const struct anomaly_params *map_params(void *ctx, const struct anomaly_params *p)
{
    const struct params_map *m = ctx;
    const struct rule *was = NULL;
    for (size_t i = 0; i < m->old->nanomaly && !was; i++)
        if (m->old->rules[m->old->anomaly_rules[i]]->anomaly == p)
            was = m->old->rules[m->old->anomaly_rules[i]];
    for (size_t i = 0; was && i < m->neu->nanomaly; i++) {
        const struct rule *r = m->neu->rules[m->neu->anomaly_rules[i]];
        if (r->info.gid == was->info.gid && r->info.sid == was->info.sid)
            return rule_unchanged(was, r) ? r->anomaly : NULL;
    }
    return NULL;
}

void detect_thread_carry_state(struct detect_thread *dt, struct detect_thread *old)
{
    if (!old || !old->anomaly || !dt->anomaly)
        return;
    struct params_map m = { .old = old->de, .neu = dt->de };
    anomaly_state_remap(old->anomaly, map_params, &m);
    anomaly_state_free(dt->anomaly);
    dt->anomaly = old->anomaly;
    old->anomaly = NULL;
}

/* --- per worker ---------------------------------------------------------------------- */

struct detect_thread *detect_thread_new(const struct detect_engine *de)
{
    struct detect_thread *dt = calloc(1, sizeof *dt);
    if (!dt)
        return NULL;
    dt->de = de;
    size_t n = de->nrules ? de->nrules : 1;
    dt->md = pcre2_match_data_create(32, NULL);
    dt->stamp = calloc(n, sizeof *dt->stamp);
    dt->cand = malloc(n * sizeof *dt->cand);
    dt->alerts = malloc(n * sizeof *dt->alerts);
    dt->anomaly = anomaly_state_new(&de->anomaly_settings);
    if (!dt->md || !dt->stamp || !dt->cand || !dt->alerts || !dt->anomaly) {
        detect_thread_free(dt);
        return NULL;
    }
    return dt;
}

void detect_thread_free(struct detect_thread *dt)
{
    if (!dt)
        return;
    pcre2_match_data_free(dt->md);
    if (dt->anomaly)
        anomaly_state_free(dt->anomaly);    /* before the engine frees the params */
    free(dt->stamp);
    free(dt->cand);
    free(dt->alerts);
    free(dt->scratch);
    free(dt);
}

void detect_thread_expire(struct detect_thread *dt, uint64_t now_usec)
{
    if (dt->de->thresholds)
        threshold_table_expire(dt->de->thresholds, now_usec);
    if (dt->anomaly)
        anomaly_expire(dt->anomaly, now_usec);
}

/* --- matching ----------------------------------------------------------------------- */

static int packet_group(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP: return GROUP_TCP;
    case IPPROTO_UDP: return GROUP_UDP;
    case IPPROTO_ICMP:
    case IPPROTO_ICMPV6: return GROUP_ICMP;
    default: return GROUP_OTHER;
    }
}

/* Suricata's view: a TCP flow is established from the packet after the one
 * that completed the three-way handshake; other flows once both sides
 * spoke. */
static bool flow_established(const struct flow *f, const struct packet *p,
                             enum flow_direction dir)
{
    if (!f)
        return false;
    if (f->proto != IPPROTO_TCP)
        return f->pkts[FLOW_TOSERVER] > 0 && f->pkts[FLOW_TOCLIENT] > 0;
    if (f->tcp_state < FLOW_TCP_ESTABLISHED)
        return false;
    bool handshake_ack = dir == FLOW_TOSERVER && f->pkts[FLOW_TOSERVER] == 2 &&
                         (f->tcp_flags_seen[FLOW_TOSERVER] & TCP_SYN) &&
                         (p->tcp_flags & (TCP_ACK | TCP_SYN)) == TCP_ACK;
    return !handshake_ack;
}

static bool header_matches(const struct rule *r, const struct ip_addr *src, uint16_t sp,
                           const struct ip_addr *dst, uint16_t dp)
{
    if (addr_set_match(&r->src, src) && addr_set_match(&r->dst, dst) &&
        port_set_match(&r->sp, sp) && port_set_match(&r->dp, dp))
        return true;
    return r->bidir && addr_set_match(&r->src, dst) && addr_set_match(&r->dst, src) &&
           port_set_match(&r->sp, dp) && port_set_match(&r->dp, sp);
}

static bool proto_matches(const struct rule *r, uint8_t proto)
{
    if (r->ipproto == 0 || r->ipproto == proto)
        return true;
    return r->icmp_any && (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6);
}

/* The app-layer parser has the flow (and knows its protocol before nDPI does),
 * or one that answers that protocol's buffers (HTTP/2 for http.*). */
static bool flow_parser_is(const struct flow *f, uint8_t proto)
{
    if (!proto || !f->applayer)
        return false;
    const struct applayer_flow *af = f->applayer;
    return af->proto == (enum applayer_proto)proto ||
           (af->parser && (af->parser->buffers_of & (1u << proto)));
}

/* nDPI's metadata stands in for a parser's buffers on flows that parser
 * does not have, and, for HTTP, only where nDPI itself saw HTTP. */
static bool fallback_applies(const struct detect_engine *de, const struct flow *f, int proto)
{
    if (proto == APPLAYER_NONE || flow_parser_is(f, (uint8_t)proto))
        return false;
    return proto != APPLAYER_HTTP || detect_proto_is(de, f, "http");
}

/* ... and packet rules may see it yet (applayer_on_packet); by Suricata's
 * AppProtoEquals ("alert http" sees an HTTP/2 flow). */
static bool flow_parser_says(const struct flow *f, uint8_t proto)
{
    const struct applayer_parser *p = applayer_parser_of((enum applayer_proto)proto);
    return proto && p && applayer_proto_visible(f) &&
           applayer_proto_equals(p->name, applayer_flow_proto_name(f));
}

/* Where the payload keywords look for one packet: its own payload, and
 * the new bytes of its direction's reassembled stream with some context. */
struct payload_src {
    const uint8_t *pkt;         /* NULL: the packet's payload is not inspected */
    uint32_t pkt_len;
    bool pkt_in_stream;         /* its bytes were not all new and in order: the stream has them */
    const uint8_t *win;         /* NULL: no new stream bytes */
    uint32_t win_len, win_new;
    uint64_t win_base;
};

/* A pattern both in the packet and in the stream is one match: the rule is
 * evaluated once per packet, on the packet, else on the stream.  A packet
 * the stream did not take whole (held, retransmitted) is left to the
 * stream, except by rules anchored with offset/depth: on the stream those
 * count from its first byte, so a request deep in a connection would never
 * match there; they keep looking at the packet as before reassembly. */
static bool payload_matches(const struct match_env *env, const struct rule *r,
                            const struct payload_src *src)
{
    const struct inspect_list *l = &r->buf[BUF_PAYLOAD];
    bool on_packet = src->pkt && r->payload_source != RULE_PAYLOAD_STREAM &&
                     (r->payload_source == RULE_PAYLOAD_PACKET || !src->pkt_in_stream ||
                      r->payload_anchored);
    if (on_packet && inspect_buffer(env, l, src->pkt, src->pkt_len))
        return true;
    return src->win && r->payload_source != RULE_PAYLOAD_PACKET &&
           inspect_stream(env, l, src->win, src->win_len, src->win_base, src->win_new);
}

static bool rule_matches(const struct match_env *env, const struct rule *r,
                         const struct payload_src *src)
{
    const struct packet *p = env->pkt;
    if (!proto_matches(r, p->proto))
        return false;
    if (!header_matches(r, &p->src, p->src_port, &p->dst, p->dst_port))
        return false;
    uint32_t fo = r->flow_opts;
    if (fo) {
        if ((fo & FLOWOPT_TOSERVER) && env->dir != FLOW_TOSERVER)
            return false;
        if ((fo & FLOWOPT_TOCLIENT) && env->dir != FLOW_TOCLIENT)
            return false;
        bool est = (fo & (FLOWOPT_ESTABLISHED | FLOWOPT_NOT_ESTABLISHED)) &&
                   flow_established(env->flow, p, env->dir);
        if ((fo & FLOWOPT_ESTABLISHED) && !est)
            return false;
        if ((fo & FLOWOPT_NOT_ESTABLISHED) && est)
            return false;
    }
    if ((r->napp_ids || r->app_proto) && (!env->flow || (env->tx ? !flow_parser_is(env->flow, r->app_proto)
                                               : !flow_parser_says(env->flow, r->app_proto))) &&
        (!env->flow || !applayer_flow_is(env->flow, r->app_ids, r->napp_ids)))
        return false;
    for (size_t i = 0; i < r->nchecks; i++)
        if (!r->checks[i].match(env, r->checks[i].ctx))
            return false;
    uint64_t used = r->buffers_used;
    for (int b = 0; used; b++, used >>= 1) {
        if (!(used & 1))
            continue;
        if (b == BUF_PAYLOAD && src) {
            if (!payload_matches(env, r, src))
                return false;
            continue;
        }
        const uint8_t *data;
        uint32_t len;
        if (!detect_buffer_get(env, b, &data, &len))
            return false;
        if (!inspect_buffer(env, &r->buf[b], data, len))
            return false;
    }
    return true;
}

static bool fired_before(const struct flow *f, uint32_t idx)
{
    const struct detect_flow *df = f ? f->detect : NULL;
    if (!df)
        return false;
    for (uint32_t i = 0; i < df->nfired; i++)
        if (df->fired[i] == idx)
            return true;
    return false;
}

static struct detect_flow *flow_state(struct flow *f)
{
    if (!f->detect)
        f->detect = calloc(1, sizeof *f->detect);
    return f->detect;
}

static void mark_fired(struct flow *f, uint32_t idx)
{
    struct detect_flow *df = flow_state(f);
    if (!df || df->nfired >= FIRED_PER_FLOW_MAX)
        return;
    if (df->nfired == df->fired_cap) {
        uint32_t cap = df->fired_cap ? df->fired_cap * 2 : 4;
        uint32_t *nv = realloc(df->fired, cap * sizeof *nv);
        if (!nv)
            return;
        df->fired = nv;
        df->fired_cap = cap;
    }
    df->fired[df->nfired++] = idx;
}

static inline void queue_rule(struct detect_thread *dt, uint32_t idx)
{
    if (dt->stamp[idx] == dt->gen)
        return;
    dt->stamp[idx] = dt->gen;
    dt->cand[dt->ncand++] = idx;
}

static void ac_hit(void *ctx, uint32_t id)
{
    queue_rule(ctx, id);
}

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Rules run in index order.  A packet has a handful of candidates, for
 * which insertion sort beats qsort's call per comparison. */
static void sort_candidates(uint32_t *v, size_t n)
{
    if (n > 32) {
        qsort(v, n, sizeof *v, u32_cmp);
        return;
    }
    for (size_t i = 1; i < n; i++) {
        uint32_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

static bool verdict_final(const struct flow *f)
{
    return f && (f->app.state == CLASSIFY_DONE || f->app.state == CLASSIFY_GIVEN_UP);
}

static struct detect_flow *flow_state(struct flow *f);

/* As Suricata's default encryption handling: once nDPI has seen a
 * handshake through, the rest of a TLS, QUIC or SSH flow is ciphertext, in
 * which a content match is noise, and most of the bytes on a modern network.
 * Metadata rules (tls.sni, ja3.hash, ndpi-protocol, ...) still run. */
static void payload_sources(struct detect_thread *dt, const struct flow *flow,
                            const struct packet *pkt, const struct stream_view *view,
                            struct payload_src *src)
{
    memset(src, 0, sizeof *src);
    if (!dt->de->inspect_encrypted && flow && classify_payload_encrypted(&flow->app)) {
        if (pkt->payload_len) {
            dt->stats.encrypted_packets_skipped++;
            dt->stats.encrypted_bytes_skipped += pkt->payload_len;
        }
        return;
    }
    if (pkt->payload_len) {
        src->pkt = pkt->payload;
        src->pkt_len = pkt->payload_len;
        dt->stats.payload_bytes_inspected += pkt->payload_len;
    }
    if (!view)
        return;
    src->pkt_in_stream = view->kind == STREAM_PKT_PARTIAL || view->kind == STREAM_PKT_OLD;
    if (view->data && view->len > view->new_from) {
        src->win = view->data;
        src->win_len = view->len;
        src->win_new = view->new_from;
        src->win_base = view->offset;
        dt->stats.stream_bytes_inspected += view->len - view->new_from;
    }
}

/* The prefilter over a stream window: only where a fast pattern can end in
 * new bytes, and, when the new bytes are just this packet's (scanned
 * already), only across its start. */
static void scan_stream(struct detect_thread *dt, const struct proto_group *g,
                        const struct payload_src *src)
{
    uint32_t reach = g->max_fast_len ? g->max_fast_len - 1 : 0;
    uint32_t from = src->win_new > reach ? src->win_new - reach : 0;
    uint32_t to = src->win_len;
    if (src->pkt && !src->pkt_in_stream && src->win_len - src->win_new == src->pkt_len) {
        uint64_t edge = (uint64_t)src->win_new + reach;
        to = edge < to ? (uint32_t)edge : to;
    }
    if (to > from)
        ac_scan(g->ac, src->win + from, to - from, ac_hit, dt);
}

static void collect_candidates(struct detect_thread *dt, const struct proto_group *g,
                               struct flow *flow, const struct packet *pkt,
                               enum flow_direction dir, const struct payload_src *src)
{
    if (++dt->gen == 0) {
        memset(dt->stamp, 0, (dt->de->nrules ? dt->de->nrules : 1) * sizeof *dt->stamp);
        dt->gen = 1;
    }
    dt->ncand = 0;
    if (!flow || flow->pkts[dir] <= 1)
        for (size_t i = 0; i < g->niponly; i++)
            queue_rule(dt, g->iponly[i]);
    /* nDPI's verdict and metadata only change until detection is final:
     * rules on them alone need one look per direction after that. */
    if ((g->napp_static || g->has_fallback) && verdict_final(flow)) {
        struct detect_flow *df = flow_state(flow);
        if (df && !(df->app_done & (1u << dir))) {
            df->app_done |= (uint8_t)(1u << dir);
            for (size_t i = 0; i < g->napp_static; i++)
                queue_rule(dt, g->app_static[i]);
            for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
                for (size_t i = 0; fallback_applies(dt->de, flow, p) && i < g->nndpi_fallback[p]; i++)
                    queue_rule(dt, g->ndpi_fallback[p][i]);
        }
    }
    for (size_t i = 0; i < g->nanyport; i++)
        queue_rule(dt, g->anyport[i]);
    size_t lo = 0, hi = g->nbyport;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (g->byport[mid].port < pkt->dst_port)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (; lo < g->nbyport && g->byport[lo].port == pkt->dst_port; lo++)
        queue_rule(dt, g->byport[lo].rule);
    if (src->pkt)
        ac_scan(g->ac, src->pkt, src->pkt_len, ac_hit, dt);
    if (src->win)
        scan_stream(dt, g, src);
    sort_candidates(dt->cand, dt->ncand);
}

/* Thresholds decide after a match whether it becomes an alert. */
static bool thresholds_allow(struct detect_thread *dt, const struct rule *r,
                             const struct flow *flow, const struct packet *pkt)
{
    if (r->has_detection_filter &&
        !threshold_check(dt->de->thresholds, &r->detection_filter, r->info.gid, r->info.sid, flow,
                         pkt, pkt->ts_usec))
        return false;
    if (r->has_threshold &&
        !threshold_check(dt->de->thresholds, &r->threshold, r->info.gid, r->info.sid, flow, pkt,
                         pkt->ts_usec))
        return false;
    return true;
}

/* --- app-layer transactions ------------------------------------------------------ */

/* A packet with no payload, oriented as direction d of the flow: for a
 * transaction that progressed in the other direction than the packet's, and
 * for flow end. */
static void oriented_packet(const struct flow *flow, enum flow_direction d, uint64_t ts_usec,
                          uint64_t pcap_cnt, struct packet *out)
{
    memset(out, 0, sizeof *out);
    out->ts_usec = ts_usec;
    out->pcap_cnt = pcap_cnt;
    out->proto = flow->proto;
    out->ip_version = flow->client.family;
    out->src = d == FLOW_TOSERVER ? flow->client : flow->server;
    out->dst = d == FLOW_TOSERVER ? flow->server : flow->client;
    out->src_port = d == FLOW_TOSERVER ? flow->client_port : flow->server_port;
    out->dst_port = d == FLOW_TOSERVER ? flow->server_port : flow->client_port;
}

static bool tx_fired(const struct applayer_tx *tx, uint32_t idx)
{
    for (uint32_t i = 0; i < tx->nfired; i++)
        if (tx->fired[i] == idx)
            return true;
    return false;
}

static void tx_mark_fired(struct applayer_tx *tx, uint32_t idx)
{
    if (tx->nfired >= FIRED_PER_FLOW_MAX)
        return;
    if (tx->nfired == tx->fired_cap) {
        uint32_t cap = tx->fired_cap ? tx->fired_cap * 2 : 4;
        uint32_t *nv = realloc(tx->fired, cap * sizeof *nv);
        if (!nv)
            return;
        tx->fired = nv;
        tx->fired_cap = cap;
    }
    tx->fired[tx->nfired++] = idx;
}

/* The transaction rules worth evaluating: those without a fast pattern, and
 * those whose pattern occurs in its buffer of this transaction. */
static void collect_tx_candidates(struct detect_thread *dt, const struct match_env *env)
{
    const struct detect_engine *de = dt->de;
    if (++dt->gen == 0) {
        memset(dt->stamp, 0, (de->nrules ? de->nrules : 1) * sizeof *dt->stamp);
        dt->gen = 1;
    }
    dt->ncand = 0;
    for (size_t i = 0; i < de->ntx_plain; i++)
        queue_rule(dt, de->tx_plain[i]);
    for (int b = 0; b < BUF_COUNT; b++) {
        const uint8_t *data;
        uint32_t len;
        if (de->tx_ac[b] && detect_buffer_get(env, b, &data, &len))
            ac_scan(de->tx_ac[b], data, len, ac_hit, dt);
    }
    sort_candidates(dt->cand, dt->ncand);
}

static void emit_tx_alert(const struct alert_sink *sink, const struct flow *flow,
                          const struct packet *pkt, const struct rule_info *info,
                          const struct applayer_tx *tx)
{
    if (!sink)
        return;
    if (sink->emit_tx)
        sink->emit_tx(sink->ctx, flow, pkt, info, tx);
    else
        sink->emit(sink->ctx, flow, pkt, info, NULL);
}

/* Every transaction rule once on one transaction seen from direction d. */
static void detect_one_tx(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                          enum flow_direction d, struct applayer_tx *tx,
                          const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    struct applayer_flow *af = flow->applayer;
    struct match_env env = { de, dt, flow, pkt, d, af->parser, af->state, tx };
    collect_tx_candidates(dt, &env);
    dt->nalerts = 0;
    for (size_t i = 0; i < dt->ncand; i++) {
        const struct rule *r = de->rules[dt->cand[i]];
        if ((r->tx_proto != (uint8_t)af->parser->proto &&
             !(af->parser->buffers_of & (1u << r->tx_proto))) || tx_fired(tx, r->index))
            continue;
        if (!pkt->payload_len && r->buf[BUF_PAYLOAD].n)
            continue;
        if (!rule_matches(&env, r, NULL))
            continue;
        tx_mark_fired(tx, r->index);
        for (size_t a = 0; a < r->nactions; a++)
            r->actions[a].apply(&env, r->actions[a].ctx);
        if (r->info.action == RULE_ACTION_PASS) {
            struct detect_flow *df = flow_state(flow);
            if (df)
                df->passed = true;
            dt->nalerts = 0;
            break;
        }
        if (r->noalert || !thresholds_allow(dt, r, flow, pkt))
            continue;
        dt->alerts[dt->nalerts++] = r->index;
    }
    for (size_t i = 0; i < dt->nalerts; i++)
        emit_tx_alert(sink, flow, pkt, &de->rules[dt->alerts[i]]->info, tx);
}

/* Each transaction that progressed since the last look, in each direction it
 * progressed in: rules fire as the request and then the response complete,
 * once per transaction.  pkt is NULL at flow end. */
static void detect_transactions(struct detect_thread *dt, struct flow *flow,
                                const struct packet *pkt, enum flow_direction dir,
                                const struct alert_sink *sink)
{
    struct applayer_flow *af = flow->applayer;
    if (dt->de->ntx_rules == 0 || !af || !af->parser)
        return;
    size_t n = af->parser->tx_count(af->state);
    for (size_t i = 0; i < n; i++) {
        struct applayer_tx *tx = af->parser->tx_at(af->state, i);
        for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++) {
            if (!(tx->changed & (1u << d)))
                continue;
            if (flow->detect && flow->detect->passed)
                return;
            struct packet pseudo;
            const struct packet *p = pkt;
            if (!pkt || (int)dir != d) {
                oriented_packet(flow, (enum flow_direction)d, pkt ? pkt->ts_usec : flow->last_usec,
                              pkt ? pkt->pcap_cnt : 0, &pseudo);
                p = &pseudo;
            }
            detect_one_tx(dt, flow, p, (enum flow_direction)d, tx, sink);
        }
    }
}

void detect_packet(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                   enum flow_direction dir, const struct alert_sink *sink)
{
    detect_packet_stream(dt, flow, pkt, dir, NULL, sink);
}

void detect_packet_stream(struct detect_thread *dt, struct flow *flow, const struct packet *pkt,
                          enum flow_direction dir, const struct stream_view *view,
                          const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    if (de->nrules == 0 || (flow && flow->detect && flow->detect->passed))
        return;
    const struct proto_group *g = &de->groups[packet_group(pkt->proto)];
    struct payload_src src;
    payload_sources(dt, flow, pkt, view, &src);
    collect_candidates(dt, g, flow, pkt, dir, &src);
    struct match_env env = { de, dt, flow, pkt, dir, NULL, NULL, NULL };
    dt->nalerts = 0;
    for (size_t i = 0; i < dt->ncand; i++) {
        const struct rule *r = de->rules[dt->cand[i]];
        if (r->tx_proto && flow && flow_parser_is(flow, r->tx_proto))
            continue;       /* the parser's transactions serve it (detect_transactions) */
        if (r->app_layer && (!verdict_final(flow) || fired_before(flow, r->index)))
            continue;       /* no verdict, no metadata yet; or fired already */
        if (r->buf[BUF_PAYLOAD].n && !src.pkt && !src.win)
            continue;
        if (!rule_matches(&env, r, &src))
            continue;
        if (r->app_layer && flow)
            mark_fired(flow, r->index);
        for (size_t a = 0; a < r->nactions && flow; a++)
            r->actions[a].apply(&env, r->actions[a].ctx);
        if (r->info.action == RULE_ACTION_PASS) {
            struct detect_flow *df = flow ? flow_state(flow) : NULL;
            if (df)
                df->passed = true;
            dt->nalerts = 0;
            break;
        }
        if (r->anomaly) {
            anomaly_on_packet(dt->anomaly, r->anomaly, &r->info, flow, pkt, dir, sink);
            continue;
        }
        if (r->noalert || !thresholds_allow(dt, r, flow, pkt))
            continue;
        dt->alerts[dt->nalerts++] = r->index;
    }
    for (size_t i = 0; i < dt->nalerts && sink; i++)
        sink->emit(sink->ctx, flow, pkt, &de->rules[dt->alerts[i]]->info, NULL);
    if (flow && flow->applayer)
        detect_transactions(dt, flow, pkt, dir, sink);
}

/* The packet-less view of one direction of a flow, for flow-end checks. */
static void pseudo_packet(const struct flow *flow, enum flow_direction d, struct packet *pseudo)
{
    memset(pseudo, 0, sizeof *pseudo);
    pseudo->ts_usec = flow->last_usec;
    pseudo->proto = flow->proto;
    pseudo->ip_version = flow->client.family;
    pseudo->src = d == FLOW_TOSERVER ? flow->client : flow->server;
    pseudo->dst = d == FLOW_TOSERVER ? flow->server : flow->client;
    pseudo->src_port = d == FLOW_TOSERVER ? flow->client_port : flow->server_port;
    pseudo->dst_port = d == FLOW_TOSERVER ? flow->server_port : flow->client_port;
}

/* Stream bytes that only the flow's end released (held data behind a gap
 * that never filled): the stream-capable payload rules get one look at
 * them, like Suricata's flow-timeout pseudo packets.  No packet, so header
 * and flow checks see the flow's endpoints. */
static void stream_end_dir(struct detect_thread *dt, struct flow *flow, enum flow_direction d,
                           const struct stream_view *view, const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    const struct proto_group *g = &de->groups[GROUP_TCP];
    struct packet pseudo;
    pseudo_packet(flow, d, &pseudo);
    struct payload_src src;
    payload_sources(dt, flow, &pseudo, view, &src);
    if (!src.win)
        return;
    if (++dt->gen == 0) {
        memset(dt->stamp, 0, (de->nrules ? de->nrules : 1) * sizeof *dt->stamp);
        dt->gen = 1;
    }
    dt->ncand = 0;
    for (size_t i = 0; i < g->nanyport; i++)
        queue_rule(dt, g->anyport[i]);
    for (size_t i = 0; i < g->nbyport; i++)
        if (g->byport[i].port == pseudo.dst_port)
            queue_rule(dt, g->byport[i].rule);
    scan_stream(dt, g, &src);
    sort_candidates(dt->cand, dt->ncand);
    struct match_env env = { de, dt, flow, &pseudo, d, NULL, NULL, NULL };
    for (size_t i = 0; i < dt->ncand; i++) {
        const struct rule *r = de->rules[dt->cand[i]];
        if (!r->buf[BUF_PAYLOAD].n || r->payload_source == RULE_PAYLOAD_PACKET || r->anomaly ||
            r->info.action == RULE_ACTION_PASS || (r->app_layer && fired_before(flow, r->index)))
            continue;
        if (!rule_matches(&env, r, &src))
            continue;
        if (r->app_layer)
            mark_fired(flow, r->index);
        for (size_t a = 0; a < r->nactions; a++)
            r->actions[a].apply(&env, r->actions[a].ctx);
        if (r->noalert || !thresholds_allow(dt, r, flow, &pseudo))
            continue;
        if (sink)
            sink->emit(sink->ctx, flow, NULL, &r->info, NULL);
    }
}

void detect_stream_end(struct detect_thread *dt, struct flow *flow,
                       const struct stream_view *views, const struct alert_sink *sink)
{
    if (dt->de->nrules == 0 || flow->proto != IPPROTO_TCP || (flow->detect && flow->detect->passed))
        return;
    for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++)
        stream_end_dir(dt, flow, (enum flow_direction)d, &views[d], sink);
}

static void detect_flow_free(struct detect_flow *df)
{
    if (!df)
        return;
    free(df->bits);
    free(df->fired);
    free(df);
}

/* nDPI often completes its metadata only when the flow ends (a DNS query
 * without an answer, a flow given up on): like Suricata's flow-timeout
 * pseudo packets, app-layer rules that have not fired yet get one last look
 * in each direction.  Their alerts carry no packet. */
static void flow_end_rules_run(struct detect_thread *dt, struct flow *flow,
                               const struct match_env *env, const uint32_t *rules, size_t n,
                               const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    for (size_t i = 0; i < n; i++) {
        const struct rule *r = de->rules[rules[i]];
        if (fired_before(flow, r->index) || !rule_matches(env, r, NULL))
            continue;
        mark_fired(flow, r->index);
        for (size_t a = 0; a < r->nactions; a++)
            r->actions[a].apply(env, r->actions[a].ctx);
        if (r->noalert || !thresholds_allow(dt, r, flow, env->pkt))
            continue;
        if (sink)
            sink->emit(sink->ctx, flow, NULL, &r->info, NULL);
    }
}

static void detect_flow_end_app_layer(struct detect_thread *dt, struct flow *flow,
                                      const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    if (flow->detect && flow->detect->passed)
        return;
    for (int d = FLOW_TOSERVER; d <= FLOW_TOCLIENT; d++) {
        struct packet pseudo;
        oriented_packet(flow, (enum flow_direction)d, flow->last_usec, 0, &pseudo);
        struct match_env env = { de, dt, flow, &pseudo, (enum flow_direction)d, NULL, NULL, NULL };
        flow_end_rules_run(dt, flow, &env, de->flow_end_rules, de->nflow_end, sink);
        for (int p = 0; p < APPLAYER_PROTO_COUNT; p++)
            if (de->nflow_end_fallback[p] && fallback_applies(de, flow, p))
                flow_end_rules_run(dt, flow, &env, de->flow_end_fallback[p],
                                   de->nflow_end_fallback[p], sink);
    }
}

size_t detect_flow_memory(const struct flow *flow)
{
    const struct detect_flow *df = flow->detect;
    if (!df)
        return 0;
    return sizeof *df + (size_t)df->bits_cap * sizeof *df->bits + (size_t)df->fired_cap * sizeof *df->fired;
}

void detect_flow_end(struct detect_thread *dt, struct flow *flow, const struct alert_sink *sink)
{
    const struct detect_engine *de = dt->de;
    if (flow->applayer && !(flow->detect && flow->detect->passed))
        detect_transactions(dt, flow, NULL, FLOW_TOSERVER, sink);
    detect_flow_end_app_layer(dt, flow, sink);
    for (size_t i = 0; i < de->nanomaly && dt->anomaly; i++) {
        const struct rule *r = de->rules[de->anomaly_rules[i]];
        if (!proto_matches(r, flow->proto))
            continue;
        if (!header_matches(r, &flow->client, flow->client_port, &flow->server,
                            flow->server_port))
            continue;
        anomaly_on_flow_end(dt->anomaly, r->anomaly, &r->info, flow, sink);
    }
    detect_flow_free(flow->detect);
    flow->detect = NULL;
}

void detect_thread_stats(const struct detect_thread *dt, struct detect_thread_stats *out)
{
    *out = dt->stats;
}

void detect_thread_anomaly_stats(const struct detect_thread *dt, struct anomaly_stats *out)
{
    anomaly_get_stats(dt->anomaly, out);
}
