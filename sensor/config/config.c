/* YAML configuration flattened into dotted keys.  libyaml's event parser
 * drives a small path stack; each scalar becomes one entry.  Reading is done
 * at start-up and on reload, so entries are a plain array searched linearly. */
#include "config/config.h"
#include "util/array.h"
#include "util/text.h"
#include "util/units.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CONFIG_MAX_DEPTH 32
#define CONFIG_MAX_KEY   512

struct config_entry {
    char *key;
    char *value;
    char *origin;          /* file name or "--set" */
    unsigned line;
    int list_index;        /* -1 for a scalar, else position in its list */
};

struct config {
    struct config_entry *entries;
    size_t count, capacity;
};

struct config *config_new(void)
{
    return calloc(1, sizeof(struct config));
}

static void entry_free(struct config_entry *e)
{
    /* The analyzer loses track of entries moved by config_remove's
     * compaction and reports a double free here; each entry owns its three
     * strings alone, and a freed slot is cleared so it cannot free twice. */
    free(e->key);
    free(e->value); // NOLINT(clang-analyzer-unix.Malloc)
    free(e->origin);
    e->key = e->value = e->origin = NULL;
}

void config_free(struct config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->count; i++)
        entry_free(&cfg->entries[i]);
    free(cfg->entries);
    free(cfg);
}

/* Removes every entry of key: a later definition replaces an earlier one. */
static void config_remove(struct config *cfg, const char *key)
{
    size_t kept = 0;
    for (size_t i = 0; i < cfg->count; i++) {
        if (strcmp(cfg->entries[i].key, key) == 0)
            entry_free(&cfg->entries[i]);
        else
            cfg->entries[kept++] = cfg->entries[i];
    }
    cfg->count = kept;
}

static int config_add(struct config *cfg, const char *key, const char *value,
                      const char *origin, unsigned line, int list_index)
{
    if (list_index <= 0)
        config_remove(cfg, key);
    if (cfg->count == cfg->capacity) {
        struct config_entry *grown = array_grow(cfg->entries, &cfg->capacity, sizeof *grown, 64);
        if (!grown)
            return -1;
        cfg->entries = grown;
    }
    struct config_entry *e = &cfg->entries[cfg->count];
    e->key = strdup(key);
    e->value = strdup(value);
    e->origin = strdup(origin);
    e->line = line;
    e->list_index = list_index;
    if (!e->key || !e->value || !e->origin) {
        entry_free(e);
        return -1;
    }
    cfg->count++;
    return 0;
}

/* One level of the YAML nesting being walked. */
struct parse_level {
    int is_sequence;
    int expecting_key;     /* mappings alternate key, value */
    int next_index;        /* sequences count their items */
    size_t path_len;       /* length of the path before this level's element */
};

struct parse_state {
    struct config *cfg;
    struct diag *diag;
    const char *name;
    char path[CONFIG_MAX_KEY];
    size_t path_len;
    struct parse_level levels[CONFIG_MAX_DEPTH];
    int depth;
};

static int path_push(struct parse_state *st, const char *element, unsigned line)
{
    size_t base = st->path_len;
    size_t need = strlen(element) + (base ? 1 : 0);
    if (base + need + 1 > sizeof st->path) {
        diag_error(st->diag, st->name, line, "key path is longer than %d bytes", CONFIG_MAX_KEY);
        return -1;
    }
    if (base)
        st->path[st->path_len++] = '.';
    memcpy(st->path + st->path_len, element, strlen(element) + 1);
    st->path_len += strlen(element);
    return 0;
}

/* The list position a value arriving at the current level is stored under. */
static int value_list_index(struct parse_state *st)
{
    if (st->depth == 0)
        return -1;
    struct parse_level *lvl = &st->levels[st->depth - 1];
    return lvl->is_sequence ? lvl->next_index++ : -1;
}

static void value_end(struct parse_state *st)
{
    if (st->depth == 0)
        return;
    struct parse_level *lvl = &st->levels[st->depth - 1];
    if (!lvl->is_sequence) {
        st->path_len = lvl->path_len;
        st->path[st->path_len] = '\0';
        lvl->expecting_key = 1;
    }
}

static int handle_scalar(struct parse_state *st, const char *text, unsigned line)
{
    struct parse_level *lvl = st->depth ? &st->levels[st->depth - 1] : NULL;
    if (lvl && !lvl->is_sequence && lvl->expecting_key) {
        if (text[0] == '\0' || strchr(text, '.')) {
            diag_error(st->diag, st->name, line, "invalid key '%s'", text);
            return -1;
        }
        lvl->path_len = st->path_len;
        if (path_push(st, text, line) < 0)
            return -1;
        lvl->expecting_key = 0;
        return 0;
    }
    if (!lvl) {
        diag_error(st->diag, st->name, line, "the top level must be a mapping");
        return -1;
    }
    int list_index = value_list_index(st);
    if (st->path_len == 0) {
        diag_error(st->diag, st->name, line, "value without a key");
        return -1;
    }
    if (config_add(st->cfg, st->path, text, st->name, line, list_index) < 0)
        return -1;
    value_end(st);
    return 0;
}

static int handle_collection_start(struct parse_state *st, int is_sequence, unsigned line)
{
    if (st->depth >= CONFIG_MAX_DEPTH) {
        diag_error(st->diag, st->name, line, "nesting deeper than %d levels", CONFIG_MAX_DEPTH);
        return -1;
    }
    struct parse_level *parent = st->depth ? &st->levels[st->depth - 1] : NULL;
    size_t saved = st->path_len;
    if (parent && !parent->is_sequence && parent->expecting_key) {
        diag_error(st->diag, st->name, line, "a mapping key must be a plain scalar");
        return -1;
    }
    if (parent && parent->is_sequence) {
        if (is_sequence) {
            diag_error(st->diag, st->name, line, "nested lists are not supported");
            return -1;
        }
        char index[24];
        snprintf(index, sizeof index, "%d", parent->next_index++);
        if (path_push(st, index, line) < 0)
            return -1;
    } else if (parent && is_sequence) {
        config_remove(st->cfg, st->path);   /* a list replaces any earlier value */
    }
    struct parse_level *lvl = &st->levels[st->depth++];
    memset(lvl, 0, sizeof *lvl);
    lvl->is_sequence = is_sequence;
    lvl->expecting_key = !is_sequence;
    lvl->path_len = saved;
    return 0;
}

static void handle_collection_end(struct parse_state *st)
{
    if (st->depth == 0)
        return;
    struct parse_level *lvl = &st->levels[--st->depth];
    size_t restore = lvl->path_len;
    if (st->depth > 0 && st->levels[st->depth - 1].is_sequence) {
        st->path_len = restore;
        st->path[restore] = '\0';
        return;
    }
    if (st->depth > 0) {
        struct parse_level *parent = &st->levels[st->depth - 1];
        st->path_len = parent->path_len;
        st->path[st->path_len] = '\0';
        parent->expecting_key = 1;
    } else {
        st->path_len = 0;
        st->path[0] = '\0';
    }
}

int config_load_buffer(struct config *cfg, const char *name, const char *text, size_t len,
                       struct diag *diag)
{
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return -1;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    struct parse_state st = { .cfg = cfg, .diag = diag, .name = name };
    int rc = 0, done = 0;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            diag_error(diag, name, (unsigned)parser.problem_mark.line + 1, "YAML: %s",
                       parser.problem ? parser.problem : "parse error");
            rc = -1;
            break;
        }
        unsigned line = (unsigned)ev.start_mark.line + 1;
        switch (ev.type) {
        case YAML_SCALAR_EVENT:
            rc = handle_scalar(&st, (const char *)ev.data.scalar.value, line);
            break;
        case YAML_SEQUENCE_START_EVENT:
            rc = handle_collection_start(&st, 1, line);
            break;
        case YAML_MAPPING_START_EVENT:
            rc = handle_collection_start(&st, 0, line);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            handle_collection_end(&st);
            break;
        case YAML_ALIAS_EVENT:
            diag_error(diag, name, line, "YAML aliases are not supported");
            rc = -1;
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int config_load_file(struct config *cfg, const char *path, struct diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        diag_error(diag, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 4096 > cap) {
            cap = cap ? cap * 2 : 8192;
            if (cap > 16u << 20) {
                diag_error(diag, path, 0, "larger than 16 MiB");
                free(text);
                fclose(f);
                return -1;
            }
            char *grown = realloc(text, cap);
            if (!grown) {
                free(text);
                fclose(f);
                return -1;
            }
            text = grown;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    int rc = config_load_buffer(cfg, path, text ? text : "", len, diag);
    free(text);
    return rc;
}

int config_set_override(struct config *cfg, const char *assignment, struct diag *diag)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment) {
        diag_error(diag, "--set", 0, "'%s' is not key=value", assignment);
        return -1;
    }
    char key[CONFIG_MAX_KEY];
    size_t klen = (size_t)(eq - assignment);
    if (klen >= sizeof key) {
        diag_error(diag, "--set", 0, "key too long");
        return -1;
    }
    memcpy(key, assignment, klen);
    key[klen] = '\0';
    char *value = strdup(eq + 1);
    if (!value)
        return -1;
    char *v = text_trim(value);
    size_t vlen = strlen(v);
    int rc = 0;
    if (vlen >= 2 && v[0] == '[' && v[vlen - 1] == ']') {
        v[vlen - 1] = '\0';
        config_remove(cfg, key);
        int index = 0;
        char *save = NULL;
        for (char *item = strtok_r(v + 1, ",", &save); item; item = strtok_r(NULL, ",", &save))
            if (config_add(cfg, key, text_trim(item), "--set", 0, index++) < 0)
                rc = -1;
    } else {
        rc = config_add(cfg, key, v, "--set", 0, -1);
    }
    free(value);
    return rc;
}

static const struct config_entry *config_find(const struct config *cfg, const char *key)
{
    for (size_t i = 0; i < cfg->count; i++)
        if (strcmp(cfg->entries[i].key, key) == 0)
            return &cfg->entries[i];
    return NULL;
}

bool config_has(const struct config *cfg, const char *key)
{
    return config_find(cfg, key) != NULL;
}

const char *config_get_str(const struct config *cfg, const char *key, const char *def)
{
    const struct config_entry *e = config_find(cfg, key);
    return e && e->list_index < 0 ? e->value : def;
}

const char *config_origin(const struct config *cfg, const char *key, unsigned *line)
{
    const struct config_entry *e = config_find(cfg, key);
    *line = e ? e->line : 0;
    return e ? e->origin : "default";
}

/* A whole number of kind (counts, sizes) within an int64_t. */
static int parse_whole(const char *text, enum units_kind kind, int64_t *out)
{
    double v;
    if (units_parse(text, kind, &v) < 0 || v > 9.2e18 || v != floor(v))
        return -1;
    *out = (int64_t)v;
    return 0;
}

static int64_t get_whole(const struct config *cfg, const char *key, int64_t def, int64_t min,
                         int64_t max, enum units_kind kind, struct diag *diag)
{
    const struct config_entry *e = config_find(cfg, key);
    if (!e)
        return def;
    int64_t v;
    if (parse_whole(e->value, kind, &v) < 0 || v < min || v > max) {
        diag_error(diag, e->origin, e->line,
                   "%s: '%s' is not %s in [%lld, %lld] (units: %s)", key, e->value,
                   kind == UNITS_SIZE ? "a size" : "an integer",
                   (long long)min, (long long)max, units_names(kind));
        return def;
    }
    return v;
}

int64_t config_get_int(const struct config *cfg, const char *key, int64_t def,
                       int64_t min, int64_t max, struct diag *diag)
{
    return get_whole(cfg, key, def, min, max, UNITS_COUNT, diag);
}

int64_t config_get_size(const struct config *cfg, const char *key, int64_t def,
                        int64_t min, int64_t max, struct diag *diag)
{
    return get_whole(cfg, key, def, min, max, UNITS_SIZE, diag);
}

int64_t config_get_duration_usec(const struct config *cfg, const char *key, int64_t def_usec,
                                 struct diag *diag)
{
    const struct config_entry *e = config_find(cfg, key);
    if (!e)
        return def_usec;
    double v;
    if (units_parse(e->value, UNITS_DURATION, &v) < 0 || v > 9e18) {
        diag_error(diag, e->origin, e->line,
                   "%s: '%s' is not a duration (e.g. 30s, 500ms, 5m; units: %s)", key, e->value,
                   units_names(UNITS_DURATION));
        return def_usec;
    }
    return (int64_t)v;
}

bool config_get_bool(const struct config *cfg, const char *key, bool def, struct diag *diag)
{
    const struct config_entry *e = config_find(cfg, key);
    if (!e)
        return def;
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(e->value, yes[i]) == 0)
            return true;
        if (strcasecmp(e->value, no[i]) == 0)
            return false;
    }
    diag_error(diag, e->origin, e->line, "%s: '%s' is not yes or no", key, e->value);
    return def;
}

size_t config_get_choice(const struct config *cfg, const char *key, const char *const *names,
                         size_t n, size_t def, struct diag *diag)
{
    const struct config_entry *e = config_find(cfg, key);
    if (!e)
        return def;
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(e->value, names[i]) == 0)
            return i;
    char expected[256] = "";
    size_t used = 0;
    for (size_t i = 0; i < n && used < sizeof expected; i++)
        used += (size_t)snprintf(expected + used, sizeof expected - used, "%s%s",
                                 i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
    diag_error(diag, e->origin, e->line, "%s: '%s' is not %s", key, e->value, expected);
    return def;
}

size_t config_list_count(const struct config *cfg, const char *key)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->count; i++)
        if (strcmp(cfg->entries[i].key, key) == 0)
            n++;
    return n;
}

const char *config_list_item(const struct config *cfg, const char *key, size_t index)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->count; i++) {
        if (strcmp(cfg->entries[i].key, key) != 0)
            continue;
        if (n++ == index)
            return cfg->entries[i].value;
    }
    return NULL;
}

void config_foreach_child(const struct config *cfg, const char *prefix,
                          void (*fn)(void *ctx, const char *child, const char *full_key),
                          void *ctx)
{
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < cfg->count; i++) {
        const char *key = cfg->entries[i].key;
        if (strncmp(key, prefix, plen) != 0 || key[plen] != '.')
            continue;
        const char *child = key + plen + 1;
        size_t clen = strcspn(child, ".");
        /* Report each child once: skip it if an earlier entry had the same child. */
        int seen = 0;
        for (size_t j = 0; j < i && !seen; j++) {
            const char *other = cfg->entries[j].key;
            seen = strncmp(other, key, plen + 1 + clen) == 0 &&
                   (other[plen + 1 + clen] == '\0' || other[plen + 1 + clen] == '.');
        }
        if (seen)
            continue;
        char name[CONFIG_MAX_KEY], full[CONFIG_MAX_KEY];
        snprintf(name, sizeof name, "%.*s", (int)clen, child);
        snprintf(full, sizeof full, "%.*s", (int)(plen + 1 + clen), key);
        fn(ctx, name, full);
    }
}

/* Whether key matches pattern element by element ('*' matches any one). */
static bool key_matches(const char *key, const char *pattern)
{
    while (*key && *pattern) {
        size_t klen = strcspn(key, "."), plen = strcspn(pattern, ".");
        if (!(plen == 1 && pattern[0] == '*') && (klen != plen || strncmp(key, pattern, klen) != 0))
            return false;
        key += klen;
        pattern += plen;
        if (*key != *pattern)
            return false;
        if (*key) {
            key++;
            pattern++;
        }
    }
    return *key == '\0' && *pattern == '\0';
}

/* Edit distance (insertions, deletions, substitutions), for suggestions;
 * keys are short, and longer ones are not worth comparing. */
static size_t edit_distance(const char *a, const char *b)
{
    enum { MAX = 128 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAX || lb >= MAX)
        return SIZE_MAX;
    size_t row[MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag_prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag_prev + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag_prev = up;
        }
    }
    return row[lb];
}

/* The closest known key, or NULL when none is close enough to be what was
 * meant (at most 3 edits, and fewer than a third of the key). */
static const char *suggest_key(const char *key, const char *const *known, size_t n)
{
    const char *best = NULL;
    size_t best_distance = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        if (strchr(known[i], '*'))
            continue;           /* "vars.address-groups.*" is no spelling to offer */
        size_t d = edit_distance(key, known[i]);
        if (d < best_distance) {
            best_distance = d;
            best = known[i];
        }
    }
    size_t limit = strlen(key) / 3;
    return best && best_distance <= 3 && best_distance <= limit ? best : NULL;
}

size_t config_check_keys(const struct config *cfg, const char *const *known, size_t n,
                         bool as_error, struct diag *diag)
{
    size_t reported = 0;
    for (size_t i = 0; i < cfg->count; i++) {
        const struct config_entry *e = &cfg->entries[i];
        if (e->list_index > 0)
            continue;           /* a list is reported once, at its first item */
        bool ok = false;
        for (size_t k = 0; k < n && !ok; k++)
            ok = key_matches(e->key, known[k]);
        if (ok)
            continue;
        const char *hint = suggest_key(e->key, known, n);
        void (*report)(struct diag *, const char *, unsigned, const char *, ...) =
            as_error ? diag_error : diag_warning;
        if (hint)
            report(diag, e->origin, e->line, "unknown key '%s' (did you mean '%s'?)", e->key, hint);
        else
            report(diag, e->origin, e->line, "unknown key '%s'", e->key);
        reported++;
    }
    return reported;
}
