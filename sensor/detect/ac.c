/* Aho-Corasick as a full DFA over a compressed alphabet: only the (case
 * folded) bytes that occur in patterns get their own column, every other
 * byte shares column 0, which keeps the table small for thousands of
 * patterns.  Outputs hang off states and are chained by dictionary links. */
#include "detect/ac.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define AC_NONE UINT32_MAX

struct ac_pattern {
    uint8_t *pat;
    uint32_t len;
    uint32_t id;
    uint32_t next;          /* next pattern ending in the same state */
    bool nocase;
};

struct ac {
    struct ac_pattern *pats;
    size_t npats, pats_cap;
    uint8_t cls[256];       /* byte -> column */
    uint32_t ncls;
    uint32_t *delta;        /* nstates * ncls */
    uint32_t *out;          /* first pattern ending here, AC_NONE if none */
    uint32_t *dict;         /* nearest proper suffix state with output, 0 if none */
    uint32_t *fail;
    size_t nstates, states_cap;
    bool built;
};

struct ac *ac_new(void)
{
    return calloc(1, sizeof(struct ac));
}

void ac_free(struct ac *ac)
{
    if (!ac)
        return;
    for (size_t i = 0; i < ac->npats; i++)
        free(ac->pats[i].pat);
    free(ac->pats);
    free(ac->delta);
    free(ac->out);
    free(ac->dict);
    free(ac->fail);
    free(ac);
}

int ac_add(struct ac *ac, const uint8_t *pat, uint32_t len, bool nocase, uint32_t id)
{
    if (ac->built || len == 0)
        return -1;
    if (ac->npats == ac->pats_cap) {
        size_t cap = ac->pats_cap ? ac->pats_cap * 2 : 64;
        struct ac_pattern *np = realloc(ac->pats, cap * sizeof *np);
        if (!np)
            return -1;
        ac->pats = np;
        ac->pats_cap = cap;
    }
    uint8_t *copy = malloc(len);
    if (!copy)
        return -1;
    memcpy(copy, pat, len);
    ac->pats[ac->npats++] = (struct ac_pattern){ copy, len, id, AC_NONE, nocase };
    return 0;
}

size_t ac_pattern_count(const struct ac *ac) { return ac->npats; }
size_t ac_state_count(const struct ac *ac) { return ac->nstates; }

static int ac_new_state(struct ac *ac, uint32_t *out_state)
{
    if (ac->nstates == ac->states_cap) {
        size_t cap = ac->states_cap ? ac->states_cap * 2 : 256;
        uint32_t *nd = realloc(ac->delta, cap * ac->ncls * sizeof *nd);
        if (!nd)
            return -1;
        ac->delta = nd;
        uint32_t *no = realloc(ac->out, cap * sizeof *no);
        if (!no)
            return -1;
        ac->out = no;
        ac->states_cap = cap;
    }
    uint32_t s = (uint32_t)ac->nstates++;
    for (uint32_t c = 0; c < ac->ncls; c++)
        ac->delta[(size_t)s * ac->ncls + c] = AC_NONE;
    ac->out[s] = AC_NONE;
    *out_state = s;
    return 0;
}

static void ac_alphabet(struct ac *ac)
{
    bool used[256] = { false };
    for (size_t i = 0; i < ac->npats; i++)
        for (uint32_t j = 0; j < ac->pats[i].len; j++)
            used[tolower(ac->pats[i].pat[j])] = true;
    uint8_t lower_cls[256] = { 0 };
    uint32_t n = 1;
    for (int b = 0; b < 256; b++)
        if (used[b])
            lower_cls[b] = (uint8_t)n++;
    for (int b = 0; b < 256; b++)
        ac->cls[b] = lower_cls[tolower(b)];
    ac->ncls = n;
}

int ac_build(struct ac *ac)
{
    if (ac->built)
        return 0;
    ac_alphabet(ac);
    uint32_t root;
    if (ac_new_state(ac, &root) < 0)
        return -1;
    for (size_t i = 0; i < ac->npats; i++) {
        uint32_t s = root;
        const struct ac_pattern *p = &ac->pats[i];
        for (uint32_t j = 0; j < p->len; j++) {
            size_t cell = (size_t)s * ac->ncls + ac->cls[p->pat[j]];
            if (ac->delta[cell] == AC_NONE) {
                uint32_t ns;
                if (ac_new_state(ac, &ns) < 0)
                    return -1;
                ac->delta[(size_t)s * ac->ncls + ac->cls[p->pat[j]]] = ns;
            }
            s = ac->delta[(size_t)s * ac->ncls + ac->cls[p->pat[j]]];
        }
        ac->pats[i].next = ac->out[s];
        ac->out[s] = (uint32_t)i;
    }
    ac->fail = calloc(ac->nstates, sizeof *ac->fail);
    ac->dict = calloc(ac->nstates, sizeof *ac->dict);
    uint32_t *queue = malloc(ac->nstates * sizeof *queue);
    if (!ac->fail || !ac->dict || !queue) {
        free(queue);
        return -1;
    }
    size_t head = 0, tail = 0;
    for (uint32_t c = 0; c < ac->ncls; c++) {
        uint32_t *d = &ac->delta[c];
        if (*d == AC_NONE) {
            *d = 0;
        } else {
            ac->fail[*d] = 0;
            queue[tail++] = *d;
        }
    }
    while (head < tail) {
        uint32_t s = queue[head++];
        uint32_t f = ac->fail[s];
        ac->dict[s] = ac->out[f] != AC_NONE ? f : ac->dict[f];
        for (uint32_t c = 0; c < ac->ncls; c++) {
            uint32_t *d = &ac->delta[(size_t)s * ac->ncls + c];
            uint32_t via_fail = ac->delta[(size_t)f * ac->ncls + c];
            if (*d == AC_NONE) {
                *d = via_fail;
            } else {
                ac->fail[*d] = via_fail;
                queue[tail++] = *d;
            }
        }
    }
    free(queue);
    /* Mark states with no output of their own but a dictionary link, so the
     * scan loop tests one array. */
    ac->built = true;
    return 0;
}

static size_t ac_report(const struct ac *ac, uint32_t s, const uint8_t *text, size_t end,
                        ac_hit_fn hit, void *ctx)
{
    size_t hits = 0;
    for (; s != 0; s = ac->dict[s]) {
        for (uint32_t p = ac->out[s]; p != AC_NONE; p = ac->pats[p].next) {
            const struct ac_pattern *pat = &ac->pats[p];
            if (!pat->nocase && memcmp(text + end + 1 - pat->len, pat->pat, pat->len) != 0)
                continue;
            hit(ctx, pat->id);
            hits++;
        }
    }
    return hits;
}

size_t ac_scan(const struct ac *ac, const uint8_t *text, size_t len, ac_hit_fn hit, void *ctx)
{
    if (!ac->built || ac->npats == 0)
        return 0;
    const uint32_t *delta = ac->delta;
    const uint8_t *cls = ac->cls;
    const uint32_t ncls = ac->ncls;
    size_t hits = 0;
    uint32_t s = 0;
    for (size_t i = 0; i < len; i++) {
        s = delta[(size_t)s * ncls + cls[text[i]]];
        if (ac->out[s] != AC_NONE || ac->dict[s] != 0)
            hits += ac_report(ac, s, text, i, hit, ctx);
    }
    return hits;
}
