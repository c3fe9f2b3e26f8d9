/* Buffer inspection: a rule's content/pcre/bsize/dataset chain for one
 * buffer, evaluated in rule order like Suricata's content inspection.
 * Relative keywords (distance, within, pcre /R) are placed after the end of
 * the previous match; when a later keyword fails, earlier contents are
 * retried at their next occurrence, within a fixed step budget so hostile
 * payloads cannot make inspection explode. */
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
    int budget;
    /* stream windows: buf[0]'s stream offset, and the end a match must pass */
    bool stream;
    uint64_t base;
    uint32_t min_end;
    uint32_t max_end;           /* furthest content/pcre end on the current path */
};

static bool chain_from(struct chain *c, size_t i, uint32_t prev_end);

/* The window [start, end) a content may occupy, or false when empty.
 * Absolute positions count from the stream's start on a stream window. */
static bool content_window(const struct content *ct, uint32_t len, uint32_t prev_end,
                           uint64_t base, uint32_t *start, uint32_t *end)
{
    int64_t s = 0, e = len;
    if (ct->flags & (CF_DISTANCE | CF_WITHIN)) {
        int64_t dist = (ct->flags & CF_DISTANCE) ? ct->distance : 0;
        s = (int64_t)prev_end + dist;
        if (ct->flags & CF_WITHIN)
            e = (int64_t)prev_end + dist + ct->within;
        if (s < 0)
            s = 0;
    } else {
        if (ct->flags & CF_OFFSET)
            s = ct->offset;
        if (ct->flags & CF_DEPTH)
            e = (int64_t)((ct->flags & CF_OFFSET) ? ct->offset : 0) + ct->depth;
        if (base && (ct->flags & (CF_OFFSET | CF_DEPTH))) {
            if (base >= (uint64_t)e)
                return false;       /* the window begins after the allowed range */
            s = s > (int64_t)base ? s - (int64_t)base : 0;
            e -= (int64_t)base;
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

static bool step_content(struct chain *c, size_t i, uint32_t prev_end)
{
    const struct content *ct = &c->list->v[i].u.content;
    uint32_t start, end;
    bool found_any = false;
    if (content_window(ct, c->len, prev_end, c->base, &start, &end)) {
        bool nocase = ct->flags & CF_NOCASE;
        uint32_t pos = start;
        while (pos + ct->len <= end && c->budget-- > 0) {
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
                uint32_t saved = c->max_end;
                if (mend > c->max_end)
                    c->max_end = mend;
                if (chain_from(c, i + 1, mend))
                    return true;
                c->max_end = saved;
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
        if (pcre_inspect(c->env, pm, c->buf, c->len, start, &ms, &me))
            return false;
        return chain_from(c, i + 1, prev_end);
    }
    while (start <= c->len && c->budget-- > 0) {
        uint32_t ms, me;
        if (!pcre_inspect(c->env, pm, c->buf, c->len, start, &ms, &me))
            return false;
        uint32_t saved = c->max_end;
        if (me > c->max_end)
            c->max_end = me;
        if (chain_from(c, i + 1, me))
            return true;
        c->max_end = saved;
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

static bool chain_from(struct chain *c, size_t i, uint32_t prev_end)
{
    if (i == c->list->n)
        return !c->stream || c->max_end > c->min_end;
    if (c->budget <= 0)
        return false;
    switch (c->list->v[i].kind) {
    case INSPECT_CONTENT: return step_content(c, i, prev_end);
    case INSPECT_PCRE: return step_pcre(c, i, prev_end);
    case INSPECT_BSIZE: return step_bsize(c, i, prev_end);
    case INSPECT_DATASET: return step_dataset(c, i, prev_end);
    }
    return false;
}

bool inspect_buffer(const struct match_env *env, const struct inspect_list *list,
                    const uint8_t *buf, uint32_t len)
{
    struct chain c = { env, list, buf, len, INSPECT_BUDGET, false, 0, 0, 0 };
    return chain_from(&c, 0, 0);
}

bool inspect_stream(const struct match_env *env, const struct inspect_list *list,
                    const uint8_t *buf, uint32_t len, uint64_t base, uint32_t min_end)
{
    struct chain c = { env, list, buf, len, INSPECT_BUDGET, true, base, min_end, 0 };
    return chain_from(&c, 0, 0);
}
