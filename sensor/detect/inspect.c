/* Buffer inspection: a rule's content, pcre, bsize, dataset, isdataat, byte_* and
 * base64 chain for one buffer, evaluated in rule order like Suricata's content
 * inspection.  Relative keywords (distance, within, pcre /R, the
 * relative options) are placed after the end of the previous match or the
 * position byte_jump/byte_extract/byte_math left; when a later keyword
 * fails, earlier contents are retried at their next occurrence, within a
 * fixed step budget so hostile payloads cannot make inspection explode. */
#include "detect/rule.h"

#include <ctype.h>
#include <string.h>

#include "detect/dataset.h"
#include "util/text.h"

#define INSPECT_BUDGET 4096


static const uint8_t *find_bytes(const uint8_t *hay, uint32_t hlen, const uint8_t *pat,
                                 uint32_t plen, bool nocase)
{
    if (plen == 0 || plen > hlen)
        return plen == 0 ? hay : NULL;
    if (!nocase)
        return memmem(hay, hlen, pat, plen);
    uint8_t first_l = (uint8_t)tolower(pat[0]), first_u = (uint8_t)toupper(pat[0]);
    for (uint32_t i = 0; i + plen <= hlen; i++) {
        if (hay[i] != first_l && hay[i] != first_u)
            continue;
        uint32_t j = 1;
        while (j < plen && tolower(hay[i + j]) == tolower(pat[j]))
            j++;
        if (j == plen)
            return hay + i;
    }
    return NULL;
}

struct chain {
    const struct match_env *env;
    const struct inspect_list *list;
    const uint8_t *buf;
    uint32_t len;
    int *budget;            /* shared with base64_data's chain */
    uint64_t *vars;         /* byte variables, DETECT_BYTE_VARS */
    /* stream windows: buf[0]'s stream offset, and the end a match must pass */
    bool stream;
    uint64_t base;
    uint32_t min_end;
    uint32_t max_end;       /* furthest content/pcre end on the current path */
};

/* A content modifier's value: its number, or its byte variable's value
 * (capped so that positions stay in 64-bit range). */
static int64_t modifier_value(const struct chain *c, int32_t n, uint8_t var)
{
    if (!var)
        return n;
    uint64_t v = c->vars[var - 1];
    return v > INT32_MAX ? INT32_MAX : (int64_t)v;
}

static bool chain_from(struct chain *c, size_t i, uint32_t prev_end);

/* The window [start, end) a content may occupy, or false when empty.
 * Absolute positions count from the stream's start on a stream window. */
static bool content_window(const struct chain *c, const struct content *ct, uint32_t len,
                           uint32_t prev_end, uint32_t *start, uint32_t *end)
{
    int64_t s = 0, e = len;
    if (ct->flags & (CF_DISTANCE | CF_WITHIN)) {
        int64_t dist = (ct->flags & CF_DISTANCE)
                           ? modifier_value(c, ct->distance, ct->var_distance) : 0;
        s = (int64_t)prev_end + dist;
        if (ct->flags & CF_WITHIN)
            e = (int64_t)prev_end + dist + modifier_value(c, ct->within, ct->var_within);
        if (s < 0)
            s = 0;
    } else {
        int64_t off = modifier_value(c, ct->offset, ct->var_offset);
        if (ct->flags & CF_OFFSET)
            s = off;
        if (ct->flags & CF_DEPTH)
            e = ((ct->flags & CF_OFFSET) ? off : 0) + modifier_value(c, ct->depth, ct->var_depth);
        if (c->base && (ct->flags & (CF_OFFSET | CF_DEPTH))) {
            if (c->base >= (uint64_t)e)
                return false;       /* the window begins after the allowed range */
            s = s > (int64_t)c->base ? s - (int64_t)c->base : 0;
            e -= (int64_t)c->base;
        }
    }
    if (e > len)
        e = len;
    if (s >= e || e - s < ct->len)
        return false;
    *start = (uint32_t)s;
    *end = (uint32_t)e;
    return true;
}

/* Runs the steps after i from a match of step i ending at mend; max_end
 * (how far the rule's matches reach) keeps mend only when they match too. */
static bool chain_after_match(struct chain *c, size_t i, uint32_t mend)
{
    uint32_t saved = c->max_end;
    if (mend > c->max_end)
        c->max_end = mend;
    if (chain_from(c, i + 1, mend))
        return true;
    c->max_end = saved;
    return false;
}

static bool step_content(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct content *ct = &c->list->v[i].u.content;
    uint32_t start, end;
    bool found_any = false;
    if (content_window(c, ct, c->len, prev_end, &start, &end)) {
        bool nocase = ct->flags & CF_NOCASE;
        uint32_t pos = start;
        while (pos + ct->len <= end && (*c->budget)-- > 0) {
            const uint8_t *hit = find_bytes(c->buf + pos, end - pos, ct->pat, ct->len, nocase);
            if (!hit)
                break;
            uint32_t at = (uint32_t)(hit - c->buf);
            uint32_t mend = at + ct->len;
            bool ok = !(ct->flags & CF_ENDSWITH) || mend == c->len;
            if (ok) {
                found_any = true;
                if (ct->flags & CF_NEGATED)
                    return false;
                if (chain_after_match(c, i, mend))
                    return true;
            }
            pos = at + 1;
        }
    }
    if (ct->flags & CF_NEGATED)
        return !found_any && chain_from(c, i + 1, prev_end);
    return false;
}

static bool step_pcre(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct pcre_match *pm = c->list->v[i].u.pcre;
    uint32_t start = pcre_is_relative(pm) ? prev_end : 0;
    if (pcre_is_negated(pm)) {
        uint32_t ms, me;
        /* Only a definite "no match" passes a negation: a pcre that gave
         * up (match limit, JIT stack) cannot tell, and an attacker who can
         * make it give up must not make the rule fire or pass. */
        if (pcre_inspect(c->env, pm, c->buf, c->len, start, &ms, &me) != PCRE_NO_MATCH)
            return false;
        return chain_from(c, i + 1, prev_end);
    }
    while (start <= c->len && (*c->budget)-- > 0) {
        uint32_t ms, me;
        if (pcre_inspect(c->env, pm, c->buf, c->len, start, &ms, &me) != PCRE_MATCHED)
            return false;
        if (chain_after_match(c, i, me))
            return true;
        if (pcre_is_relative(pm))
            return false;   /* anchored to the previous match: one try */
        start = ms + 1;
    }
    return false;
}

static bool step_bsize(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct bsize *b = &c->list->v[i].u.bsize;
    uint32_t n = c->len;
    bool ok;
    switch (b->op) {
    case '<': ok = n < b->a; break;
    case '>': ok = n > b->a; break;
    case 'l': ok = n <= b->a; break;
    case 'g': ok = n >= b->a; break;
    case '!': ok = n != b->a; break;
    case 'r': ok = n > b->a && n < b->b; break;
    default: ok = n == b->a; break;
    }
    return ok && chain_from(c, i + 1, prev_end);
}

/* Hash types are stored raw: the buffer's hex text is converted first. */
static bool dataset_value(const struct dataset *ds, const uint8_t *buf, uint32_t len,
                          uint8_t *out, uint32_t *outlen)
{
    enum dataset_type t = dataset_get_type(ds);
    uint32_t want = t == DATASET_MD5 ? 16 : t == DATASET_SHA256 ? 32 : 0;
    if (want == 0)
        return false;
    if (len != want * 2)
        return false;
    for (uint32_t k = 0; k < want; k++) {
        int hi = text_hex_digit(buf[2 * k]), lo = text_hex_digit(buf[2 * k + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[k] = (uint8_t)(hi << 4 | lo);
    }
    *outlen = want;
    return true;
}

static bool step_dataset(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct dataset_match *dm = &c->list->v[i].u.dataset;
    const uint8_t *val = c->buf;
    uint32_t vlen = c->len;
    uint8_t raw[32];
    enum dataset_type t = dataset_get_type(dm->ds);
    if (t == DATASET_MD5 || t == DATASET_SHA256) {
        if (!dataset_value(dm->ds, c->buf, c->len, raw, &vlen))
            return false;
        val = raw;
    } else if ((t == DATASET_IPV4 && vlen != 4) || (t == DATASET_IPV6 && vlen != 16)) {
        return false;
    }
    bool ok;
    switch (dm->cmd) {
    case DATASET_CMD_ISSET: ok = dataset_contains(dm->ds, val, vlen); break;
    case DATASET_CMD_ISNOTSET: ok = !dataset_contains(dm->ds, val, vlen); break;
    case DATASET_CMD_SET: ok = dataset_add(dm->ds, val, vlen) == 1; break;
    default: ok = dataset_remove(dm->ds, val, vlen) == 1; break;
    }
    return ok && chain_from(c, i + 1, prev_end);
}

/* --- isdataat, byte_*, base64 ------------------------------------------------------ */

/* A number given in the rule, or the byte_extract/byte_math variable it names. */
static uint64_t value_of(const struct chain *c, struct byte_value v)
{
    return v.var >= 0 ? c->vars[v.var] : (uint64_t)v.n;
}

static bool step_isdataat(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct isdataat *id = &c->list->v[i].u.isdataat;
    uint64_t at = value_of(c, id->at);
    /* absolute positions are stream offsets on a stream window */
    bool data = id->relative ? prev_end <= c->len && at <= (uint64_t)(c->len - prev_end)
                             : at < (uint64_t)c->len + c->base;
    if (data == id->negated)
        return false;
    return chain_from(c, i + 1, prev_end);
}

/* Where a byte_* keyword reads: offset from the start (of the stream, on a
 * stream window: before the window is negative, which reads nothing), or
 * from prev_end. */
static int64_t byte_pos(const struct chain *c, const struct byte_op *op, uint32_t prev_end)
{
    int64_t off = op->offset.var >= 0 ? modifier_value(c, 0, (uint8_t)(op->offset.var + 1))
                                      : op->offset.n;
    if (op->flags & BYTE_RELATIVE)
        return (int64_t)prev_end + off;
    return off - (int64_t)c->base;
}

static uint64_t byte_masked(const struct byte_op *op, uint64_t v)
{
    if (!(op->flags & BYTE_BITMASK))
        return v;
    v &= op->bitmask;
    return v >> op->shift;
}

/* Reads a byte_* keyword's number: the value and where the read ended (the
 * prev_end of the keywords after it; inside the buffer when true). */
static bool byte_step_read(const struct chain *c, const struct byte_op *op, uint32_t prev_end,
                           uint64_t *val, int64_t *end)
{
    int64_t pos = byte_pos(c, op, prev_end);
    uint32_t used;
    if (!byte_read(op, c->buf, c->len, pos, val, &used))
        return false;
    *end = pos + used;
    return true;
}

static bool step_byte_test(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct byte_op *op = c->list->v[i].u.byte;
    uint64_t val, want = value_of(c, op->value);
    int64_t end;
    if (!byte_step_read(c, op, prev_end, &val, &end))
        return false;
    val = byte_masked(op, val);
    bool m;
    switch (op->op) {
    case '<': m = val < want; break;
    case '>': m = val > want; break;
    case 'l': m = val <= want; break;
    case 'g': m = val >= want; break;
    case '&': m = (val & want) != 0; break;
    case '^': m = (val ^ want) != 0; break;
    default: m = val == want; break;
    }
    if (m == ((op->flags & BYTE_NEGATED) != 0))
        return false;
    return chain_from(c, i + 1, prev_end);
}

#define JUMP_MAX ((uint64_t)1 << 40)    /* far beyond any buffer: no match */

static bool step_byte_jump(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct byte_op *op = c->list->v[i].u.byte;
    uint64_t val;
    int64_t end;
    if (!byte_step_read(c, op, prev_end, &val, &end))
        return false;
    val = byte_masked(op, val);
    if (val > JUMP_MAX / op->multiplier)
        return false;
    val *= op->multiplier;
    if ((op->flags & BYTE_ALIGN) && val % 4)
        val += 4 - val % 4;
    int64_t jump = (int64_t)val + op->post_offset, to;
    if (op->flags & BYTE_FROM_BEGINNING)
        to = jump - (int64_t)c->base;
    else if (op->flags & BYTE_FROM_END)
        to = (int64_t)c->len + jump;
    else
        to = end + jump;
    if (to < 0)
        to = 0;     /* before the start: Suricata moves to the start */
    if (to > (int64_t)c->len)
        return false;
    return chain_from(c, i + 1, (uint32_t)to);
}

static bool step_byte_extract(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct byte_op *op = c->list->v[i].u.byte;
    uint64_t val;
    int64_t end;
    if (!byte_step_read(c, op, prev_end, &val, &end))
        return false;
    val = byte_masked(op, val) * op->multiplier;
    if (op->align && val % op->align)
        val += op->align - val % op->align;
    c->vars[op->result] = val;
    return chain_from(c, i + 1, (uint32_t)end);
}

static bool step_byte_math(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct byte_op *op = c->list->v[i].u.byte;
    uint64_t val, rv = value_of(c, op->value);
    int64_t end;
    if (!byte_step_read(c, op, prev_end, &val, &end))
        return false;
    switch (op->op) {
    case '+': val += rv; break;
    case '-': val -= rv; break;
    case '*': val *= rv; break;
    case '/':
        if (rv == 0)
            return false;   /* no result to give later keywords */
        val /= rv;
        break;
    case 'L': val = rv < 64 ? val << rv : 0; break;
    default: val = rv < 64 ? val >> rv : 0; break;
    }
    c->vars[op->result] = byte_masked(op, val);
    return chain_from(c, i + 1, (uint32_t)end);
}

/* Decodes into the thread's scratch buffer and runs base64_data's steps on
 * it (one base64_decode per rule, so nothing else uses the scratch while
 * they run); the rest of this buffer's chain then continues. */
static bool step_base64_decode(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct base64_decode *d = c->list->v[i].u.b64;
    int64_t start = (d->relative ? (int64_t)prev_end : 0) + d->offset;
    if (start >= (int64_t)c->len)
        return false;
    uint32_t avail = c->len - (uint32_t)start;
    if (d->bytes && d->bytes < avail)
        avail = d->bytes;
    /* decoding costs budget by size: a relative base64_decode retried at
     * every occurrence of a content cannot decode megabytes per packet */
    *c->budget -= (int)(avail / 64);
    if (*c->budget <= 0)
        return false;
    uint32_t cap;
    uint8_t *out = detect_thread_scratch(c->env->dt, &cap);
    if (!out)
        return false;
    uint32_t n = base64_decode_bytes(c->buf + start, avail, out, cap);
    if (n == 0)
        return false;
    struct chain sub = { .env = c->env, .list = d->data, .buf = out, .len = n,
                         .budget = c->budget, .vars = c->vars };
    if (!chain_from(&sub, 0, 0))
        return false;
    return chain_from(c, i + 1, prev_end);
}

static bool chain_from(struct chain *c, size_t i, uint32_t prev_end)
{
    if (i == c->list->n)
        return !c->stream || c->max_end > c->min_end;
    if (*c->budget <= 0)
        return false;
    if (c->list->v[i].kind >= INSPECT_ISDATAAT)
        (*c->budget)--;     /* isdataat, byte_* and base64 steps count one each */
    switch (c->list->v[i].kind) {
    case INSPECT_CONTENT: return step_content(c, i, prev_end);
    case INSPECT_PCRE: return step_pcre(c, i, prev_end);
    case INSPECT_BSIZE: return step_bsize(c, i, prev_end);
    case INSPECT_DATASET: return step_dataset(c, i, prev_end);
    case INSPECT_ISDATAAT: return step_isdataat(c, i, prev_end);
    case INSPECT_BYTE_TEST: return step_byte_test(c, i, prev_end);
    case INSPECT_BYTE_JUMP: return step_byte_jump(c, i, prev_end);
    case INSPECT_BYTE_EXTRACT: return step_byte_extract(c, i, prev_end);
    case INSPECT_BYTE_MATH: return step_byte_math(c, i, prev_end);
    case INSPECT_BASE64_DECODE: return step_base64_decode(c, i, prev_end);
    }
    return false;
}

bool inspect_buffer(const struct match_env *env, const struct inspect_list *list,
                    const uint8_t *buf, uint32_t len)
{
    int budget = INSPECT_BUDGET;
    uint64_t vars[DETECT_BYTE_VARS] = { 0 };
    struct chain c = { .env = env, .list = list, .buf = buf, .len = len, .budget = &budget,
                       .vars = vars };
    return chain_from(&c, 0, 0);
}

bool inspect_stream(const struct match_env *env, const struct inspect_list *list,
                    const uint8_t *buf, uint32_t len, uint64_t base, uint32_t min_end)
{
    int budget = INSPECT_BUDGET;
    uint64_t vars[DETECT_BYTE_VARS] = { 0 };
    struct chain c = { .env = env, .list = list, .buf = buf, .len = len, .budget = &budget,
                       .vars = vars, .stream = true, .base = base, .min_end = min_end };
    return chain_from(&c, 0, 0);
}


/* One group of a buffer's steps against every instance: the first that
 * satisfies the whole group decides.  Each instance gets its own budget,
 * so a costly first name cannot hide a later one (instances are bounded by
 * the parsers: DNS_MAX_QUERIES, DNS_MAX_RECORDS, TLS_MAX_CERTS). */
static bool group_matches(const struct match_env *env, int buffer, const struct inspect_list *g)
{
    const uint8_t *data;
    uint32_t len;
    for (uint32_t i = 0; detect_buffer_get_at(env, buffer, i, &data, &len); i++)
        if (inspect_buffer(env, g, data, len))
            return true;
    return false;
}

bool inspect_rule_buffer(const struct match_env *env, const struct rule *r, int buffer)
{
    const struct inspect_list *all = &r->buf[buffer];
    size_t start = 0;
    for (size_t k = 0; k <= r->ngroups; k++) {
        size_t end = all->n;
        if (k < r->ngroups) {
            if (r->groups[k].buffer != buffer)
                continue;
            end = r->groups[k].start;
        }
        struct inspect_list g = { .v = all->v + start, .n = end - start };
        if (!group_matches(env, buffer, &g))
            return false;
        start = end;
    }
    return true;
}
