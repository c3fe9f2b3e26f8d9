/* Loading rule files: lines joined at a trailing backslash, each rule
 * parsed (bad ones reported as file:line and skipped), duplicates of a
 * (gid, sid) refused with the place of the first, and the rules kept in
 * file order for build.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/engine_int.h"
#include "util/array.h"
#include "util/text.h"

#define RULE_LINE_MAX (256 * 1024)

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
        struct rule **nv = array_grow(de->rules, &de->rules_cap, sizeof *nv, 256);
        if (!nv)
            return -1;
        de->rules = nv;
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

void engine_load_rules(struct detect_engine *de)
{
    struct sid_table sids = { 0 };
    /* an unreadable file is reported; the other files still load */
    for (size_t i = 0; i < de->cfg.nrule_files; i++)
        load_file(de, &sids, de->cfg.rule_files[i]);
    free(sids.slots);
}
