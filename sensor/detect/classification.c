/* classification.config: "config classification: name,description,priority"
 * lines, as Suricata reads them.  The table is small and read at load time
 * only, so it is a plain array. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule.h"

struct classtype {
    char *name, *desc;
    int priority;
};

struct classification {
    struct classtype *v;
    size_t n, cap;
};

void classification_free(struct classification *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].desc);
    }
    free(c->v);
    free(c);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static int add(struct classification *c, const char *name, const char *desc, int prio)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].name, name) == 0) {      /* later definition wins */
            char *d = strdup(desc);
            if (!d)
                return -1;
            free(c->v[i].desc);
            c->v[i].desc = d;
            c->v[i].priority = prio;
            return 0;
        }
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 32;
        struct classtype *nv = realloc(c->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        c->v = nv;
        c->cap = cap;
    }
    c->v[c->n].name = strdup(name);
    c->v[c->n].desc = strdup(desc);
    c->v[c->n].priority = prio;
    if (!c->v[c->n].name || !c->v[c->n].desc) {
        free(c->v[c->n].name);
        free(c->v[c->n].desc);
        return -1;
    }
    c->n++;
    return 0;
}

static void parse_line(struct classification *c, char *line, const char *path, unsigned lineno,
                       struct diag *diag)
{
    char *s = trim(line);
    if (!*s || *s == '#')
        return;
    static const char prefix[] = "config classification:";
    if (strncmp(s, prefix, sizeof prefix - 1) != 0) {
        diag_error(diag, path, lineno, "expected 'config classification: name,description,priority'");
        return;
    }
    s += sizeof prefix - 1;
    char *c1 = strchr(s, ',');
    char *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
    if (!c1 || !c2) {
        diag_error(diag, path, lineno, "expected 'name,description,priority'");
        return;
    }
    *c1 = *c2 = '\0';
    char *name = trim(s), *desc = trim(c1 + 1), *prio = trim(c2 + 1);
    char *end;
    long p = strtol(prio, &end, 10);
    if (!*name || strpbrk(name, " \t") || *end || end == prio || p < 1 || p > 255) {
        diag_error(diag, path, lineno, "invalid classification '%s'", name);
        return;
    }
    if (add(c, name, desc, (int)p) < 0)
        diag_error(diag, path, lineno, "out of memory");
}

struct classification *classification_load(const char *path, struct diag *diag)
{
    struct classification *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (!path || !*path)
        return c;
    FILE *f = fopen(path, "r");
    if (!f) {
        diag_error(diag, path, 0, "cannot open classification file");
        return c;
    }
    char line[1024];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        parse_line(c, line, path, lineno, diag);
    }
    fclose(f);
    return c;
}

bool classification_find(const struct classification *c, const char *name,
                         const char **desc, int *priority)
{
    if (!c)
        return false;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].name, name) == 0) {
            *desc = c->v[i].desc;
            *priority = c->v[i].priority;
            return true;
        }
    }
    return false;
}
