/* threshold and detection_filter state: one counter per (rule, kind, track
 * key) in a fixed-size pool with a hash index and an LRU list, so memory is
 * bounded and the least recently used entry goes first when the pool is full.
 * Windows run on packet time; a window that has passed behaves exactly like
 * an entry never seen, so expiry and eviction of stale entries are invisible. */
#include "detect/threshold.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* ---------------------------------------------------------------- parsing */

struct name_value {
    const char *name;
    int value;
};

static const struct name_value kind_names[] = {
    {"threshold", THRESHOLD_THRESHOLD}, {"limit", THRESHOLD_LIMIT}, {"both", THRESHOLD_BOTH},
};
static const struct name_value track_names[] = {
    {"by_src", THRESHOLD_TRACK_BY_SRC},   {"by_dst", THRESHOLD_TRACK_BY_DST},
    {"by_rule", THRESHOLD_TRACK_BY_RULE}, {"by_both", THRESHOLD_TRACK_BY_BOTH},
    {"by_flow", THRESHOLD_TRACK_BY_FLOW},
};
static const struct name_value unique_names[] = {
    {"src_port", UNIQUE_SRC_PORT}, {"dst_port", UNIQUE_DST_PORT},
};

#define NAMES_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Ten years: longer windows are surely typos and would only pin entries. */
#define THRESHOLD_MAX_SECONDS (10ull * 366 * 86400)

static int lookup_name(const struct name_value *names, size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i].name, word) == 0)
            return names[i].value;
    return -1;
}

static int parse_number(const char *word, uint64_t max, uint64_t *out)
{
    if (!isdigit((unsigned char)word[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(word, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

enum opt_bit { OPT_TYPE = 1, OPT_TRACK = 2, OPT_COUNT = 4, OPT_SECONDS = 8, OPT_UNIQUE = 16 };

static const struct {
    const char *name;
    unsigned bit;
} option_names[] = {
    {"type", OPT_TYPE},       {"track", OPT_TRACK},         {"count", OPT_COUNT},
    {"seconds", OPT_SECONDS}, {"unique_on", OPT_UNIQUE},
};

/* Handles one "name value" pair; returns -1 with err set on a bad one. */
static int parse_option(const char *what, bool is_df, const char *name, const char *value,
                        unsigned *seen, struct threshold_spec *spec, char *err, size_t errlen)
{
    unsigned bit = 0;
    for (size_t i = 0; i < NAMES_LEN(option_names); i++)
        if (strcmp(option_names[i].name, name) == 0)
            bit = option_names[i].bit;
    if (bit == 0) {
        snprintf(err, errlen, "%s: unknown option '%s' (expected %s)", what, name,
                 is_df ? "track, count, seconds, unique_on" : "type, track, count, seconds");
        return -1;
    }
    if (is_df && bit == OPT_TYPE) {
        snprintf(err, errlen, "%s: 'type' is not valid here (use threshold: for types)", what);
        return -1;
    }
    if (!is_df && bit == OPT_UNIQUE) {
        snprintf(err, errlen, "%s: 'unique_on' is only valid in detection_filter", what);
        return -1;
    }
    if (*seen & bit) {
        snprintf(err, errlen, "%s: '%s' given twice", what, name);
        return -1;
    }
    if (value[0] == '\0') {
        snprintf(err, errlen, "%s: '%s' needs a value", what, name);
        return -1;
    }
    *seen |= bit;

    int v;
    uint64_t n;
    switch (bit) {
    case OPT_TYPE:
        if ((v = lookup_name(kind_names, NAMES_LEN(kind_names), value)) < 0) {
            snprintf(err, errlen, "%s: type '%s' is not supported (expected threshold, limit or both)",
                     what, value);
            return -1;
        }
        spec->kind = (enum threshold_kind)v;
        return 0;
    case OPT_TRACK:
        if ((v = lookup_name(track_names, NAMES_LEN(track_names), value)) < 0) {
            snprintf(err, errlen,
                     "%s: track '%s' is not supported (expected by_src, by_dst, by_rule, by_both or by_flow)",
                     what, value);
            return -1;
        }
        spec->track = (enum threshold_track)v;
        return 0;
    case OPT_COUNT:
        if (parse_number(value, UINT32_MAX, &n) < 0) {
            snprintf(err, errlen, "%s: count '%s' is not a number from 1 to %u", what, value,
                     UINT32_MAX);
            return -1;
        }
        spec->count = (uint32_t)n;
        return 0;
    case OPT_SECONDS:
        if (parse_number(value, THRESHOLD_MAX_SECONDS, &n) < 0) {
            snprintf(err, errlen, "%s: seconds '%s' is not a number from 1 to %llu", what, value,
                     (unsigned long long)THRESHOLD_MAX_SECONDS);
            return -1;
        }
        spec->seconds_usec = n * 1000000u;
        return 0;
    default:
        if ((v = lookup_name(unique_names, NAMES_LEN(unique_names), value)) < 0) {
            snprintf(err, errlen, "%s: unique_on '%s' is not supported (expected src_port or dst_port)",
                     what, value);
            return -1;
        }
        spec->unique_on = (enum threshold_unique)v;
        return 0;
    }
}

int threshold_parse(const char *value, bool is_detection_filter, struct threshold_spec *spec,
                    char *err, size_t errlen)
{
    const char *what = is_detection_filter ? "detection_filter" : "threshold";
    char buf[512];
    if (value == NULL || strlen(value) >= sizeof buf) {
        snprintf(err, errlen, "%s: value missing or too long", what);
        return -1;
    }
    memcpy(buf, value, strlen(value) + 1);
    if (buf[strspn(buf, " \t")] == '\0') {
        snprintf(err, errlen, "%s: empty value", what);
        return -1;
    }
    memset(spec, 0, sizeof *spec);
    spec->kind = is_detection_filter ? THRESHOLD_DETECTION_FILTER : THRESHOLD_THRESHOLD;
    spec->unique_on = UNIQUE_NONE;

    unsigned seen = 0;
    for (char *part = buf, *next; part; part = next) {
        next = strchr(part, ',');
        if (next)
            *next++ = '\0';
        char *name = part, *rest;
        while (isspace((unsigned char)*name))
            name++;
        for (rest = name; *rest && !isspace((unsigned char)*rest); rest++)
            ;
        if (*rest)
            *rest++ = '\0';
        while (isspace((unsigned char)*rest))
            rest++;
        char *end = rest + strlen(rest);
        while (end > rest && isspace((unsigned char)end[-1]))
            *--end = '\0';
        if (name[0] == '\0') {
            snprintf(err, errlen, "%s: empty option (stray comma?)", what);
            return -1;
        }
        for (char *p = rest; *p; p++)
            if (isspace((unsigned char)*p)) {
                snprintf(err, errlen, "%s: '%s' takes one value, got '%s'", what, name, rest);
                return -1;
            }
        if (parse_option(what, is_detection_filter, name, rest, &seen, spec, err, errlen) < 0)
            return -1;
    }

    unsigned required = OPT_TRACK | OPT_COUNT | OPT_SECONDS | (is_detection_filter ? 0u : OPT_TYPE);
    for (size_t i = 0; i < NAMES_LEN(option_names); i++)
        if ((required & option_names[i].bit) && !(seen & option_names[i].bit)) {
            snprintf(err, errlen, "%s: missing '%s'", what, option_names[i].name);
            return -1;
        }
    return 0;
}

/* ------------------------------------------------------------ distinct ports */

/* Distinct ports of one window.  Only count+1 distinct values are ever needed
 * (alerting starts once count is exceeded), so the set is an open-addressing
 * table sized for that many, or a 65536-bit bitmap when that is smaller. */
struct port_set {
    uint32_t cap;               /* slots (power of two); 0 = bitmap */
    uint32_t size;
    uint32_t bytes;             /* allocation size, for the table's memory cap */
    uint32_t pad;
    uint32_t slots[];           /* port+1, 0 = empty; or the bitmap words */
};

#define PORT_BITMAP_WORDS (65536 / 32)
#define PORT_SET_MIN_CAP 8u

static size_t port_set_bytes_for(uint32_t count)
{
    uint64_t need = (uint64_t)count + 1;
    uint64_t cap = PORT_SET_MIN_CAP;
    while (cap < need * 2 && cap <= PORT_BITMAP_WORDS)
        cap *= 2;
    if (cap > PORT_BITMAP_WORDS)
        cap = PORT_BITMAP_WORDS;    /* bitmap: same number of words */
    return sizeof(struct port_set) + cap * sizeof(uint32_t);
}

static struct port_set *port_set_new(uint32_t count)
{
    size_t bytes = port_set_bytes_for(count);
    struct port_set *s = calloc(1, bytes);
    if (!s)
        return NULL;
    uint32_t words = (uint32_t)((bytes - sizeof *s) / sizeof(uint32_t));
    uint64_t need = (uint64_t)count + 1;
    s->cap = (words == PORT_BITMAP_WORDS && need * 2 > PORT_BITMAP_WORDS) ? 0 : words;
    s->bytes = (uint32_t)bytes;
    return s;
}

static void port_set_clear(struct port_set *s)
{
    uint32_t words = s->cap ? s->cap : PORT_BITMAP_WORDS;
    memset(s->slots, 0, words * sizeof(uint32_t));
    s->size = 0;
}

/* Adds port; true if it was not there.  A full hash set (more than count+1
 * values, which the caller never needs) reports nothing new. */
static bool port_set_add(struct port_set *s, uint16_t port)
{
    if (s->cap == 0) {
        uint32_t bit = 1u << (port & 31);
        if (s->slots[port >> 5] & bit)
            return false;
        s->slots[port >> 5] |= bit;
        s->size++;
        return true;
    }
    if (s->size * 2 >= s->cap)
        return false;
    uint32_t mask = s->cap - 1;
    uint32_t i = ((uint32_t)port * 0x9E3779B1u) >> 16 & mask;
    for (;; i = (i + 1) & mask) {
        if (s->slots[i] == (uint32_t)port + 1)
            return false;
        if (s->slots[i] == 0) {
            s->slots[i] = (uint32_t)port + 1;
            s->size++;
            return true;
        }
    }
}

/* ------------------------------------------------------------------ table */

struct th_key {
    uint32_t gid, sid;
    uint8_t kind, track, pad[6];
    uint64_t flow_id;
    struct ip_addr a, b;
};

struct th_entry {
    struct th_key key;
    uint32_t hash;
    uint32_t hnext;             /* next in bucket chain, index+1, 0 = end */
    uint32_t lru_prev, lru_next;    /* index+1, 0 = none; head = most recent */
    uint64_t window_start, window_end;
    uint32_t count;             /* matches in this window */
    uint32_t distinct;          /* distinct ports in this window (unique_on) */
    struct port_set *ports;
    bool used;
};

struct threshold_table {
    pthread_mutex_t lock;
    struct th_entry *entries;
    uint32_t *buckets;          /* index+1, 0 = empty */
    uint32_t bucket_mask;
    uint32_t max_entries, used;
    uint64_t used_count;        /* = used, as a counter for threshold_table_entries */
    uint32_t free_head;         /* chain of released entries through hnext */
    uint32_t fresh;             /* entries below this index+1 have been used */
    uint32_t lru_head, lru_tail;
    uint64_t seed;
    uint64_t min_window_end;    /* no entry ends before this: expire is O(1) until then */
    uint64_t evictions;
    uint64_t port_bytes, port_bytes_max, port_alloc_failures;
};

#define THRESHOLD_DEFAULT_ENTRIES 65536u
/* Distinct-port sets together may use this much per table entry. */
#define PORT_BYTES_PER_ENTRY 1024u

static uint64_t mix64(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    h *= 0xc4ceb9fe1a85ec53ull;
    h ^= h >> 33;
    return h;
}

static uint32_t key_hash(const struct threshold_table *t, const struct th_key *k)
{
    uint64_t h = t->seed;
    uint64_t words[sizeof *k / 8 + 1] = {0};
    memcpy(words, k, sizeof *k);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        h = mix64(h ^ words[i]) + i;
    return (uint32_t)(h ^ (h >> 32));
}

struct threshold_table *threshold_table_new(size_t max_entries)
{
    if (max_entries == 0)
        max_entries = THRESHOLD_DEFAULT_ENTRIES;
    if (max_entries > (1u << 28))
        max_entries = 1u << 28;
    struct threshold_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    uint32_t nb = 16;
    while (nb < max_entries)
        nb *= 2;
    t->entries = calloc(max_entries, sizeof *t->entries);
    t->buckets = calloc(nb, sizeof *t->buckets);
    if (!t->entries || !t->buckets || pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t->entries);
        free(t->buckets);
        free(t);
        return NULL;
    }
    t->bucket_mask = nb - 1;
    t->max_entries = (uint32_t)max_entries;
    /* Entries are taken in index order before any is reused, so the pages
     * of a table that never fills are never touched. */
    if (getrandom(&t->seed, sizeof t->seed, GRND_NONBLOCK) != sizeof t->seed)
        t->seed = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull ^ (uintptr_t)t;
    t->min_window_end = UINT64_MAX;
    t->port_bytes_max = (uint64_t)t->max_entries * PORT_BYTES_PER_ENTRY;
    if (t->port_bytes_max < (1u << 20))
        t->port_bytes_max = 1u << 20;
    return t;
}

void threshold_table_free(struct threshold_table *t)
{
    if (!t)
        return;
    for (uint32_t i = 0; i < t->fresh; i++)     /* none above fresh was ever used */
        free(t->entries[i].ports);
    pthread_mutex_destroy(&t->lock);
    free(t->entries);
    free(t->buckets);
    free(t);
}

/* Counters are read under the lock: workers may be counting meanwhile. */
static uint64_t read_counter(const struct threshold_table *t, const uint64_t *field)
{
    if (!t)
        return 0;
    pthread_mutex_t *lock = (pthread_mutex_t *)&t->lock;
    pthread_mutex_lock(lock);
    uint64_t v = *field;
    pthread_mutex_unlock(lock);
    return v;
}

uint64_t threshold_table_evictions(const struct threshold_table *t)
{
    return t ? read_counter(t, &t->evictions) : 0;
}

size_t threshold_table_entries(const struct threshold_table *t)
{
    return t ? (size_t)read_counter(t, &t->used_count) : 0;
}

uint64_t threshold_table_port_alloc_failures(const struct threshold_table *t)
{
    return t ? read_counter(t, &t->port_alloc_failures) : 0;
}

static void lru_unlink(struct threshold_table *t, uint32_t idx)
{
    struct th_entry *e = &t->entries[idx - 1];
    if (e->lru_prev)
        t->entries[e->lru_prev - 1].lru_next = e->lru_next;
    else
        t->lru_head = e->lru_next;
    if (e->lru_next)
        t->entries[e->lru_next - 1].lru_prev = e->lru_prev;
    else
        t->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = 0;
}

static void lru_push_front(struct threshold_table *t, uint32_t idx)
{
    struct th_entry *e = &t->entries[idx - 1];
    e->lru_prev = 0;
    e->lru_next = t->lru_head;
    if (t->lru_head)
        t->entries[t->lru_head - 1].lru_prev = idx;
    t->lru_head = idx;
    if (!t->lru_tail)
        t->lru_tail = idx;
}

static void entry_remove(struct threshold_table *t, uint32_t idx)
{
    struct th_entry *e = &t->entries[idx - 1];
    uint32_t *link = &t->buckets[e->hash & t->bucket_mask];
    while (*link != idx)
        link = &t->entries[*link - 1].hnext;
    *link = e->hnext;
    lru_unlink(t, idx);
    if (e->ports) {
        t->port_bytes -= e->ports->bytes;
        free(e->ports);
    }
    memset(e, 0, sizeof *e);
    e->hnext = t->free_head;
    t->free_head = idx;
    t->used--;
    t->used_count = t->used;
}

/* A new entry for key: from the free list, else the least recently used one
 * (an eviction, unless its window had passed anyway). */
static uint32_t entry_new(struct threshold_table *t, const struct th_key *key, uint32_t hash,
                          uint64_t now)
{
    if (!t->free_head && t->fresh == t->max_entries) {
        uint32_t victim = t->lru_tail;
        if (now < t->entries[victim - 1].window_end)
            t->evictions++;
        entry_remove(t, victim);
    }
    uint32_t idx;
    if (t->free_head) {
        idx = t->free_head;
        t->free_head = t->entries[idx - 1].hnext;
    } else {
        idx = ++t->fresh;
    }
    struct th_entry *e = &t->entries[idx - 1];
    memset(e, 0, sizeof *e);
    e->key = *key;
    e->hash = hash;
    e->used = true;
    uint32_t *bucket = &t->buckets[hash & t->bucket_mask];
    e->hnext = *bucket;
    *bucket = idx;
    lru_push_front(t, idx);
    t->used++;
    t->used_count = t->used;
    return idx;
}

static uint32_t entry_find(struct threshold_table *t, const struct th_key *key, uint32_t hash)
{
    for (uint32_t idx = t->buckets[hash & t->bucket_mask]; idx; idx = t->entries[idx - 1].hnext) {
        const struct th_entry *e = &t->entries[idx - 1];
        if (e->hash == hash && memcmp(&e->key, key, sizeof *key) == 0)
            return idx;
    }
    return 0;
}

static void set_addr(struct ip_addr *dst, const struct ip_addr *src)
{
    if (src)
        *dst = *src;
}

/* The pair in a fixed order, so both directions count as one (Suricata's by_both). */
static void set_pair(struct th_key *k, const struct ip_addr *x, const struct ip_addr *y)
{
    if (x && y && memcmp(x, y, sizeof *x) > 0) {
        const struct ip_addr *tmp = x;
        x = y;
        y = tmp;
    }
    set_addr(&k->a, x);
    set_addr(&k->b, y);
}

static void make_key(struct th_key *k, const struct threshold_spec *spec, uint32_t gid,
                     uint32_t sid, const struct flow *flow, const struct packet *pkt)
{
    memset(k, 0, sizeof *k);
    k->gid = gid;
    k->sid = sid;
    k->kind = (uint8_t)spec->kind;
    k->track = (uint8_t)spec->track;
    const struct ip_addr *src = pkt ? &pkt->src : NULL, *dst = pkt ? &pkt->dst : NULL;
    switch (spec->track) {
    case THRESHOLD_TRACK_BY_SRC:
        set_addr(&k->a, src);
        break;
    case THRESHOLD_TRACK_BY_DST:
        set_addr(&k->a, dst);
        break;
    case THRESHOLD_TRACK_BY_BOTH:
        set_pair(k, src, dst);
        break;
    case THRESHOLD_TRACK_BY_FLOW:
        if (flow) {
            /* flow_id is derived from the key and start time; the endpoints
             * make a collision between two live flows harmless. */
            k->flow_id = flow->flow_id;
            set_addr(&k->a, &flow->client);
            set_addr(&k->b, &flow->server);
        } else {
            set_pair(k, src, dst);  /* no flow: the address pair stands in */
        }
        break;
    case THRESHOLD_TRACK_BY_RULE:
        break;
    }
}

/* Counts one distinct-port observation; false when the set could not be
 * allocated (then the plain match count serves, and a counter says so). */
static bool count_distinct(struct threshold_table *t, struct th_entry *e,
                           const struct threshold_spec *spec, const struct packet *pkt)
{
    if (!e->ports) {
        size_t bytes = port_set_bytes_for(spec->count);
        if (t->port_bytes + bytes > t->port_bytes_max || !(e->ports = port_set_new(spec->count))) {
            t->port_alloc_failures++;
            return false;
        }
        t->port_bytes += bytes;
    }
    uint16_t port = 0;
    if (pkt)
        port = spec->unique_on == UNIQUE_SRC_PORT ? pkt->src_port : pkt->dst_port;
    if (port_set_add(e->ports, port))
        e->distinct++;
    return true;
}

static bool decide(const struct threshold_spec *spec, struct th_entry *e, bool distinct_ok)
{
    switch (spec->kind) {
    case THRESHOLD_THRESHOLD:
        if (e->count >= spec->count) {
            e->count = 0;       /* alert every count-th match; the window runs on */
            return true;
        }
        return false;
    case THRESHOLD_LIMIT:
        return e->count <= spec->count;
    case THRESHOLD_BOTH:
        return e->count == spec->count;
    case THRESHOLD_DETECTION_FILTER:
        if (spec->unique_on != UNIQUE_NONE && distinct_ok)
            return e->distinct > spec->count;
        return e->count > spec->count;
    }
    return true;
}

bool threshold_check(struct threshold_table *t, const struct threshold_spec *spec,
                     uint32_t gid, uint32_t sid, const struct flow *flow,
                     const struct packet *pkt, uint64_t now_usec)
{
    if (!t || !spec)
        return true;
    struct th_key key;
    make_key(&key, spec, gid, sid, flow, pkt);
    uint32_t hash = key_hash(t, &key);

    pthread_mutex_lock(&t->lock);
    uint32_t idx = entry_find(t, &key, hash);
    if (idx) {
        lru_unlink(t, idx);
        lru_push_front(t, idx);
    } else {
        idx = entry_new(t, &key, hash, now_usec);
    }
    struct th_entry *e = &t->entries[idx - 1];
    /* A new entry or a passed window: start a window at this match.  A packet
     * older than the window start (out-of-order input) counts in it. */
    if (e->window_end == 0 || now_usec >= e->window_end) {
        e->window_start = now_usec;
        e->window_end = now_usec + spec->seconds_usec;
        e->count = 0;
        e->distinct = 0;
        if (e->ports)
            port_set_clear(e->ports);
        if (e->window_end < t->min_window_end)
            t->min_window_end = e->window_end;
    }
    if (e->count < UINT32_MAX)
        e->count++;
    bool distinct_ok = spec->kind == THRESHOLD_DETECTION_FILTER && spec->unique_on != UNIQUE_NONE
                       && count_distinct(t, e, spec, pkt);
    bool alert = decide(spec, e, distinct_ok);
    pthread_mutex_unlock(&t->lock);
    return alert;
}

void threshold_table_retain(struct threshold_table *t, bool (*keep)(void *ctx, uint32_t gid, uint32_t sid),
                            void *ctx)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    for (uint32_t i = 0; i < t->fresh; i++) {      /* entries beyond were never used */
        struct th_entry *e = &t->entries[i];
        if (e->used && !keep(ctx, e->key.gid, e->key.sid))
            entry_remove(t, i + 1);
    }
    pthread_mutex_unlock(&t->lock);
}

void threshold_table_expire(struct threshold_table *t, uint64_t now_usec)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    if (now_usec >= t->min_window_end) {
        uint64_t min_end = UINT64_MAX;
        /* entries above fresh were never used: not walking them keeps their
         * pages untouched (the scan was most of a small table's cost) */
        for (uint32_t i = 0; i < t->fresh; i++) {
            struct th_entry *e = &t->entries[i];
            if (!e->used)
                continue;
            if (now_usec >= e->window_end)
                entry_remove(t, i + 1);
            else if (e->window_end < min_end)
                min_end = e->window_end;
        }
        t->min_window_end = min_end;
    }
    pthread_mutex_unlock(&t->lock);
}
