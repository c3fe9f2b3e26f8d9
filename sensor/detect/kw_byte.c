/* byte_test, byte_jump, byte_extract and byte_math: numbers read from the
 * inspected buffer (binary big/little endian, or ASCII digits with string),
 * compared, jumped over, or kept in a named variable for later keywords of
 * the same buffer.  Suricata's syntax and semantics; the steps run in inspect.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/keywords.h"
#include "util/text.h"

#define BYTE_OFFSET_MAX 65535
#define BYTE_ARGS 16
#define BYTE_STRING_MAX 23      /* digits of the longest octal uint64 */

/* --- variables ---------------------------------------------------------------- */

int byte_var_find(struct rule_parser *rp, const char *name)
{
    for (int i = 0; i < rp->nvars; i++) {
        if (strcmp(rp->var_name[i], name) != 0)
            continue;
        if (rp->var_buffer[i] != rp->buffer) {
            rule_err(rp, "%s: variable '%s' belongs to buffer %s, not %s", rp->keyword, name,
                     detect_buffer_name(rp->var_buffer[i]), detect_buffer_name(rp->buffer));
            return -1;
        }
        return i;
    }
    rule_err(rp, "%s: unknown variable '%s' (byte_extract or byte_math must set it first)",
             rp->keyword, name);
    return -1;
}

static bool var_name_ok(const char *name)
{
    if (!isalpha((unsigned char)name[0]) && name[0] != '_')
        return false;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
            return false;
    return true;
}

int byte_var_add(struct rule_parser *rp, const char *name)
{
    if (!var_name_ok(name) || strlen(name) >= sizeof rp->var_name[0]) {
        rule_err(rp, "%s: invalid variable name '%s'", rp->keyword, name);
        return -1;
    }
    for (int i = 0; i < rp->nvars; i++) {
        if (strcmp(rp->var_name[i], name) == 0) {
            rule_err(rp, "%s: variable '%s' is already defined", rp->keyword, name);
            return -1;
        }
    }
    if (rp->nvars >= DETECT_BYTE_VARS) {
        rule_err(rp, "%s: more than %d byte variables in one rule", rp->keyword,
                 DETECT_BYTE_VARS);
        return -1;
    }
    snprintf(rp->var_name[rp->nvars], sizeof rp->var_name[0], "%s", name);
    rp->var_buffer[rp->nvars] = (int8_t)rp->buffer;
    return rp->nvars++;
}

int byte_enter_buffer(struct rule_parser *rp, const char *value)
{
    int saved = rp->buffer;
    if (rp->buffer != BUF_PAYLOAD || rp->b64_list || rp->last_payload_buffer <= BUF_PAYLOAD ||
        !value)
        return saved;
    for (const char *p = strstr(value, "relative"); p; p = strstr(p + 1, "relative")) {
        bool start = p == value || p[-1] == ',' || isspace((unsigned char)p[-1]);
        char end = p[8];
        if (start && (end == '\0' || end == ',' || isspace((unsigned char)end))) {
            rp->buffer = rp->last_payload_buffer;
            break;
        }
    }
    return saved;
}

int byte_setup_in_buffer(struct rule_parser *rp, const char *v,
                         int (*setup)(struct rule_parser *, const char *))
{
    int saved = byte_enter_buffer(rp, v);
    int rc = setup(rp, v);
    rp->buffer = saved;
    return rc;
}

void payload_mark_save(const struct rule_parser *rp, struct payload_mark *m)
{
    m->list = NULL;
    const struct inspect *lp = rp->last_payload;
    if (!lp || (lp->kind != INSPECT_CONTENT && lp->kind != INSPECT_PCRE))
        return;
    struct inspect_list *lists[2] = {
        rp->last_payload_buffer >= 0 ? &rp->rule->buf[rp->last_payload_buffer] : NULL,
        rp->b64_list,
    };
    for (int i = 0; i < 2; i++) {
        struct inspect_list *l = lists[i];
        if (l && l->n && lp >= l->v && lp < l->v + l->n) {
            *m = (struct payload_mark){ l, (size_t)(lp - l->v), rp->last_payload_buffer };
            return;
        }
    }
}

void payload_mark_restore(struct rule_parser *rp, const struct payload_mark *m)
{
    if (!m->list) {
        rp->last_payload = NULL;
        return;
    }
    rp->last_payload = &m->list->v[m->idx];
    rp->last_payload_buffer = m->buffer;
}

/* --- option text ----------------------------------------------------------------- */

int copy_value(struct rule_parser *rp, const char *v, char *buf, size_t size)
{
    size_t n = strlen(v);
    if (n >= size) {
        rule_err(rp, "%s: value longer than %zu bytes", rp->keyword, size - 1);
        return -1;
    }
    memcpy(buf, v, n + 1);
    return 0;
}

/* Splits "a, b ,c" into trimmed fields; -1 after rule_err on too many or empty. */
static int split_args(struct rule_parser *rp, char *text, char **argv);

/* The comma-separated arguments of v, split in text (which argv points
 * into); -1 after rule_err when there are fewer than min, with need saying
 * which are required. */
static int read_args(struct rule_parser *rp, const char *v, char *text, size_t size, char **argv,
                     int min, const char *need)
{
    if (copy_value(rp, v, text, size) < 0)
        return -1;
    int argc = split_args(rp, text, argv);
    if (argc < 0)
        return -1;
    if (argc < min) {
        rule_err(rp, "%s", need);
        return -1;
    }
    return argc;
}

static int split_args(struct rule_parser *rp, char *text, char **argv)
{
    int n = 0;
    for (char *tok = text;; n++) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (n == BYTE_ARGS) {
            rule_err(rp, "%s: too many options", rp->keyword);
            return -1;
        }
        argv[n] = text_trim(tok);
        if (!*argv[n]) {
            rule_err(rp, "%s: empty option", rp->keyword);
            return -1;
        }
        if (!comma)
            return n + 1;
        tok = comma + 1;
    }
}

/* A decimal or 0x-hex integer in [min, max]. */
static bool parse_i64(const char *text, int64_t min, int64_t max, int64_t *out)
{
    const char *p = text;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (!isdigit((unsigned char)*p))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) ? 16 : 10);
    if (errno || *end || v > (unsigned long long)INT64_MAX)
        return false;
    int64_t s = neg ? -(int64_t)v : (int64_t)v;
    if (s < min || s > max)
        return false;
    *out = s;
    return true;
}

/* An unsigned 64-bit value (byte_test values, bitmasks), read as Suricata
 * does: by prefix, 0x hex, 0 octal, else decimal. */
static bool parse_u64(const char *text, uint64_t *out)
{
    if (!isdigit((unsigned char)text[0]))
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 0);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

int byte_value_parse(struct rule_parser *rp, const char *what, const char *text, int64_t min,
                     int64_t max, struct byte_value *out)
{
    if (isalpha((unsigned char)text[0]) || text[0] == '_') {
        int v = byte_var_find(rp, text);
        if (v < 0)
            return -1;
        *out = (struct byte_value){ 0, (int8_t)v };
        return 0;
    }
    if (!parse_i64(text, min, max, &out->n)) {
        rule_err(rp, "%s: invalid %s '%s' (a number from %lld to %lld or a variable)",
                 rp->keyword, what, text, (long long)min, (long long)max);
        return -1;
    }
    out->var = -1;
    return 0;
}

/* "name value" options: the value after the word, or NULL. */
static const char *word_value(const char *arg, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(arg, word, n) != 0 || !isspace((unsigned char)arg[n]))
        return NULL;
    const char *v = arg + n;
    while (isspace((unsigned char)*v))
        v++;
    return *v ? v : NULL;
}

static int set_base(struct rule_parser *rp, struct byte_op *op, const char *arg, bool *base_set)
{
    uint8_t b = strcmp(arg, "hex") == 0 ? 16 : strcmp(arg, "dec") == 0 ? 10 : 8;
    if (*base_set) {
        rule_err(rp, "%s: more than one of hex, dec, oct", rp->keyword);
        return -1;
    }
    *base_set = true;
    op->base = b;
    return 0;
}

static int set_bitmask(struct rule_parser *rp, struct byte_op *op, const char *v)
{
    uint64_t m;
    if (!v || !parse_u64(v, &m) || m == 0 || m > UINT32_MAX) {
        rule_err(rp, "%s: invalid bitmask '%s' (1 to 0xffffffff)", rp->keyword, v ? v : "");
        return -1;
    }
    op->flags |= BYTE_BITMASK;
    op->bitmask = m;
    op->shift = 0;
    while (!(m & 1)) {
        m >>= 1;
        op->shift++;
    }
    return 0;
}

/* The options every byte_* keyword shares; 1 when arg was one, 0 when not,
 * -1 after rule_err.  "string" may carry its base ("string dec", byte_math). */
static int common_option(struct rule_parser *rp, struct byte_op *op, const char *arg,
                         bool *base_set)
{
    const char *v;
    if (strcmp(arg, "relative") == 0) {
        op->flags |= BYTE_RELATIVE;
    } else if (strcmp(arg, "big") == 0 || strcmp(arg, "little") == 0) {
        if (op->flags & (BYTE_BIG | BYTE_LITTLE)) {
            rule_err(rp, "%s: more than one endianness", rp->keyword);
            return -1;
        }
        op->flags |= arg[0] == 'b' ? BYTE_BIG : BYTE_LITTLE;
    } else if (strcmp(arg, "string") == 0) {
        op->flags |= BYTE_STRING;
    } else if (strcmp(arg, "hex") == 0 || strcmp(arg, "dec") == 0 || strcmp(arg, "oct") == 0) {
        return set_base(rp, op, arg, base_set) < 0 ? -1 : 1;
    } else if ((v = word_value(arg, "string"))) {
        if (strcmp(v, "hex") != 0 && strcmp(v, "dec") != 0 && strcmp(v, "oct") != 0) {
            rule_err(rp, "%s: invalid string base '%s' (hex, dec or oct)", rp->keyword, v);
            return -1;
        }
        op->flags |= BYTE_STRING;
        return set_base(rp, op, v, base_set) < 0 ? -1 : 1;
    } else if ((v = word_value(arg, "bitmask")) || strcmp(arg, "bitmask") == 0) {
        return set_bitmask(rp, op, v) < 0 ? -1 : 1;
    } else if (strcmp(arg, "dce") == 0) {
        /* The byte order would come from the DCE/RPC header, and the
         * keyword only applies to DCE/RPC stub data: no such parser here. */
        rule_err(rp, "%s: option 'dce' needs the DCE/RPC parser, which xiezhi does not have",
                 rp->keyword);
        rp->unsupported = true;
        return -1;
    } else {
        return 0;
    }
    return 1;
}

/* Checks shared by all: nbytes range, string/base agreement.  With string,
 * byte_test and byte_jump ignore big/little as Suricata does (ET has such
 * rules); byte_extract and byte_math refuse the mix, as Suricata does. */
static int check_common(struct rule_parser *rp, struct byte_op *op, bool base_set,
                        unsigned max_binary)
{
    if (base_set && !(op->flags & BYTE_STRING)) {
        rule_err(rp, "%s: hex, dec and oct need 'string'", rp->keyword);
        return -1;
    }
    bool lenient = strcmp(rp->keyword, "byte_test") == 0 || strcmp(rp->keyword, "byte_jump") == 0;
    if (!lenient && (op->flags & BYTE_STRING) && (op->flags & (BYTE_BIG | BYTE_LITTLE))) {
        rule_err(rp, "%s: 'string' cannot be combined with big or little", rp->keyword);
        return -1;
    }
    if (op->flags & BYTE_STRING) {
        if (op->nbytes > BYTE_STRING_MAX) {
            rule_err(rp, "%s: cannot read more than %d bytes with 'string'", rp->keyword,
                     BYTE_STRING_MAX);
            return -1;
        }
    } else if (op->nbytes < 1 || op->nbytes > max_binary) {
        rule_err(rp, "%s: number of bytes must be 1 to %u without 'string'", rp->keyword,
                 max_binary);
        return -1;
    }
    return 0;
}

static int parse_nbytes(struct rule_parser *rp, const char *text, struct byte_op *op)
{
    int64_t n;
    if (!parse_i64(text, 0, BYTE_STRING_MAX, &n)) {
        rule_err(rp, "%s: invalid number of bytes '%s'", rp->keyword, text);
        return -1;
    }
    op->nbytes = (uint8_t)n;
    return 0;
}

static struct byte_op *new_op(struct rule_parser *rp)
{
    struct byte_op *op = calloc(1, sizeof *op);
    if (!op) {
        rule_err(rp, "out of memory");
        return NULL;
    }
    op->multiplier = 1;
    op->result = -1;
    op->offset.var = op->value.var = -1;
    return op;
}

/* Adds the step to the current buffer (the keyword is an app-layer one
 * when that buffer is a sticky buffer, as for content). */
static int add_step(struct rule_parser *rp, enum inspect_kind kind, struct byte_op *op)
{
    struct payload_mark mark;
    payload_mark_save(rp, &mark);
    struct inspect *in = rule_add_inspect(rp, kind);
    if (!in) {
        free(op);
        return -1;
    }
    in->u.byte = op;
    payload_mark_restore(rp, &mark);
    if (rp->buffer != BUF_PAYLOAD && rp->buffer != BUF_IP_SRC && rp->buffer != BUF_IP_DST)
        rp->rule->app_layer = true;
    return 0;
}

/* --- byte_test ---------------------------------------------------------------------- */

static int parse_test_op(struct rule_parser *rp, const char *text, struct byte_op *op)
{
    static const struct { const char *s; uint8_t op; } ops[] = {
        { "<", '<' }, { ">", '>' }, { "=", '=' }, { "<=", 'l' }, { ">=", 'g' },
        { "&", '&' }, { "^", '^' },
    };
    const char *t = text;
    if (*t == '!') {
        op->flags |= BYTE_NEGATED;
        t++;
        if (*t == '\0' || strcmp(t, "=") == 0) {  /* "!" and "!=" are "not equal" */
            op->op = '=';
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        if (strcmp(ops[i].s, t) == 0) {
            op->op = ops[i].op;
            return 0;
        }
    }
    rule_err(rp, "byte_test: invalid operator '%s' (<, >, =, <=, >=, &, ^, optionally after !)",
             text);
    return -1;
}

static int kw_byte_test_in(struct rule_parser *rp, const char *v);

int kw_byte_test(struct rule_parser *rp, const char *v)
{
    return byte_setup_in_buffer(rp, v, kw_byte_test_in);
}

static int kw_byte_test_in(struct rule_parser *rp, const char *v)
{
    char text[512], *argv[BYTE_ARGS];
    int argc = read_args(rp, v, text, sizeof text, argv, 4,
                         "byte_test needs nbytes, operator, value and offset");
    if (argc < 0)
        return -1;
    struct byte_op *op = new_op(rp);
    if (!op)
        return -1;
    bool base_set = false;
    if (parse_nbytes(rp, argv[0], op) < 0 || parse_test_op(rp, argv[1], op) < 0)
        goto fail;
    if (isalpha((unsigned char)argv[2][0]) || argv[2][0] == '_') {
        if (byte_value_parse(rp, "value", argv[2], 0, 0, &op->value) < 0)
            goto fail;
    } else {
        uint64_t u;
        if (!parse_u64(argv[2], &u)) {
            rule_err(rp, "byte_test: invalid value '%s'", argv[2]);
            goto fail;
        }
        op->value = (struct byte_value){ (int64_t)u, -1 };
    }
    if (byte_value_parse(rp, "offset", argv[3], -BYTE_OFFSET_MAX, BYTE_OFFSET_MAX,
                         &op->offset) < 0)
        goto fail;
    for (int i = 4; i < argc; i++) {
        int r = common_option(rp, op, argv[i], &base_set);
        if (r < 0)
            goto fail;
        if (r == 0) {
            rule_err(rp, "byte_test: unknown option '%s'", argv[i]);
            goto fail;
        }
    }
    if (check_common(rp, op, base_set, 8) < 0)
        goto fail;
    return add_step(rp, INSPECT_BYTE_TEST, op);
fail:
    free(op);
    return -1;
}

/* --- byte_jump ------------------------------------------------------------------------ */

static int kw_byte_jump_in(struct rule_parser *rp, const char *v);

int kw_byte_jump(struct rule_parser *rp, const char *v)
{
    return byte_setup_in_buffer(rp, v, kw_byte_jump_in);
}

static int kw_byte_jump_in(struct rule_parser *rp, const char *v)
{
    char text[512], *argv[BYTE_ARGS];
    int argc = read_args(rp, v, text, sizeof text, argv, 2,
                         "byte_jump needs nbytes and offset");
    if (argc < 0)
        return -1;
    struct byte_op *op = new_op(rp);
    if (!op)
        return -1;
    bool base_set = false;
    if (parse_nbytes(rp, argv[0], op) < 0 ||
        byte_value_parse(rp, "offset", argv[1], -BYTE_OFFSET_MAX, BYTE_OFFSET_MAX,
                         &op->offset) < 0)
        goto fail;
    for (int i = 2; i < argc; i++) {
        const char *val;
        int64_t n;
        int r = common_option(rp, op, argv[i], &base_set);
        if (r < 0)
            goto fail;
        if (r == 1)
            continue;
        if (strcmp(argv[i], "align") == 0) {
            op->flags |= BYTE_ALIGN;
        } else if (strcmp(argv[i], "from_beginning") == 0) {
            op->flags |= BYTE_FROM_BEGINNING;
        } else if (strcmp(argv[i], "from_end") == 0) {
            op->flags |= BYTE_FROM_END;
        } else if ((val = word_value(argv[i], "multiplier"))) {
            if (!parse_i64(val, 1, 65535, &n)) {
                rule_err(rp, "byte_jump: invalid multiplier '%s' (1 to 65535)", val);
                goto fail;
            }
            op->multiplier = (uint32_t)n;
        } else if ((val = word_value(argv[i], "post_offset"))) {
            if (!parse_i64(val, -BYTE_OFFSET_MAX, BYTE_OFFSET_MAX, &n)) {
                rule_err(rp, "byte_jump: invalid post_offset '%s' (-65535 to 65535)", val);
                goto fail;
            }
            op->post_offset = (int32_t)n;
        } else {
            rule_err(rp, "byte_jump: unknown option '%s'", argv[i]);
            goto fail;
        }
    }
    if ((op->flags & BYTE_FROM_BEGINNING) && (op->flags & BYTE_FROM_END)) {
        rule_err(rp, "byte_jump: from_beginning and from_end cannot be combined");
        goto fail;
    }
    if (check_common(rp, op, base_set, 8) < 0)
        goto fail;
    return add_step(rp, INSPECT_BYTE_JUMP, op);
fail:
    free(op);
    return -1;
}

/* --- byte_extract ------------------------------------------------------------------------ */

static int kw_byte_extract_in(struct rule_parser *rp, const char *v);

int kw_byte_extract(struct rule_parser *rp, const char *v)
{
    return byte_setup_in_buffer(rp, v, kw_byte_extract_in);
}

static int kw_byte_extract_in(struct rule_parser *rp, const char *v)
{
    char text[512], *argv[BYTE_ARGS];
    int argc = read_args(rp, v, text, sizeof text, argv, 3,
                         "byte_extract needs nbytes, offset and a variable name");
    if (argc < 0)
        return -1;
    struct byte_op *op = new_op(rp);
    if (!op)
        return -1;
    bool base_set = false;
    int64_t n;
    if (parse_nbytes(rp, argv[0], op) < 0)
        goto fail;
    if (!parse_i64(argv[1], -BYTE_OFFSET_MAX, BYTE_OFFSET_MAX, &n)) {
        rule_err(rp, "byte_extract: invalid offset '%s' (-65535 to 65535)", argv[1]);
        goto fail;
    }
    op->offset.n = n;
    for (int i = 3; i < argc; i++) {
        const char *val;
        int r = common_option(rp, op, argv[i], &base_set);
        if (r < 0)
            goto fail;
        if (r == 1)
            continue;
        if ((val = word_value(argv[i], "multiplier"))) {
            if (!parse_i64(val, 1, 65535, &n)) {
                rule_err(rp, "byte_extract: invalid multiplier '%s' (1 to 65535)", val);
                goto fail;
            }
            op->multiplier = (uint32_t)n;
        } else if ((val = word_value(argv[i], "align"))) {
            if (strcmp(val, "2") != 0 && strcmp(val, "4") != 0) {
                rule_err(rp, "byte_extract: invalid align '%s' (2 or 4)", val);
                goto fail;
            }
            op->align = (uint8_t)(val[0] - '0');
        } else {
            rule_err(rp, "byte_extract: unknown option '%s'", argv[i]);
            goto fail;
        }
    }
    if ((op->flags & BYTE_STRING) && !base_set)
        op->base = 10;
    if (op->nbytes == 0) {
        rule_err(rp, "byte_extract: number of bytes must be at least 1");
        goto fail;
    }
    if (check_common(rp, op, base_set, 8) < 0)
        goto fail;
    int var = byte_var_add(rp, argv[2]);
    if (var < 0)
        goto fail;
    op->result = (int8_t)var;
    return add_step(rp, INSPECT_BYTE_EXTRACT, op);
fail:
    free(op);
    return -1;
}

/* --- byte_math ------------------------------------------------------------------------------ */

static int parse_math_oper(struct rule_parser *rp, const char *v, struct byte_op *op)
{
    static const struct { const char *s; uint8_t op; } ops[] = {
        { "+", '+' }, { "-", '-' }, { "*", '*' }, { "/", '/' }, { "<<", 'L' }, { ">>", 'R' },
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        if (strcmp(ops[i].s, v) == 0) {
            op->op = ops[i].op;
            return 0;
        }
    }
    rule_err(rp, "byte_math: invalid oper '%s' (+, -, *, /, <<, >>)", v);
    return -1;
}

/* byte_math: bytes N, offset N, oper OP, rvalue N|var, result name
 * [, relative] [, endian big|little] [, string hex|dec|oct] [, bitmask M] */
static int kw_byte_math_in(struct rule_parser *rp, const char *v);

int kw_byte_math(struct rule_parser *rp, const char *v)
{
    return byte_setup_in_buffer(rp, v, kw_byte_math_in);
}

static int kw_byte_math_in(struct rule_parser *rp, const char *v)
{
    char text[512], *argv[BYTE_ARGS];
    int argc = read_args(rp, v, text, sizeof text, argv, 0, "");
    if (argc < 0)
        return -1;
    struct byte_op *op = new_op(rp);
    if (!op)
        return -1;
    bool base_set = false, have_bytes = false, have_offset = false, have_rvalue = false;
    const char *result = NULL;
    for (int i = 0; i < argc; i++) {
        const char *val;
        int64_t n;
        if ((val = word_value(argv[i], "bytes"))) {
            if (parse_nbytes(rp, val, op) < 0)
                goto fail;
            have_bytes = true;
        } else if ((val = word_value(argv[i], "offset"))) {
            if (!parse_i64(val, -BYTE_OFFSET_MAX, BYTE_OFFSET_MAX, &n)) {
                rule_err(rp, "byte_math: invalid offset '%s' (-65535 to 65535)", val);
                goto fail;
            }
            op->offset.n = n;
            have_offset = true;
        } else if ((val = word_value(argv[i], "oper"))) {
            if (parse_math_oper(rp, val, op) < 0)
                goto fail;
        } else if ((val = word_value(argv[i], "rvalue"))) {
            if (byte_value_parse(rp, "rvalue", val, 0, UINT32_MAX, &op->value) < 0)
                goto fail;
            have_rvalue = true;
        } else if ((val = word_value(argv[i], "result"))) {
            result = val;
        } else if ((val = word_value(argv[i], "endian"))) {
            if (strcmp(val, "big") != 0 && strcmp(val, "little") != 0 &&
                strcmp(val, "dce") != 0) {
                rule_err(rp, "byte_math: invalid endian '%s' (big, little or dce)", val);
                goto fail;
            }
            if (common_option(rp, op, val, &base_set) < 0)
                goto fail;
        } else {
            int r = common_option(rp, op, argv[i], &base_set);
            if (r < 0)
                goto fail;
            if (r == 0) {
                rule_err(rp, "byte_math: unknown option '%s'", argv[i]);
                goto fail;
            }
        }
    }
    if (!have_bytes || !have_offset || !op->op || !have_rvalue || !result) {
        rule_err(rp, "byte_math needs bytes, offset, oper, rvalue and result");
        goto fail;
    }
    if ((op->flags & BYTE_STRING) && !base_set)
        op->base = 10;
    if (op->nbytes == 0) {
        rule_err(rp, "byte_math: bytes must be 1 to 10");
        goto fail;
    }
    if ((op->flags & BYTE_STRING) && op->nbytes > 10) {
        rule_err(rp, "byte_math: bytes must be 1 to 10");
        goto fail;
    }
    if ((op->op == 'L' || op->op == 'R') && op->nbytes > 4) {
        rule_err(rp, "byte_math: bytes must be 1 to 4 with << and >>");
        goto fail;
    }
    if (check_common(rp, op, base_set, 8) < 0)
        goto fail;
    int var = byte_var_add(rp, result);
    if (var < 0)
        goto fail;
    op->result = (int8_t)var;
    return add_step(rp, INSPECT_BYTE_MATH, op);
fail:
    free(op);
    return -1;
}

/* --- reading numbers from the buffer ------------------------------------------------------ */

static int digit_value(uint8_t c)
{
    int d = text_hex_digit(c);
    return d < 0 ? 99 : d;          /* above every base: ends the number */
}

/* ASCII digits at p (up to max bytes; max 0 = as many as the buffer holds,
 * capped at BYTE_STRING_MAX), read as Suricata does with strtoull: leading
 * blanks skipped, digits up to the first that is not one (the rest of the
 * nbytes is ignored), base 0 picks by prefix (0x hex, 0 octal). */
static bool read_string(const uint8_t *p, uint32_t avail, uint8_t max, uint8_t base,
                        uint64_t *val, uint32_t *used)
{
    uint32_t lim = max ? max : BYTE_STRING_MAX;
    if (lim > avail)
        lim = avail;
    uint32_t skip = 0;
    while (skip < lim && isspace(p[skip]))
        skip++;
    p += skip;
    lim -= skip;
    uint32_t i = 0;
    if (base == 0) {
        base = 10;
        if (lim >= 1 && p[0] == '0') {
            base = 8;
            if (lim >= 3 && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16) {
                base = 16;
                i = 2;
            }
        }
    } else if (base == 16 && lim >= 3 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
               digit_value(p[2]) < 16) {
        i = 2;
    }
    uint32_t first = i;
    uint64_t v = 0;
    for (; i < lim; i++) {
        int d = digit_value(p[i]);
        if (d >= base)
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            return false;   /* overflow: not a number we can use */
        v = v * base + (uint64_t)d;
    }
    if (i == first)
        return false;
    *val = v;
    *used = skip + i;
    return true;
}

bool byte_read(const struct byte_op *op, const uint8_t *buf, uint32_t len, int64_t pos,
               uint64_t *val, uint32_t *used)
{
    if (pos < 0 || pos > (int64_t)len)
        return false;
    const uint8_t *p = buf + pos;
    uint32_t avail = len - (uint32_t)pos;
    if (op->flags & BYTE_STRING) {
        if (op->nbytes > avail || avail == 0)
            return false;
        return read_string(p, avail, op->nbytes, op->base, val, used);
    }
    if (op->nbytes == 0 || op->nbytes > avail)
        return false;
    uint64_t v = 0;
    for (uint32_t i = 0; i < op->nbytes; i++) {
        uint8_t b = (op->flags & BYTE_LITTLE) ? p[op->nbytes - 1 - i] : p[i];
        v = v << 8 | b;
    }
    *val = v;
    *used = op->nbytes;
    return true;
}
