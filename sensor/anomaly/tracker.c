/* The detectors' bounded memory: one hash table per rule, each entry on
 * the rule's LRU list, capped per rule (max-tracked) and for the whole state
 * (anomaly.memcap), expired by packet time.  Also the small fixed-size
 * structures detectors keep inside entries: distinct sets, rings, evidence. */
#include "anomaly/anomaly_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/siphash.h"

#define TABLE_MIN_BUCKETS 64
#define EXPIRE_PER_EVENT 4        /* amortised expiry work per event */

struct rule_table {
    const struct anomaly_params *params;
    struct tracker **buckets;
    size_t nbuckets, count;
    struct tracker *oldest, *newest;  /* LRU: oldest first */
    uint64_t ttl_usec;
    size_t data_size;
    struct hash_key hash_key;      /* random: the key's addresses come off the wire */
};

struct anomaly_state {
    struct rule_table **tables;
    const struct anomaly_params **owners;   /* tables[i]->params, contiguous: the lookup
                                             * runs per packet and per anomaly rule */
    size_t ntables, cap;
    uint64_t memcap;
    uint32_t max_tracked;          /* default per rule */
    uint64_t clock;                /* latest packet time seen */
    struct anomaly_stats stats;
};

void anomaly_settings_load(struct anomaly_settings *out, const struct config *cfg,
                           struct diag *diag)
{
    out->memcap = 64u << 20;
    out->max_tracked = 65536;
    if (!cfg)
        return;
    out->memcap = (uint64_t)config_get_size(cfg, "anomaly.memcap", (int64_t)out->memcap,
                                           64 * 1024, (int64_t)1 << 40, diag);
    out->max_tracked = (uint32_t)config_get_int(cfg, "anomaly.max-tracked", out->max_tracked,
                                                1, 1 << 24, diag);
}

struct anomaly_state *anomaly_state_new(const struct anomaly_settings *settings)
{
    struct anomaly_state *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    struct anomaly_settings defaults;
    if (!settings) {
        anomaly_settings_load(&defaults, NULL, NULL);
        settings = &defaults;
    }
    st->memcap = settings->memcap;
    st->max_tracked = settings->max_tracked;
    return st;
}

static void table_free(struct rule_table *t)
{
    struct tracker *e = t->oldest;
    while (e) {
        struct tracker *next = e->lru_next;
        free(e);
        e = next;
    }
    free(t->buckets);
    free(t);
}

void anomaly_state_free(struct anomaly_state *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->ntables; i++)
        table_free(st->tables[i]);
    free(st->tables);
    free(st->owners);
    free(st);
}

void anomaly_state_remap(struct anomaly_state *st,
                         const struct anomaly_params *(*map)(void *ctx, const struct anomaly_params *p),
                         void *ctx)
{
    size_t kept = 0;
    for (size_t i = 0; i < st->ntables; i++) {
        struct rule_table *t = st->tables[i];
        const struct anomaly_params *p = map(ctx, st->owners[i]);
        if (!p) {
            for (const struct tracker *e = t->oldest; e; e = e->lru_next) {
                st->stats.tracked_entries--;
                st->stats.memory_bytes -= e->size;
            }
            table_free(t);
            continue;
        }
        t->params = p;
        st->owners[kept] = p;
        st->tables[kept++] = t;
    }
    st->ntables = kept;
}

void anomaly_get_stats(const struct anomaly_state *st, struct anomaly_stats *out)
{
    memset(out, 0, sizeof *out);
    if (st)
        *out = st->stats;
}

struct anomaly_stats *anomaly_state_stats(struct anomaly_state *st)
{
    return &st->stats;
}

uint32_t anomaly_hash_bytes(const void *data, size_t len, uint32_t seed)
{
    /* FNV-1a with a final avalanche: cheap, and fine for a capped table
     * whose worst case is bounded by max-tracked anyway. */
    const unsigned char *p = data;
    uint32_t h = 2166136261u ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    return h;
}

struct rule_table *tracker_table(struct anomaly_state *st, const struct anomaly_params *p)
{
    for (size_t i = 0; i < st->ntables; i++)
        if (st->owners[i] == p)
            return st->tables[i];
    if (st->ntables == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 8;
        struct rule_table **grown = realloc(st->tables, cap * sizeof(struct rule_table *));
        if (!grown)
            return NULL;
        st->tables = grown;
        const struct anomaly_params **owners = realloc(st->owners, cap * sizeof *owners);
        if (!owners)
            return NULL;
        st->owners = owners;
        st->cap = cap;
    }
    struct rule_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->buckets = calloc(TABLE_MIN_BUCKETS, sizeof(struct tracker *));
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->nbuckets = TABLE_MIN_BUCKETS;
    hash_key_random(&t->hash_key);
    t->params = p;
    uint64_t span = p->window_usec > p->suppress_usec ? p->window_usec : p->suppress_usec;
    uint32_t windows = p->det->ttl_windows ? p->det->ttl_windows : 1;
    t->ttl_usec = span * windows;
    t->data_size = p->det->data_size ? p->det->data_size(p) : 0;
    st->owners[st->ntables] = p;
    st->tables[st->ntables++] = t;
    return t;
}

static uint32_t key_hash(const struct rule_table *t, const struct anomaly_key *k)
{
    return (uint32_t)siphash13(&t->hash_key, k, sizeof *k);
}

static void lru_unlink(struct rule_table *t, struct tracker *e)
{
    /* Ends compared by identity (not by NULL links): says plainly to a
     * static analyser that the list heads never keep a removed entry. */
    if (t->oldest == e)
        t->oldest = e->lru_next;
    else if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    if (t->newest == e)
        t->newest = e->lru_prev;
    else if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    if (t->oldest)
        t->oldest->lru_prev = NULL;
    if (t->newest)
        t->newest->lru_next = NULL;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_append(struct rule_table *t, struct tracker *e)
{
    e->lru_prev = t->newest;
    e->lru_next = NULL;
    if (t->newest)
        t->newest->lru_next = e;
    else
        t->oldest = e;
    t->newest = e;
}

/* Takes e out of its table; the caller frees or reuses it. */
static void entry_detach(struct anomaly_state *st, struct rule_table *t, struct tracker *e)
{
    struct tracker **pp = &t->buckets[e->hash & (t->nbuckets - 1)];
    while (*pp && *pp != e)
        pp = &(*pp)->hash_next;
    if (*pp)
        *pp = e->hash_next;
    lru_unlink(t, e);
    t->count--;
    st->stats.tracked_entries--;
    st->stats.memory_bytes -= e->size;
}

static void entry_remove(struct anomaly_state *st, struct rule_table *t, struct tracker *e)
{
    entry_detach(st, t, e);
    free(e);
}

static void table_grow(struct rule_table *t)
{
    size_t n = t->nbuckets * 2;
    struct tracker **b = calloc(n, sizeof(struct tracker *));
    if (!b)
        return;               /* keep the old, longer chains */
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct tracker *e = t->buckets[i];
        while (e) {
            struct tracker *next = e->hash_next;
            size_t j = e->hash & (n - 1);
            e->hash_next = b[j];
            b[j] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

static void table_expire(struct anomaly_state *st, struct rule_table *t, uint64_t now,
                         size_t budget)
{
    struct tracker *e = t->oldest;
    for (; e && budget > 0 && e->last_usec + t->ttl_usec < now; budget--) {
        struct tracker *next = e->lru_next;   /* the oldest after e */
        entry_remove(st, t, e);
        e = next;
    }
}

void anomaly_expire(struct anomaly_state *st, uint64_t now_usec)
{
    if (!st)
        return;
    if (now_usec > st->clock)
        st->clock = now_usec;
    for (size_t i = 0; i < st->ntables; i++)
        table_expire(st, st->tables[i], st->clock, SIZE_MAX);
}

/* Makes room for size more bytes: this rule's oldest first, then the
 * largest other table's oldest.  An evicted entry of exactly this size is
 * handed back in *reuse (a scan evicts one entry per new one: recycling
 * spares the allocator).  False when nothing is left to evict. */
static bool make_room(struct anomaly_state *st, struct rule_table *t, size_t size,
                      struct tracker **reuse)
{
    while (st->stats.memory_bytes + size > st->memcap) {
        struct rule_table *victim = t->oldest ? t : NULL;
        for (size_t i = 0; !victim && i < st->ntables; i++)
            if (st->tables[i]->oldest && (!victim || st->tables[i]->count > victim->count))
                victim = st->tables[i];
        if (!victim)
            return false;
        struct tracker *e = victim->oldest;
        entry_detach(st, victim, e);
        st->stats.evictions++;
        if (!*reuse && e->size == size)
            *reuse = e;
        else
            free(e);
    }
    return true;
}

struct tracker *tracker_get(struct anomaly_ctx *c, const struct anomaly_key *key, bool *created)
{
    struct anomaly_state *st = c->st;
    struct rule_table *t = c->table;
    *created = false;
    if (c->now > st->clock)
        st->clock = c->now;
    table_expire(st, t, st->clock, EXPIRE_PER_EVENT);

    uint32_t hash = key_hash(t, key);
    for (struct tracker *e = t->buckets[hash & (t->nbuckets - 1)]; e; e = e->hash_next) {
        if (e->hash != hash || memcmp(&e->key, key, sizeof *key) != 0)
            continue;
        e->last_usec = st->clock;
        if (e != t->newest) {
            lru_unlink(t, e);
            lru_append(t, e);
        }
        return e;
    }

    size_t size = sizeof(struct tracker) + (key->tag == TAG_DATA ? t->data_size : 0);
    struct tracker *e = NULL;
    /* A rule's own max-tracked, else anomaly.max-tracked. */
    uint32_t limit = c->params->max_tracked ? c->params->max_tracked : st->max_tracked;
    while (t->count >= limit && t->oldest) {
        struct tracker *old = t->oldest;
        entry_detach(st, t, old);
        st->stats.evictions++;
        if (!e && old->size == size)
            e = old;
        else
            free(old);
    }
    if (!make_room(st, t, size, &e)) {
        free(e);
        st->stats.dropped++;
        return NULL;
    }
    if (e)
        memset(e, 0, size);
    else if (!(e = calloc(1, size))) {
        st->stats.dropped++;
        return NULL;
    }
    e->key = *key;
    e->hash = hash;
    e->first_usec = c->now;
    e->last_usec = st->clock;
    e->size = (uint32_t)size;
    if (t->count >= t->nbuckets)
        table_grow(t);
    struct tracker **head = &t->buckets[hash & (t->nbuckets - 1)];
    e->hash_next = *head;
    *head = e;
    lru_append(t, e);
    t->count++;
    st->stats.tracked_entries++;
    st->stats.memory_bytes += size;
    *created = true;
    return e;
}

size_t tracker_longest_chain(const struct rule_table *t)
{
    size_t longest = 0;
    for (size_t i = 0; i < t->nbuckets; i++) {
        size_t n = 0;
        for (const struct tracker *e = t->buckets[i]; e; e = e->hash_next)
            n++;
        if (n > longest)
            longest = n;
    }
    return longest;
}

bool tracker_suppressed(struct anomaly_ctx *c, const struct anomaly_key *key)
{
    bool created;
    struct tracker *e = tracker_get(c, key, &created);
    if (!e)
        return false;         /* cannot remember: better a duplicate than silence */
    if (!created && e->until_usec > c->now) {
        c->st->stats.suppressed++;
        return true;
    }
    e->until_usec = c->now + c->params->suppress_usec;
    return false;
}

/* --- distinct sets: linear probing, backward-shift deletion --- */

static uint32_t mix32(uint32_t v)
{
    v ^= v >> 16;
    v *= 0x7feb352du;
    v ^= v >> 15;
    v *= 0x846ca68bu;
    v ^= v >> 16;
    return v;
}

static uint32_t dset_slots(uint32_t threshold)
{
    uint32_t n = 8;
    while (n < threshold * 2u && n < (1u << 30))
        n *= 2;
    return n;
}

size_t dset_size(uint32_t threshold)
{
    return sizeof(struct dset) + dset_slots(threshold) * sizeof(struct dset_slot);
}

void dset_init(struct dset *s, uint32_t threshold)
{
    s->nslots = dset_slots(threshold);
    s->cap = threshold ? threshold : 1;
    dset_clear(s);
}

void dset_clear(struct dset *s)
{
    s->live = 0;
    memset(s->slot, 0, s->nslots * sizeof s->slot[0]);
}

static void dset_remove_at(struct dset *s, uint32_t i)
{
    uint32_t mask = s->nslots - 1;
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        if (!s->slot[j].used)
            break;
        uint32_t home = mix32(s->slot[j].value) & mask;
        /* Move j back into the hole at i unless its home lies in (i, j]. */
        bool in_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (in_between)
            continue;
        s->slot[i] = s->slot[j];
        i = j;
    }
    s->slot[i].used = 0;
    s->live--;
}

void dset_expire(struct dset *s, uint64_t now, uint64_t window)
{
    if (now < window)
        return;
    uint64_t cutoff = now - window;
    bool removed = true;
    while (removed) {
        removed = false;
        for (uint32_t i = 0; i < s->nslots; i++) {
            while (s->slot[i].used && s->slot[i].ts < cutoff) {
                dset_remove_at(s, i);
                removed = true;
            }
        }
    }
}

static int dset_find(const struct dset *s, uint32_t value, uint32_t *at)
{
    uint32_t mask = s->nslots - 1;
    uint32_t i = mix32(value) & mask;
    while (s->slot[i].used) {
        if (s->slot[i].value == value) {
            *at = i;
            return 1;
        }
        i = (i + 1) & mask;
    }
    *at = i;
    return 0;
}

int dset_add(struct dset *s, uint32_t value, uint64_t ts, uint64_t window)
{
    uint32_t at;
    if (dset_find(s, value, &at)) {
        if (ts > s->slot[at].ts)
            s->slot[at].ts = ts;
        return 0;
    }
    if (s->live >= s->cap) {
        dset_expire(s, ts, window);
        if (s->live >= s->cap)
            return 0;
        dset_find(s, value, &at);
    }
    s->slot[at].used = 1;
    s->slot[at].value = value;
    s->slot[at].ts = ts;
    s->live++;
    if (s->live >= s->cap)        /* at the threshold: count only the window */
        dset_expire(s, ts, window);
    return 1;
}

/* --- evidence strings --- */

size_t evlist_size(uint32_t max, uint32_t width)
{
    return sizeof(struct evlist) + (size_t)max * width;
}

void evlist_init(struct evlist *e, uint32_t max, uint32_t width)
{
    e->max = (uint16_t)max;
    e->width = (uint16_t)width;
    evlist_clear(e);
}

void evlist_clear(struct evlist *e)
{
    e->n = 0;
}

void evlist_add(struct evlist *e, const char *s)
{
    if (e->n >= e->max || e->width < 4)
        return;
    char *dst = e->text + (size_t)e->n * e->width;
    size_t len = strlen(s);
    if (len < e->width) {
        memcpy(dst, s, len + 1);
    } else {   /* keep it recognisably cut */
        memcpy(dst, s, e->width - 4u);
        memcpy(dst + e->width - 4, "...", 4);
    }
    e->n++;
}

size_t evlist_view(const struct evlist *e, const char **out, size_t max)
{
    size_t n = e->n < max ? e->n : max;
    for (size_t i = 0; i < n; i++)
        out[i] = e->text + i * e->width;
    return n;
}

/* --- rings of event times --- */

size_t ring_size(uint32_t cap)
{
    return sizeof(struct ring) + (size_t)(cap ? cap : 1) * sizeof(uint64_t);
}

void ring_init(struct ring *r, uint32_t cap)
{
    r->cap = cap ? cap : 1;
    ring_clear(r);
}

void ring_clear(struct ring *r)
{
    r->n = r->head = 0;
}

void ring_push(struct ring *r, uint64_t ts)
{
    r->ts[r->head] = ts;
    r->head = (r->head + 1) % r->cap;
    if (r->n < r->cap)
        r->n++;
}

uint64_t ring_span(const struct ring *r)
{
    if (!r->n)
        return 0;
    uint64_t min = UINT64_MAX, max = 0;
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->ts[i] < min)
            min = r->ts[i];
        if (r->ts[i] > max)
            max = r->ts[i];
    }
    return max - min;
}

/* --- distinct values with evidence ------------------------------------------- */

static size_t distinct_set_bytes(const struct anomaly_params *p)
{
    return anomaly_align8(dset_size(p->threshold));
}

size_t distinct_data_size(const struct anomaly_params *p, uint32_t width)
{
    return distinct_set_bytes(p) + evlist_size(p->evidence, width);
}

void distinct_seen(struct anomaly_ctx *c, const struct anomaly_key *key, uint32_t value,
                   const char *text, uint32_t width, uint64_t ts, const char *kind)
{
    const struct anomaly_params *p = c->params;
    bool created;
    struct tracker *t = tracker_get(c, key, &created);
    if (!t)
        return;
    struct dset *set = tracker_part(t, 0);
    struct evlist *ev = tracker_part(t, distinct_set_bytes(p));
    if (created) {
        dset_init(set, p->threshold);
        evlist_init(ev, p->evidence, width);
    }
    if (dset_add(set, value, ts, p->window_usec))
        evlist_add(ev, text);
    if (set->live < p->threshold)
        return;
    const char *evidence[ANOMALY_MAX_EVIDENCE];
    size_t n = evlist_view(ev, evidence, ANOMALY_MAX_EVIDENCE);
    anomaly_emit(c, kind, set->live, 0, evidence, n);
    dset_clear(set);
    evlist_clear(ev);
}
