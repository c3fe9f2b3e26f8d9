/* pcre: Perl-compatible regular expressions with libpcre2 (JIT compiled when
 * available, with match and depth limits), Suricata's syntax
 * "/re/flags" with ! negation, the PCRE modifiers i s m x A E G, the
 * relative modifier R and the buffer modifiers U (http.uri), W (http.host),
 * V (http.user_agent), M (http.method), Q (dns.query, xiezhi). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"

#define PCRE_MATCH_LIMIT 3500
#define PCRE_DEPTH_LIMIT 500

struct pcre_match {
    pcre2_code *code;
    pcre2_match_context *mctx;
    bool relative, negated, jit;
};


bool pcre_is_relative(const struct pcre_match *pm) { return pm->relative; }
bool pcre_is_negated(const struct pcre_match *pm) { return pm->negated; }

void pcre_match_free(struct pcre_match *pm)
{
    if (!pm)
        return;
    pcre2_code_free(pm->code);
    pcre2_match_context_free(pm->mctx);
    free(pm);
}

/* A relative pcre sees the buffer from start on, so that ^ anchors there
 * (as in Suricata); otherwise start is only where the search begins. */
enum pcre_result pcre_inspect(const struct match_env *env, const struct pcre_match *pm,
                              const uint8_t *buf, uint32_t len, uint32_t start, uint32_t *mstart,
                              uint32_t *mend)
{
    if (start > len)
        return PCRE_NO_MATCH;
    pcre2_match_data *md = detect_thread_match_data(env->dt);
    static const uint8_t empty[1] = { 0 };
    uint32_t base = pm->relative ? start : 0;
    const uint8_t *subject = len > base ? buf + base : empty;
    int rc = pcre2_match(pm->code, subject, len - base, pm->relative ? 0 : start, 0, md,
                         pm->mctx);
    if (rc == PCRE2_ERROR_NOMATCH)
        return PCRE_NO_MATCH;
    if (rc < 0) {
        detect_thread_pcre_failed(env->dt, rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT);
        return PCRE_FAILED;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    *mstart = base + (uint32_t)ov[0];
    *mend = base + (uint32_t)ov[1];
    return PCRE_MATCHED;
}

struct modifier {
    char letter;
    uint32_t pcre_option;
    int buffer;                 /* -1: none */
};

static const struct modifier modifiers[] = {
    { 'i', PCRE2_CASELESS, -1 },
    { 's', PCRE2_DOTALL, -1 },
    { 'm', PCRE2_MULTILINE, -1 },
    { 'x', PCRE2_EXTENDED, -1 },
    { 'A', PCRE2_ANCHORED, -1 },
    { 'E', PCRE2_DOLLAR_ENDONLY, -1 },
    { 'G', PCRE2_UNGREEDY, -1 },
    { 'R', 0, -1 },
    { 'U', 0, BUF_HTTP_URI },
    { 'W', 0, BUF_HTTP_HOST },
    { 'V', 0, BUF_HTTP_USER_AGENT },
    { 'M', 0, BUF_HTTP_METHOD },
    { 'Q', 0, BUF_DNS_QUERY },
};

static const struct modifier *modifier_find(char c)
{
    for (size_t i = 0; i < sizeof modifiers / sizeof *modifiers; i++)
        if (modifiers[i].letter == c)
            return &modifiers[i];
    return NULL;
}

int kw_pcre(struct rule_parser *rp, const char *v)
{
    bool negated = rp->value_negated;
    if (!negated && *v == '!') {
        negated = true;
        v++;
    }
    const char *slash = strrchr(v, '/');
    if (v[0] != '/' || slash == v) {
        rule_err(rp, "pcre must look like \"/regex/flags\"");
        return -1;
    }
    uint32_t options = 0;
    int buffer = -1;
    bool relative = false;
    for (const char *f = slash + 1; *f; f++) {
        const struct modifier *m = modifier_find(*f);
        if (!m) {
            rule_err(rp, "unknown pcre modifier '%c'", *f);
            return -1;
        }
        options |= m->pcre_option;
        if (m->letter == 'R')
            relative = true;
        if (m->buffer >= 0)
            buffer = m->buffer;
    }
    size_t relen = (size_t)(slash - v - 1);
    int errcode;
    PCRE2_SIZE erroff;
    pcre2_code *code = pcre2_compile((PCRE2_SPTR)(v + 1), relen, options, &errcode, &erroff,
                                     NULL);
    if (!code) {
        char msg[160];
        pcre2_get_error_message(errcode, (PCRE2_UCHAR *)msg, sizeof msg);
        rule_err(rp, "pcre does not compile at offset %zu: %s", (size_t)erroff, msg);
        return -1;
    }
    struct pcre_match *pm = calloc(1, sizeof *pm);
    pcre2_match_context *mctx = pcre2_match_context_create(NULL);
    if (!pm || !mctx) {
        pcre2_code_free(code);
        pcre2_match_context_free(mctx);
        free(pm);
        rule_err(rp, "out of memory");
        return -1;
    }
    pcre2_set_match_limit(mctx, PCRE_MATCH_LIMIT);
    pcre2_set_depth_limit(mctx, PCRE_DEPTH_LIMIT);
    pm->code = code;
    pm->mctx = mctx;
    pm->relative = relative;
    pm->negated = negated;
    pm->jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
    detect_engine_pcre_compiled(rp->de, pm->jit);
    /* A buffer modifier applies to this pcre only, unlike a sticky buffer. */
    int sticky = rp->buffer;
    if (buffer >= 0) {
        rp->buffer = buffer;
        rp->rule->app_layer = true;
    }
    struct inspect *in = rule_add_inspect(rp, INSPECT_PCRE);
    rp->buffer = sticky;
    if (!in) {
        pcre_match_free(pm);
        return -1;
    }
    in->u.pcre = pm;
    return 0;
}
