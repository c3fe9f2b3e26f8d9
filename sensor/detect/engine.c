/* The detection engine's lifecycle: load (rule files, then build), free,
 * the reload carry of unchanged rules' state, the per-worker detect_thread,
 * and the services keywords call at parse and match time.  Loading is in
 * load.c, building the groups and prefilters in build.c, matching in
 * match.c; the structs they share are in engine_int.h.  The threshold table
 * is the engine's, shared by the workers under its lock: a by_src count
 * must see a source's flows whichever worker has them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/classify.h"
#include "detect/dataset.h"
#include "detect/engine_int.h"
#include "util/array.h"

#define FLOWBITS_MAX 65535
#define THRESHOLD_TABLE_MAX 65536

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
        char **nv = array_grow(de->flowbits, &de->flowbits_cap, sizeof *nv, 16);
        if (!nv)
            return -1;
        de->flowbits = nv;
    }
    char *copy = strdup(name);
    if (!copy)
        return -1;
    de->flowbits[de->nflowbits] = copy;
    return (int)de->nflowbits++;
}

size_t detect_app_ids(struct detect_engine *de, const char *name, int *ids, size_t max)
{
    struct app_ids_memo *m = NULL;
    for (size_t i = 0; i < de->napp_memo && !m; i++)
        if (strcmp(de->app_memo[i].name, name) == 0)
            m = &de->app_memo[i];
    if (!m && (strlen(name) >= sizeof m->name || de->napp_memo == APP_IDS_MEMO))
        return applayer_ids(de, name, ids, max);
    if (!m) {
        m = &de->app_memo[de->napp_memo++];
        strcpy(m->name, name);
        m->n = applayer_ids(de, name, m->ids, sizeof m->ids / sizeof *m->ids);
    }
    /* applayer_ids keeps the first max ids: a prefix of the memo's */
    size_t n = m->n < max ? m->n : max;
    memcpy(ids, m->ids, n * sizeof *ids);
    return n;
}

/* A copy of set into out; -1 when out of memory. */
static int addr_set_copy(struct addr_set *out, const struct addr_set *set)
{
    *out = *set;
    if (!set->n)
        return 0;
    out->r = malloc(set->n * sizeof *out->r);
    if (!out->r)
        return -1;
    memcpy(out->r, set->r, set->n * sizeof *out->r);
    return 0;
}

int detect_parse_addr_set(struct detect_engine *de, const char *text, struct addr_set *out,
                          char *err, size_t errlen)
{
    for (size_t i = 0; i < de->naddr_memo; i++) {
        if (strcmp(de->addr_memo[i].text, text) != 0)
            continue;
        if (addr_set_copy(out, &de->addr_memo[i].set) == 0)
            return 0;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (parse_addr_set(de->cfg.config, text, out, err, errlen) < 0)
        return -1;
    if (de->naddr_memo == ADDR_SET_MEMO)
        return 0;       /* not remembered: parsed again next time */
    struct addr_set_memo *m = &de->addr_memo[de->naddr_memo];
    if (!(m->text = strdup(text)))
        return 0;
    if (addr_set_copy(&m->set, out) < 0) {
        free(m->text);
        return 0;
    }
    de->naddr_memo++;
    return 0;
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
    engine_load_rules(de);
    if (engine_build(de) < 0)
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
        if (!de->groups[g].ac_shared)
            ac_free(de->groups[g].ac);
    }
    free(de->anomaly_rules);
    free(de->flow_end_rules);
    free(de->flow_end_symmetric);
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++) {
        prefilter_free(&de->flow_end_fallback[p]);
        prefilter_free(&de->ndpi_fallback[p]);
    }
    prefilter_free(&de->tx[FLOW_TOSERVER]);
    prefilter_free(&de->tx[FLOW_TOCLIENT]);
    for (size_t i = 0; i < de->naddr_memo; i++) {
        free(de->addr_memo[i].text);
        free(de->addr_memo[i].set.r);
    }
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
    dt->flow_end_seen = calloc(de->nflow_end ? de->nflow_end : 1, sizeof *dt->flow_end_seen);
    dt->anomaly = anomaly_state_new(&de->anomaly_settings);
    if (!dt->md || !dt->stamp || !dt->cand || !dt->alerts || !dt->anomaly || !dt->flow_end_seen) {
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
    free(dt->flow_end_seen);
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


void detect_thread_stats(const struct detect_thread *dt, struct detect_thread_stats *out)
{
    *out = dt->stats;
}

void detect_thread_anomaly_stats(const struct detect_thread *dt, struct anomaly_stats *out)
{
    anomaly_get_stats(dt->anomaly, out);
}
