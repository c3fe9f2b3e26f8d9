/* Datasets: open-addressing hash sets (power-of-two, linear probing, seeded
 * SipHash-1-3) whose slots point at immutable entries in an append-only
 * arena.  Readers load the table and slots with acquire semantics and never
 * lock; writers (set, unset, load) serialise on a mutex, publish a filled
 * entry with one release store, and rebuild into a new table when it fills.
 * Entries and retired tables are therefore only freed with the dataset,
 * and a memory cap bounds what set/unset churn can consume. */
#include "detect/dataset.h"
#include "util/array.h"
#include "util/path.h"
#include "util/siphash.h"
#include "util/text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define DATASET_DEFAULT_MEMCAP (512u << 20)
#define DATASET_MAX_LINE 65536      /* a longer line is reported and skipped */
#define DATASET_MAX_VALUE (1u << 20) /* longest string value a set accepts */
#define DATASET_MAX_LINE_DIAGS 20   /* bad lines reported one by one per file */
#define ARENA_CHUNK (1u << 20)
#define TABLE_MIN_CAP 16u

struct ds_entry {
    uint64_t hash;
    uint32_t len;
    uint8_t removed;            /* only read and written under the dataset lock */
    uint8_t runtime;            /* added by a rule (set), not loaded from the file */
    uint8_t pad[2];
    uint8_t data[];
};

/* A slot is 0 (empty), SLOT_TOMBSTONE, or an entry pointer with the top 16
 * bits of its hash in the pointer's unused top 16 bits, so that probing past
 * other values rarely touches their entries (one cache miss per lookup). */
typedef uint64_t slot_t;
#define SLOT_TOMBSTONE ((slot_t)1)
#define SLOT_PTR_BITS 48
#define SLOT_PTR_MASK ((((slot_t)1) << SLOT_PTR_BITS) - 1)

struct ds_table {
    size_t mask;
    _Atomic slot_t slots[];
};

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(8) uint8_t bytes[];
};

struct dataset {
    struct dataset *next;       /* registry list */
    char *name;
    char *load_path;            /* resolved path of the loaded file, or NULL */
    enum dataset_type type;
    size_t value_len;           /* fixed length for non-string types, 0 for string */
    struct hash_key key;        /* SipHash key (util/siphash.h) */
    bool loading;               /* load_file runs: entries are the file's (under lock) */

    _Atomic(struct ds_table *) table;
    _Atomic size_t size;

    pthread_mutex_t lock;       /* writers only */
    size_t used_slots;          /* live + tombstones in the current table */
    struct ds_table **retired;  /* older tables readers may still be walking */
    size_t n_retired, retired_cap;
    struct arena_chunk *arena_first, *arena_last;
    size_t memory, memcap;
};

struct dataset_registry {
    pthread_mutex_t lock;
    struct dataset *first;
    size_t memcap;
    char *data_dir;             /* a second directory set files may come from, or NULL */
};

static slot_t slot_tag(uint64_t hash)
{
    return hash & ~SLOT_PTR_MASK;
}

static slot_t slot_make(struct ds_entry *e)
{
    return slot_tag(e->hash) | (slot_t)(uintptr_t)e;
}

static struct ds_entry *slot_entry(slot_t s)
{
    return (struct ds_entry *)(uintptr_t)(s & SLOT_PTR_MASK); // NOLINT(performance-no-int-to-ptr)
}

/* Large blocks on 2 MiB boundaries with transparent huge pages where the
 * kernel allows them: a million-entry set is then a few TLB entries. */
#define HUGE_PAGE (2u << 20)

static void *big_alloc(size_t bytes)
{
    if (bytes < HUGE_PAGE)
        return malloc(bytes);
    void *p = NULL;
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0)
        return NULL;
    madvise(p, bytes & ~(size_t)(HUGE_PAGE - 1), MADV_HUGEPAGE);
    return p;
}

/* ------------------------------------------------------------------ types */

static const struct {
    const char *name;
    enum dataset_type type;
    size_t value_len;
} type_table[] = {
    {"string", DATASET_STRING, 0}, {"ipv4", DATASET_IPV4, 4},     {"ipv6", DATASET_IPV6, 16},
    {"ip", DATASET_IPV6, 16},      {"md5", DATASET_MD5, 16},      {"sha256", DATASET_SHA256, 32},
};

#define TYPE_TABLE_LEN (sizeof type_table / sizeof type_table[0])

int dataset_type_from_name(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < TYPE_TABLE_LEN; i++)
        if (strcmp(type_table[i].name, name) == 0)
            return (int)type_table[i].type;
    return -1;
}

static const char *type_name(enum dataset_type type)
{
    for (size_t i = 0; i < TYPE_TABLE_LEN; i++)
        if (type_table[i].type == type)
            return type_table[i].name;
    return "?";
}

static size_t type_value_len(enum dataset_type type)
{
    for (size_t i = 0; i < TYPE_TABLE_LEN; i++)
        if (type_table[i].type == type)
            return type_table[i].value_len;
    return 0;
}

/* --------------------------------------------------------------- the set */

static size_t table_bytes(size_t cap)
{
    return sizeof(struct ds_table) + cap * sizeof(_Atomic slot_t);
}

static struct ds_table *table_new(size_t cap)
{
    struct ds_table *t = big_alloc(table_bytes(cap));
    if (!t)
        return NULL;
    t->mask = cap - 1;
    for (size_t i = 0; i < cap; i++)
        atomic_init(&t->slots[i], 0);
    return t;
}

static struct dataset *dataset_new(const char *name, enum dataset_type type, size_t memcap)
{
    struct dataset *ds = calloc(1, sizeof *ds);
    if (!ds)
        return NULL;
    ds->name = strdup(name);
    struct ds_table *t = table_new(TABLE_MIN_CAP);
    if (!ds->name || !t || pthread_mutex_init(&ds->lock, NULL) != 0) {
        free(ds->name);
        free(t);
        free(ds);
        return NULL;
    }
    ds->type = type;
    ds->value_len = type_value_len(type);
    hash_key_random(&ds->key);
    atomic_init(&ds->table, t);
    atomic_init(&ds->size, 0);
    ds->memory = sizeof *ds + table_bytes(TABLE_MIN_CAP);
    ds->memcap = memcap;
    return ds;
}

static void dataset_free(struct dataset *ds)
{
    free(atomic_load_explicit(&ds->table, memory_order_relaxed));
    for (size_t i = 0; i < ds->n_retired; i++)
        free(ds->retired[i]);
    free(ds->retired);
    for (struct arena_chunk *c = ds->arena_first, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_mutex_destroy(&ds->lock);
    free(ds->name);
    free(ds->load_path);
    free(ds);
}

static size_t entry_bytes(size_t len)
{
    return (sizeof(struct ds_entry) + len + 7) & ~(size_t)7;
}

static struct ds_entry *arena_alloc(struct dataset *ds, size_t len)
{
    size_t need = entry_bytes(len);
    struct arena_chunk *c = ds->arena_last;
    if (!c || c->cap - c->used < need) {
        /* chunks grow from 4 KiB to 1 MiB: small sets stay small */
        size_t cap = c ? c->cap * 2 : 4096;
        if (cap > ARENA_CHUNK)
            cap = ARENA_CHUNK;
        if (cap < need)
            cap = need;
        if (ds->memory + sizeof *c + cap > ds->memcap)
            return NULL;
        c = big_alloc(sizeof *c + cap);
        if (!c)
            return NULL;
        if (((uintptr_t)c + sizeof *c + cap) >> SLOT_PTR_BITS) {
            free(c);    /* cannot happen with 4-level page tables */
            return NULL;
        }
        c->next = NULL;
        c->used = 0;
        c->cap = cap;
        if (ds->arena_last)
            ds->arena_last->next = c;
        else
            ds->arena_first = c;
        ds->arena_last = c;
        ds->memory += sizeof *c + cap;
    }
    struct ds_entry *e = (struct ds_entry *)(void *)(c->bytes + c->used);
    c->used += need;
    return e;
}

/* Moves every live entry into a table with room for twice as many (or for
 * `expect` entries), then publishes it; the old one stays readable until the
 * dataset is freed. */
static int table_rebuild(struct dataset *ds, size_t expect)
{
    struct ds_table *old = atomic_load_explicit(&ds->table, memory_order_relaxed);
    size_t live = atomic_load_explicit(&ds->size, memory_order_relaxed);
    size_t cap = TABLE_MIN_CAP;
    if (expect < live + 1)
        expect = live + 1;
    while (cap < expect * 2)
        cap *= 2;
    if (cap < old->mask + 1 && live * 8 > old->mask + 1)
        cap = old->mask + 1;    /* shrink only when mostly empty */
    if (ds->n_retired == ds->retired_cap) {
        struct ds_table **r = array_grow(ds->retired, &ds->retired_cap, sizeof *r, 8);
        if (!r)
            return -1;
        ds->retired = r;
    }
    if (ds->memory + table_bytes(cap) > ds->memcap)
        return -1;
    struct ds_table *t = table_new(cap);
    if (!t)
        return -1;
    for (size_t i = 0; i <= old->mask; i++) {
        slot_t sl = atomic_load_explicit(&old->slots[i], memory_order_relaxed);
        if (sl == 0 || sl == SLOT_TOMBSTONE)
            continue;
        size_t j = slot_entry(sl)->hash & t->mask;
        while (atomic_load_explicit(&t->slots[j], memory_order_relaxed))
            j = (j + 1) & t->mask;
        atomic_store_explicit(&t->slots[j], sl, memory_order_relaxed);
    }
    atomic_store_explicit(&ds->table, t, memory_order_release);
    ds->retired[ds->n_retired++] = old;
    ds->memory += table_bytes(cap);
    ds->used_slots = live;
    return 0;
}

/* Normalises a value to the set's stored form; false if it cannot be one. */
static bool normalise(const struct dataset *ds, const uint8_t **value, size_t *len,
                      uint8_t tmp[16])
{
    if (!*value)
        *value = (const uint8_t *)"";   /* the empty value (len is 0 here) */
    if (ds->type == DATASET_STRING)
        return *len <= DATASET_MAX_VALUE;
    if (ds->type == DATASET_IPV6 && *len == 4) {
        /* IPv4 in an ip set: the first four bytes, as struct ip_addr keeps it */
        memset(tmp, 0, 16);
        memcpy(tmp, *value, 4);
        *value = tmp;
        *len = 16;
    }
    return *len == ds->value_len;
}

bool dataset_contains(const struct dataset *ds, const uint8_t *value, size_t len)
{
    uint8_t tmp[16];
    if (!ds || (!value && len) || !normalise(ds, &value, &len, tmp))
        return false;
    uint64_t h = siphash13(&ds->key, value, len);
    slot_t tag = slot_tag(h);
    struct ds_table *t = atomic_load_explicit(&((struct dataset *)ds)->table, memory_order_acquire);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        slot_t sl = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        if (sl == 0)
            return false;
        if ((sl & ~SLOT_PTR_MASK) != tag || sl == SLOT_TOMBSTONE)
            continue;
        const struct ds_entry *e = slot_entry(sl);
        if (e->hash == h && e->len == len && memcmp(e->data, value, len) == 0)
            return true;
    }
}

/* Under ds->lock.  Finds value's slot, or the slot an insert should use. */
static size_t probe_locked(struct ds_table *t, uint64_t h, const uint8_t *value, size_t len,
                           bool *found)
{
    size_t reuse = SIZE_MAX;
    slot_t tag = slot_tag(h);
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        slot_t sl = atomic_load_explicit(&t->slots[i], memory_order_relaxed);
        if (sl == 0) {
            *found = false;
            return reuse != SIZE_MAX ? reuse : i;
        }
        if (sl == SLOT_TOMBSTONE) {
            if (reuse == SIZE_MAX)
                reuse = i;
            continue;
        }
        if ((sl & ~SLOT_PTR_MASK) != tag)
            continue;
        const struct ds_entry *e = slot_entry(sl);
        if (e->hash == h && e->len == len && memcmp(e->data, value, len) == 0) {
            *found = true;
            return i;
        }
    }
}

static int add_locked(struct dataset *ds, const uint8_t *value, size_t len)
{
    uint64_t h = siphash13(&ds->key, value, len);
    struct ds_table *t = atomic_load_explicit(&ds->table, memory_order_relaxed);
    bool found;
    size_t i = probe_locked(t, h, value, len, &found);
    if (found)
        return 0;
    bool reuses_tombstone = atomic_load_explicit(&t->slots[i], memory_order_relaxed) == SLOT_TOMBSTONE;
    if (!reuses_tombstone && (ds->used_slots + 1) * 4 > (t->mask + 1) * 3) {
        if (table_rebuild(ds, 0) < 0)
            return -1;
        t = atomic_load_explicit(&ds->table, memory_order_relaxed);
        i = probe_locked(t, h, value, len, &found);
    }
    struct ds_entry *e = arena_alloc(ds, len);
    if (!e)
        return -1;
    e->hash = h;
    e->len = (uint32_t)len;
    e->removed = 0;
    e->runtime = !ds->loading;
    if (len)
        memcpy(e->data, value, len);
    if (atomic_load_explicit(&t->slots[i], memory_order_relaxed) == 0)
        ds->used_slots++;
    atomic_store_explicit(&t->slots[i], slot_make(e), memory_order_release);
    atomic_fetch_add_explicit(&ds->size, 1, memory_order_relaxed);
    return 1;
}

int dataset_add(struct dataset *ds, const uint8_t *value, size_t len)
{
    uint8_t tmp[16];
    if (!ds || (!value && len) || !normalise(ds, &value, &len, tmp))
        return -1;
    pthread_mutex_lock(&ds->lock);
    int rc = add_locked(ds, value, len);
    pthread_mutex_unlock(&ds->lock);
    return rc;
}

static bool remove_locked(struct dataset *ds, const uint8_t *value, size_t len)
{
    uint64_t h = siphash13(&ds->key, value, len);
    struct ds_table *t = atomic_load_explicit(&ds->table, memory_order_relaxed);
    bool found;
    size_t i = probe_locked(t, h, value, len, &found);
    if (found) {
        slot_entry(atomic_load_explicit(&t->slots[i], memory_order_relaxed))->removed = 1;
        atomic_store_explicit(&t->slots[i], SLOT_TOMBSTONE, memory_order_release);
        atomic_fetch_sub_explicit(&ds->size, 1, memory_order_relaxed);
    }
    return found;
}

int dataset_remove(struct dataset *ds, const uint8_t *value, size_t len)
{
    uint8_t tmp[16];
    if (!ds || (!value && len) || !normalise(ds, &value, &len, tmp))
        return 0;
    pthread_mutex_lock(&ds->lock);
    bool found = remove_locked(ds, value, len);
    pthread_mutex_unlock(&ds->lock);
    return found ? 1 : 0;
}

size_t dataset_size(const struct dataset *ds)
{
    return ds ? atomic_load_explicit(&((struct dataset *)ds)->size, memory_order_relaxed) : 0;
}

enum dataset_type dataset_get_type(const struct dataset *ds)
{
    return ds->type;
}

const char *dataset_get_name(const struct dataset *ds)
{
    return ds->name;
}

size_t dataset_memory(const struct dataset *ds)
{
    return ds ? ds->memory : 0;
}

void dataset_set_memcap(struct dataset *ds, size_t bytes)
{
    pthread_mutex_lock(&ds->lock);
    ds->memcap = bytes;
    pthread_mutex_unlock(&ds->lock);
}

/* ------------------------------------------------------- file formats */

/* RFC 4648 base64, padding optional; out needs len*3/4 bytes.  Returns the
 * decoded length or -1 with why set. */
static long b64_decode(const char *in, size_t len, uint8_t *out, const char **why)
{
    while (len > 0 && in[len - 1] == '=')
        len--;
    uint32_t acc = 0;
    int bits = 0;
    long n = 0;
    for (size_t i = 0; i < len; i++) {
        int v = text_base64_digit((unsigned char)in[i]);
        if (v < 0) {
            *why = in[i] == '=' ? "'=' padding in the middle" : "character outside the base64 alphabet";
            return -1;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (uint8_t)(acc >> bits);
        }
    }
    if (len % 4 == 1) {
        *why = "truncated (length is not a base64 length)";
        return -1;
    }
    return n;
}

/* Parses one line's value into out (raw form); -1 with why set on error. */
static long parse_value(enum dataset_type type, const char *s, size_t len, uint8_t *out,
                        const char **why)
{
    char text[INET6_ADDRSTRLEN + 1];
    switch (type) {
    case DATASET_STRING:
        return b64_decode(s, len, out, why);
    case DATASET_MD5:
    case DATASET_SHA256: {
        size_t want = type == DATASET_MD5 ? 32 : 64;
        if (len != want) {
            *why = type == DATASET_MD5 ? "an md5 value must be 32 hex digits"
                                       : "a sha256 value must be 64 hex digits";
            return -1;
        }
        for (size_t i = 0; i < len; i += 2) {
            int hi = text_hex_digit((unsigned char)s[i]), lo = text_hex_digit((unsigned char)s[i + 1]);
            if (hi < 0 || lo < 0) {
                *why = "not a hex digit";
                return -1;
            }
            out[i / 2] = (uint8_t)(hi << 4 | lo);
        }
        return (long)(want / 2);
    }
    case DATASET_IPV4:
    case DATASET_IPV6:
        if (len >= sizeof text) {
            *why = type == DATASET_IPV4 ? "not an IPv4 address" : "not an IP address";
            return -1;
        }
        memcpy(text, s, len);
        text[len] = '\0';
        if (inet_pton(AF_INET, text, out) == 1) {
            if (type == DATASET_IPV4)
                return 4;
            memset(out + 4, 0, 12);
            return 16;
        }
        if (type == DATASET_IPV6 && inet_pton(AF_INET6, text, out) == 1) {
            static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
            if (memcmp(out, mapped, 12) == 0) {     /* ::ffff:a.b.c.d is IPv4 */
                memmove(out, out + 12, 4);
                memset(out + 4, 0, 12);
            }
            return 16;
        }
        *why = type == DATASET_IPV4 ? "not an IPv4 address" : "not an IP address";
        return -1;
    }
    *why = "unknown dataset type";
    return -1;
}

struct load_state {
    struct dataset *ds;
    const char *path;
    struct diag *diag;
    size_t bad_lines;
};

/* A bad line is named by file:line and reason, never shown: the file may
 * hold what the log's readers should not see. */
static void bad_line(struct load_state *st, unsigned lineno, const char *why)
{
    if (++st->bad_lines > DATASET_MAX_LINE_DIAGS)
        return;
    diag_error(st->diag, st->path, lineno, "dataset '%s' (%s): %s, line skipped", st->ds->name,
               type_name(st->ds->type), why);
}

/* One line without its newline.  Returns -1 only when the set is full. */
static int load_line(struct load_state *st, unsigned lineno, const char *s, size_t len,
                     uint8_t *buf)
{
    if (len > DATASET_MAX_LINE) {
        char why[64];
        snprintf(why, sizeof why, "line longer than %d bytes", DATASET_MAX_LINE);
        bad_line(st, lineno, why);
        return 0;
    }
    if (memchr(s, '\0', len)) {
        bad_line(st, lineno, "binary data (NUL byte)");
        return 0;
    }
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        len--;
    while (len > 0 && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    if (len == 0 || s[0] == '#')
        return 0;
    /* Suricata's datarep files add ",<reputation>"; the set keeps the value. */
    const char *comma = memchr(s, ',', len);
    size_t vlen = comma ? (size_t)(comma - s) : len;
    while (vlen > 0 && isspace((unsigned char)s[vlen - 1]))
        vlen--;
    const char *why = NULL;
    long n = vlen ? parse_value(st->ds->type, s, vlen, buf, &why) : -1;
    if (n < 0) {
        bad_line(st, lineno, why ? why : "empty value");
        return 0;
    }
    if (n == 0) {
        bad_line(st, lineno, "empty string");
        return 0;
    }
    pthread_mutex_lock(&st->ds->lock);
    st->ds->loading = true;
    int rc = add_locked(st->ds, buf, (size_t)n);
    st->ds->loading = false;
    pthread_mutex_unlock(&st->ds->lock);
    if (rc < 0) {
        diag_error(st->diag, st->path, lineno,
                   "dataset '%s': memory cap of %zu bytes reached, rest of the file not loaded",
                   st->ds->name, st->ds->memcap);
        return -1;
    }
    return 0;
}

/* Loads path into ds.  Returns -1 when the file cannot be read at all. */
static int load_file(struct dataset *ds, const char *path, struct diag *diag,
                     const char *rule_file, unsigned rule_line)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        diag_error(diag, rule_file, rule_line, "dataset '%s': cannot open '%s': %s", ds->name,
                   path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        diag_error(diag, rule_file, rule_line, "dataset '%s': '%s' is not a regular file",
                   ds->name, path);
        close(fd);
        return -1;
    }
    if (sb.st_size == 0) {
        close(fd);
        return 0;
    }
    const char *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        diag_error(diag, rule_file, rule_line, "dataset '%s': cannot read '%s': %s", ds->name,
                   path, strerror(errno));
        return -1;
    }
    madvise((void *)map, (size_t)sb.st_size, MADV_SEQUENTIAL);

    uint8_t *buf = malloc(DATASET_MAX_LINE);
    if (!buf) {
        munmap((void *)map, (size_t)sb.st_size);
        diag_error(diag, rule_file, rule_line, "dataset '%s': out of memory", ds->name);
        return -1;
    }
    struct load_state st = {ds, path, diag, 0};
    size_t size = (size_t)sb.st_size;
    /* Size the table for the file's lines up front: no rebuilds while loading. */
    size_t lines = 1;
    for (const char *p = map; (p = memchr(p, '\n', size - (size_t)(p - map))); p++)
        lines++;
    struct ds_table *cur = atomic_load_explicit(&ds->table, memory_order_relaxed);
    size_t want = atomic_load_explicit(&ds->size, memory_order_relaxed) + lines;
    if ((want + 1) * 4 > (cur->mask + 1) * 3) {
        pthread_mutex_lock(&ds->lock);
        (void)table_rebuild(ds, want);   /* on failure, adds grow it as usual */
        pthread_mutex_unlock(&ds->lock);
    }
    unsigned lineno = 0;
    for (size_t pos = 0; pos < size;) {
        const char *nl = memchr(map + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (map + pos)) : size - pos;
        lineno++;
        if (load_line(&st, lineno, map + pos, len, buf) < 0)
            break;
        pos += len + 1;
    }
    if (st.bad_lines > DATASET_MAX_LINE_DIAGS)
        diag_error(diag, path, 0, "dataset '%s': %zu more bad lines skipped (not shown)",
                   ds->name, st.bad_lines - DATASET_MAX_LINE_DIAGS);
    free(buf);
    munmap((void *)map, (size_t)sb.st_size);
    return 0;
}

/* -------------------------------------------------------------- saving */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void write_b64(FILE *f, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        putc(b64_alphabet[v >> 18 & 63], f);
        putc(b64_alphabet[v >> 12 & 63], f);
        putc(i + 1 < len ? b64_alphabet[v >> 6 & 63] : '=', f);
        putc(i + 2 < len ? b64_alphabet[v & 63] : '=', f);
    }
}

static void write_value(FILE *f, enum dataset_type type, const struct ds_entry *e)
{
    char text[INET6_ADDRSTRLEN];
    switch (type) {
    case DATASET_STRING:
        write_b64(f, e->data, e->len);
        break;
    case DATASET_MD5:
    case DATASET_SHA256:
        for (uint32_t i = 0; i < e->len; i++)
            fprintf(f, "%02x", e->data[i]);
        break;
    case DATASET_IPV4:
        fputs(inet_ntop(AF_INET, e->data, text, sizeof text), f);
        break;
    case DATASET_IPV6: {
        static const uint8_t zero[12];
        if (memcmp(e->data + 4, zero, 12) == 0)
            fputs(inet_ntop(AF_INET, e->data, text, sizeof text), f);
        else
            fputs(inet_ntop(AF_INET6, e->data, text, sizeof text), f);
        break;
    }
    }
    putc('\n', f);
}

int dataset_save(struct dataset *ds, const char *path, struct diag *diag)
{
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        diag_error(diag, path, 0, "dataset '%s': file name too long", ds->name);
        return -1;
    }
    FILE *f = fopen(tmp, "w");
    if (!f) {
        diag_error(diag, path, 0, "dataset '%s': cannot write '%s': %s", ds->name, tmp,
                   strerror(errno));
        return -1;
    }
    /* Arena order is insertion order: the file is the same on every run. */
    pthread_mutex_lock(&ds->lock);
    for (const struct arena_chunk *c = ds->arena_first; c; c = c->next)
        for (size_t off = 0; off < c->used;) {
            const struct ds_entry *e = (const struct ds_entry *)(const void *)(c->bytes + off);
            if (!e->removed)
                write_value(f, ds->type, e);
            off += entry_bytes(e->len);
        }
    pthread_mutex_unlock(&ds->lock);
    if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) != 0) {
        diag_error(diag, path, 0, "dataset '%s': writing failed: %s", ds->name, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ registry */

struct dataset_registry *dataset_registry_new(void)
{
    struct dataset_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    if (pthread_mutex_init(&reg->lock, NULL) != 0) {
        free(reg);
        return NULL;
    }
    reg->memcap = DATASET_DEFAULT_MEMCAP;
    return reg;
}

void dataset_registry_free(struct dataset_registry *reg)
{
    if (!reg)
        return;
    for (struct dataset *ds = reg->first, *next; ds; ds = next) {
        next = ds->next;
        dataset_free(ds);
    }
    pthread_mutex_destroy(&reg->lock);
    free(reg->data_dir);
    free(reg);
}

int dataset_registry_set_data_dir(struct dataset_registry *reg, const char *dir)
{
    free(reg->data_dir);
    reg->data_dir = NULL;
    if (dir && *dir && !(reg->data_dir = strdup(dir)))
        return -1;
    return 0;
}

void dataset_registry_set_memcap(struct dataset_registry *reg, size_t bytes)
{
    reg->memcap = bytes;
}

static bool valid_name(const char *name)
{
    if (!name || !*name || strlen(name) > 128)
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_.", *p))
            return false;
    return true;
}

/* True when path (resolved, no symlinks) is root or lies under it. */
static bool path_under(const char *path, const char *root)
{
    char *r = realpath(root, NULL);
    if (!r)
        return false;
    size_t n = strlen(r);
    bool under = strncmp(path, r, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1);
    free(r);
    return under;
}

/* The file a rule's load/state names, confined: relative to the rule
 * file's directory, and after resolving "..", symlinks and absolute paths
 * it must lie under that directory or under the registry's data_dir (rules
 * come from people who may not read every file the sensor can).  With no
 * base_dir no rule named the path: the caller's own, taken as it is.  NULL
 * with the reason in msg. */
static char *resolve_path(const struct dataset_registry *reg, const char *path, const char *base_dir,
                          char *msg, size_t msglen)
{
    char *joined = path_join_alloc(base_dir, path);
    if (!joined) {
        snprintf(msg, msglen, "out of memory");
        return NULL;
    }
    if (!base_dir || !*base_dir)
        return joined;
    char *real = realpath(joined, NULL);
    if (!real) {
        snprintf(msg, msglen, "cannot open '%s': %s", joined, strerror(errno));
        free(joined);
        return NULL;
    }
    free(joined);
    if (path_under(real, base_dir) || (reg->data_dir && path_under(real, reg->data_dir)))
        return real;
    snprintf(msg, msglen, "'%s' is outside the rule file's directory%s; refusing to load it", path,
             reg->data_dir ? " and datasets.dir" : " (datasets.dir names another directory allowed)");
    free(real);
    return NULL;
}

static struct dataset *find_locked(struct dataset_registry *reg, const char *name)
{
    for (struct dataset *ds = reg->first; ds; ds = ds->next)
        if (strcmp(ds->name, name) == 0)
            return ds;
    return NULL;
}

static struct dataset *get_locked(struct dataset_registry *reg, const char *name,
                                  enum dataset_type type, const char *load_path,
                                  const char *base_dir, struct diag *diag,
                                  const char *rule_file, unsigned rule_line)
{
    if (!valid_name(name)) {
        diag_error(diag, rule_file, rule_line,
                   "dataset name '%s' is not valid (letters, digits, '-', '_', '.'; at most 128)",
                   name ? name : "");
        return NULL;
    }
    if (type_value_len(type) == 0 && type != DATASET_STRING) {
        diag_error(diag, rule_file, rule_line, "dataset '%s': unknown type", name);
        return NULL;
    }
    char *path = NULL;
    char why[600];
    if (load_path && *load_path && !(path = resolve_path(reg, load_path, base_dir, why, sizeof why))) {
        diag_error(diag, rule_file, rule_line, "dataset '%s': %s", name, why);
        return NULL;
    }
    struct dataset *ds = find_locked(reg, name);
    if (ds) {
        if (ds->type != type) {
            diag_error(diag, rule_file, rule_line,
                       "dataset '%s' is type %s here but was first used as type %s", name,
                       type_name(type), type_name(ds->type));
            free(path);
            return NULL;
        }
        if (path && ds->load_path && strcmp(path, ds->load_path) != 0) {
            diag_error(diag, rule_file, rule_line,
                       "dataset '%s' loads '%s' here but was first loaded from '%s'", name, path,
                       ds->load_path);
            free(path);
            return NULL;
        }
        if (path && !ds->load_path) {
            if (load_file(ds, path, diag, rule_file, rule_line) < 0) {
                free(path);
                return NULL;
            }
            ds->load_path = path;
            return ds;
        }
        free(path);
        return ds;
    }
    ds = dataset_new(name, type, reg->memcap);
    if (!ds) {
        diag_error(diag, rule_file, rule_line, "dataset '%s': out of memory", name);
        free(path);
        return NULL;
    }
    if (path && load_file(ds, path, diag, rule_file, rule_line) < 0) {
        free(path);
        dataset_free(ds);
        return NULL;
    }
    ds->load_path = path;
    ds->next = reg->first;
    reg->first = ds;
    return ds;
}

struct dataset *dataset_registry_get(struct dataset_registry *reg, const char *name,
                                     enum dataset_type type, const char *load_path,
                                     const char *base_dir, struct diag *diag,
                                     const char *rule_file, unsigned rule_line)
{
    if (!reg)
        return NULL;
    pthread_mutex_lock(&reg->lock);
    struct dataset *ds =
        get_locked(reg, name, type, load_path, base_dir, diag, rule_file, rule_line);
    pthread_mutex_unlock(&reg->lock);
    return ds;
}

struct dataset *dataset_registry_find(struct dataset_registry *reg, const char *name)
{
    if (!reg || !name)
        return NULL;
    pthread_mutex_lock(&reg->lock);
    struct dataset *ds = find_locked(reg, name);
    pthread_mutex_unlock(&reg->lock);
    return ds;
}

/* ------------------------------------------------------------ reload */

/* Replays on ds what rules did to old at run time: values they added
 * (set) are added, file values they removed (unset) are removed.  Values
 * are stored normalised, so they go in as they are. */
static void carry_set(struct dataset *ds, struct dataset *old)
{
    pthread_mutex_lock(&old->lock);
    pthread_mutex_lock(&ds->lock);
    for (const struct arena_chunk *c = old->arena_first; c; c = c->next)
        for (size_t off = 0; off < c->used;) {
            const struct ds_entry *e = (const struct ds_entry *)(const void *)(c->bytes + off);
            if (e->runtime && !e->removed)
                (void)add_locked(ds, e->data, e->len);
            else if (!e->runtime && e->removed)
                (void)remove_locked(ds, e->data, e->len);
            off += entry_bytes(e->len);
        }
    pthread_mutex_unlock(&ds->lock);
    pthread_mutex_unlock(&old->lock);
}

void dataset_registry_carry(struct dataset_registry *to, struct dataset_registry *from)
{
    pthread_mutex_lock(&from->lock);
    pthread_mutex_lock(&to->lock);
    for (struct dataset *old = from->first; old; old = old->next) {
        struct dataset *ds = find_locked(to, old->name);
        if (ds && ds->type == old->type)
            carry_set(ds, old);
    }
    pthread_mutex_unlock(&to->lock);
    pthread_mutex_unlock(&from->lock);
}
