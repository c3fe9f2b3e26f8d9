/* The payload keywords isdataat, byte_test, byte_jump, byte_extract,
 * byte_math, base64_decode and base64_data: parsed values for every option,
 * the exact message for every kind of bad value, and matching on crafted
 * payloads (endianness, string bases, relative chains with backtracking,
 * byte variables in later keywords, reads at and past the buffer's end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "detect/detect.h"
#include "detect/keywords.h"
#include "detect/rule.h"

/* --- parsing ------------------------------------------------------------------------------- */

static struct detect_engine *de;

static int setup_engine(void **state)
{
    (void)state;
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .classification_file = "rules/classification.config" };
    de = detect_engine_load(&cfg, &diag);
    return de && diag.errors == 0 ? 0 : -1;
}

static int teardown_engine(void **state)
{
    (void)state;
    detect_engine_free(de);
    return 0;
}

static char err[400];
static bool unsupported;

static struct rule *parse(const char *text)
{
    bool passive;
    err[0] = '\0';
    return rule_parse(de, text, "t.rules", 7, err, sizeof err, &unsupported, &passive);
}

static struct rule *parse_ok(const char *text)
{
    struct rule *r = parse(text);
    if (!r)
        fail_msg("refused: %s: %s", err, text);
    return r;
}

static void expect_error(const char *text, const char *message)
{
    struct rule *r = parse(text);
    if (r) {
        rule_free(r);
        fail_msg("rule accepted, expected \"%s\": %s", message, text);
    }
    if (strcmp(err, message) != 0)
        fail_msg("got \"%s\", expected \"%s\"", err, message);
}

#define RULE(opts) "alert tcp any any -> any any (" opts " sid:1;)"

static const struct inspect *step(const struct rule *r, int buffer, size_t i)
{
    assert_true(i < r->buf[buffer].n);
    return &r->buf[buffer].v[i];
}

static void test_parse_byte_test(void **state)
{
    (void)state;
    struct rule *r = parse_ok(RULE("content:\"ab\"; byte_test:4,!&,0x80,-2,relative,little,bitmask 0x0ff0;"));
    const struct inspect *in = step(r, BUF_PAYLOAD, 1);
    assert_int_equal(in->kind, INSPECT_BYTE_TEST);
    const struct byte_op *op = in->u.byte;
    assert_int_equal(op->nbytes, 4);
    assert_int_equal(op->op, '&');
    assert_int_equal(op->flags & (BYTE_NEGATED | BYTE_RELATIVE | BYTE_LITTLE | BYTE_BITMASK),
                     BYTE_NEGATED | BYTE_RELATIVE | BYTE_LITTLE | BYTE_BITMASK);
    assert_int_equal(op->value.n, 0x80);
    assert_int_equal(op->value.var, -1);
    assert_int_equal(op->offset.n, -2);
    assert_int_equal(op->bitmask, 0x0ff0);
    assert_int_equal(op->shift, 4);
    rule_free(r);

    static const struct { const char *text; uint8_t op; bool neg; } ops[] = {
        { "<", '<', false }, { ">", '>', false }, { "=", '=', false }, { "<=", 'l', false },
        { ">=", 'g', false }, { "&", '&', false }, { "^", '^', false }, { "!=", '=', true }, { "!", '=', true }, { "!<", '<', true },
        { "!^", '^', true },
    };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        char text[200];
        snprintf(text, sizeof text, RULE("byte_test:1,%s,5,0;"), ops[i].text);
        r = parse_ok(text);
        op = step(r, BUF_PAYLOAD, 0)->u.byte;
        assert_int_equal(op->op, ops[i].op);
        assert_int_equal((op->flags & BYTE_NEGATED) != 0, ops[i].neg);
        rule_free(r);
    }
    r = parse_ok(RULE("byte_test:5, >, 256, 0, string, dec, relative;"));
    op = step(r, BUF_PAYLOAD, 0)->u.byte;
    assert_int_equal(op->base, 10);
    assert_true(op->flags & BYTE_STRING);
    rule_free(r);
    r = parse_ok(RULE("byte_test:0,<,100,0,string;"));     /* digits until a non-digit */
    op = step(r, BUF_PAYLOAD, 0)->u.byte;
    assert_int_equal(op->nbytes, 0);
    assert_int_equal(op->base, 0);                          /* by prefix, as strtoull */
    rule_free(r);
    r = parse_ok(RULE("byte_test:2,=,0x21,0,string,oct;"));
    assert_int_equal(step(r, BUF_PAYLOAD, 0)->u.byte->base, 8);
    rule_free(r);
    r = parse_ok(RULE("byte_test:4,>,0x80000000,12,relative,big,string,hex;"));
    assert_int_equal(step(r, BUF_PAYLOAD, 0)->u.byte->base, 16);
    assert_int_equal(step(r, BUF_PAYLOAD, 0)->u.byte->value.n, 0x80000000);
    rule_free(r);
}

static void test_parse_byte_jump_extract_math(void **state)
{
    (void)state;
    struct rule *r = parse_ok(RULE(
        "byte_jump:4,-3,relative,multiplier 2,little,align,from_beginning,post_offset -1;"));
    const struct byte_op *op = step(r, BUF_PAYLOAD, 0)->u.byte;
    assert_int_equal(step(r, BUF_PAYLOAD, 0)->kind, INSPECT_BYTE_JUMP);
    assert_int_equal(op->nbytes, 4);
    assert_int_equal(op->offset.n, -3);
    assert_int_equal(op->multiplier, 2);
    assert_int_equal(op->post_offset, -1);
    assert_int_equal(op->flags & (BYTE_RELATIVE | BYTE_LITTLE | BYTE_ALIGN | BYTE_FROM_BEGINNING),
                     BYTE_RELATIVE | BYTE_LITTLE | BYTE_ALIGN | BYTE_FROM_BEGINNING);
    rule_free(r);
    r = parse_ok(RULE("byte_jump:0,0,relative,string,from_end,post_offset -26;"));
    op = step(r, BUF_PAYLOAD, 0)->u.byte;
    assert_true(op->flags & BYTE_FROM_END);
    assert_int_equal(op->post_offset, -26);
    rule_free(r);

    r = parse_ok(RULE("byte_extract:2,1,len,relative,multiplier 3,align 4,little;"
                      " byte_extract:3,0,n2,string,hex;"
                      " byte_test:1,=,len,n2; byte_jump:1,len; isdataat:!len,relative;"
                      " content:\"x\"; distance:len; within:n2;"));
    op = step(r, BUF_PAYLOAD, 0)->u.byte;
    assert_int_equal(step(r, BUF_PAYLOAD, 0)->kind, INSPECT_BYTE_EXTRACT);
    assert_int_equal(op->result, 0);
    assert_int_equal(op->multiplier, 3);
    assert_int_equal(op->align, 4);
    assert_int_equal(op->offset.n, 1);
    op = step(r, BUF_PAYLOAD, 1)->u.byte;
    assert_int_equal(op->result, 1);
    assert_int_equal(op->base, 16);
    op = step(r, BUF_PAYLOAD, 2)->u.byte;
    assert_int_equal(op->value.var, 0);
    assert_int_equal(op->offset.var, 1);
    assert_int_equal(step(r, BUF_PAYLOAD, 3)->u.byte->offset.var, 0);
    const struct isdataat *id = &step(r, BUF_PAYLOAD, 4)->u.isdataat;
    assert_int_equal(id->at.var, 0);
    assert_true(id->negated);
    assert_true(id->relative);
    const struct content *c = &step(r, BUF_PAYLOAD, 5)->u.content;
    assert_int_equal(c->var_distance, 1);
    assert_int_equal(c->var_within, 2);
    rule_free(r);

    r = parse_ok(RULE("byte_extract:1,0,k; byte_math:bytes 2, offset 1, oper <<, rvalue k,"
                      " result r2, relative, endian little, bitmask 0xff00; byte_test:1,>,r2,0;"));
    op = step(r, BUF_PAYLOAD, 1)->u.byte;
    assert_int_equal(step(r, BUF_PAYLOAD, 1)->kind, INSPECT_BYTE_MATH);
    assert_int_equal(op->nbytes, 2);
    assert_int_equal(op->offset.n, 1);
    assert_int_equal(op->op, 'L');
    assert_int_equal(op->value.var, 0);
    assert_int_equal(op->result, 1);
    assert_int_equal(op->shift, 8);
    assert_true(op->flags & BYTE_LITTLE);
    assert_true(op->flags & BYTE_RELATIVE);
    rule_free(r);
    r = parse_ok(RULE("byte_math:bytes 4,offset 0,oper /,rvalue 7,result q,string dec;"));
    op = step(r, BUF_PAYLOAD, 0)->u.byte;
    assert_int_equal(op->op, '/');
    assert_int_equal(op->value.n, 7);
    assert_int_equal(op->base, 10);
    rule_free(r);
}

static void test_parse_isdataat_base64(void **state)
{
    (void)state;
    struct rule *r = parse_ok(RULE("content:\"a\"; isdataat: !10, relative; isdataat:5,rawbytes;"));
    const struct isdataat *id = &step(r, BUF_PAYLOAD, 1)->u.isdataat;
    assert_int_equal(id->at.n, 10);
    assert_true(id->negated && id->relative);
    id = &step(r, BUF_PAYLOAD, 2)->u.isdataat;
    assert_int_equal(id->at.n, 5);
    assert_false(id->negated || id->relative);
    rule_free(r);

    r = parse_ok(RULE("content:\"arg\"; base64_decode:bytes 17, offset 1, relative; base64_data;"
                      " content:\"thisisatest\"; nocase; pkt_data; content:\"tail\";"));
    assert_int_equal(r->buf[BUF_PAYLOAD].n, 3);     /* arg, base64_decode, tail */
    const struct base64_decode *b = step(r, BUF_PAYLOAD, 1)->u.b64;
    assert_int_equal(step(r, BUF_PAYLOAD, 1)->kind, INSPECT_BASE64_DECODE);
    assert_int_equal(b->bytes, 17);
    assert_int_equal(b->offset, 1);
    assert_true(b->relative);
    assert_int_equal(b->data->n, 1);
    assert_int_equal(b->data->v[0].u.content.len, 11);
    assert_true(b->data->v[0].u.content.flags & CF_NOCASE);
    /* the prefilter never takes a content of the decoded data */
    assert_int_equal(step(r, BUF_PAYLOAD, 2)->u.content.len, 4);
    rule_free(r);

    /* a relative keyword after a legacy-modified content goes to its buffer */
    r = parse_ok(RULE("content:\"arg\"; http_uri; isdataat:!1,relative; content:\"q\"; http_uri;"
                      " base64_decode:relative; base64_data; content:\"x\";"));
    assert_int_equal(r->buf[BUF_PAYLOAD].n, 0);
    assert_int_equal(r->buf[BUF_HTTP_URI].n, 4);
    assert_int_equal(step(r, BUF_HTTP_URI, 1)->kind, INSPECT_ISDATAAT);
    assert_int_equal(step(r, BUF_HTTP_URI, 3)->kind, INSPECT_BASE64_DECODE);
    assert_int_equal(step(r, BUF_HTTP_URI, 3)->u.b64->data->n, 1);
    rule_free(r);

    /* ET writes modifiers after isdataat: they apply to the content before */
    r = parse_ok(RULE("content:\".exe\"; http_uri; isdataat:!1,relative; fast_pattern; nocase;"));
    assert_int_equal(r->buf[BUF_HTTP_URI].n, 2);
    assert_int_equal(step(r, BUF_HTTP_URI, 0)->u.content.flags & (CF_FAST_PATTERN | CF_NOCASE),
                     CF_FAST_PATTERN | CF_NOCASE);
    rule_free(r);
    /* ... and a legacy modifier after them takes them along */
    r = parse_ok(RULE("content:\"Jorgee\"; depth:6; isdataat:!1,relative; http_user_agent; fast_pattern;"));
    assert_int_equal(r->buf[BUF_PAYLOAD].n, 0);
    assert_int_equal(r->buf[BUF_HTTP_USER_AGENT].n, 2);
    assert_int_equal(step(r, BUF_HTTP_USER_AGENT, 0)->u.content.flags & (CF_FAST_PATTERN | CF_DEPTH),
                     CF_FAST_PATTERN | CF_DEPTH);
    assert_int_equal(step(r, BUF_HTTP_USER_AGENT, 1)->kind, INSPECT_ISDATAAT);
    rule_free(r);
    r = parse_ok(RULE("content:\"T\"; byte_extract:1,0,v,relative; http_uri; byte_test:1,=,v,0,relative;"));
    assert_int_equal(r->buf[BUF_HTTP_URI].n, 3);
    assert_int_equal(step(r, BUF_HTTP_URI, 2)->u.byte->value.var, 0);
    rule_free(r);
    /* pkt_data ends that: a relative keyword after it stays in the payload */
    r = parse_ok(RULE("content:\"a\"; http_uri; pkt_data; isdataat:1,relative;"));
    assert_int_equal(r->buf[BUF_PAYLOAD].n, 1);
    assert_int_equal(r->buf[BUF_HTTP_URI].n, 1);
    rule_free(r);
    r = parse_ok(RULE("base64_decode; base64_data; content:\"d\"; pcre:\"/u/U\"; content:\"e\";"));
    assert_int_equal(r->buf[BUF_HTTP_URI].n, 1);
    assert_int_equal(step(r, BUF_PAYLOAD, 0)->u.b64->data->n, 2);
    rule_free(r);
    r = parse_ok(RULE("content:\"x\"; pcre:\"/y/R\"; byte_test:1,=,1,0,relative; content:\"z\"; rawbytes;"));
    assert_int_equal(r->buf[BUF_PAYLOAD].n, 4);
    rule_free(r);
}

static void test_parse_errors(void **state)
{
    (void)state;
    expect_error(RULE("byte_test:4,>,1;"), "byte_test needs nbytes, operator, value and offset");
    expect_error(RULE("byte_test:9,>,1,0;"), "byte_test: number of bytes must be 1 to 8 without 'string'");
    expect_error(RULE("byte_test:0,>,1,0;"), "byte_test: number of bytes must be 1 to 8 without 'string'");
    expect_error(RULE("byte_test:24,>,1,0,string;"), "byte_test: invalid number of bytes '24'");
    expect_error(RULE("byte_test:x,>,1,0;"), "byte_test: invalid number of bytes 'x'");
    expect_error(RULE("byte_test:1,=>,1,0;"),
                 "byte_test: invalid operator '=>' (<, >, =, <=, >=, &, ^, optionally after !)");
    expect_error(RULE("byte_test:1,>,1x,0;"), "byte_test: invalid value '1x'");
    expect_error(RULE("byte_test:1,>,1,70000;"),
                 "byte_test: invalid offset '70000' (a number from -65535 to 65535 or a variable)");
    expect_error(RULE("byte_test:1,>,1,0,sideways;"), "byte_test: unknown option 'sideways'");
    expect_error(RULE("byte_test:1,>,1,0,hex;"), "byte_test: hex, dec and oct need 'string'");
    expect_error(RULE("byte_test:1,>,1,0,big,little;"), "byte_test: more than one endianness");
    expect_error(RULE("byte_test:1,>,1,0,string,hex,dec;"), "byte_test: more than one of hex, dec, oct");
    expect_error(RULE("byte_test:1,>,1,0,bitmask 0;"), "byte_test: invalid bitmask '0' (1 to 0xffffffff)");
    expect_error(RULE("byte_test:1,>,1,0,bitmask;"), "byte_test: invalid bitmask '' (1 to 0xffffffff)");
    expect_error(RULE("byte_test:1,>,1,0,,relative;"), "byte_test: empty option");
    expect_error(RULE("byte_test:1,>,nosuch,0;"),
                 "byte_test: unknown variable 'nosuch' (byte_extract or byte_math must set it first)");
    expect_error(RULE("byte_test:1,>,1,0,dce;"),
                 "byte_test: option 'dce' needs the DCE/RPC parser, which xiezhi does not have");
    assert_true(unsupported);
    expect_error(RULE("byte_jump:4;"), "byte_jump needs nbytes and offset");
    expect_error(RULE("byte_jump:4,0,from_end,from_beginning;"),
                 "byte_jump: from_beginning and from_end cannot be combined");
    expect_error(RULE("byte_jump:4,0,multiplier 0;"), "byte_jump: invalid multiplier '0' (1 to 65535)");
    expect_error(RULE("byte_jump:4,0,post_offset x;"),
                 "byte_jump: invalid post_offset 'x' (-65535 to 65535)");
    expect_error(RULE("byte_jump:4,0,align 4;"), "byte_jump: unknown option 'align 4'");
    expect_error(RULE("byte_extract:4,0;"), "byte_extract needs nbytes, offset and a variable name");
    expect_error(RULE("byte_extract:4,0,1abc;"), "byte_extract: invalid variable name '1abc'");
    expect_error(RULE("byte_extract:4,0,v; byte_extract:1,0,v;"),
                 "byte_extract: variable 'v' is already defined");
    expect_error(RULE("byte_extract:4,0,v,align 3;"), "byte_extract: invalid align '3' (2 or 4)");
    expect_error(RULE("byte_extract:4,0,v,string,big;"),
                 "byte_extract: 'string' cannot be combined with big or little");
    expect_error(RULE("byte_extract:0,0,v,string;"), "byte_extract: number of bytes must be at least 1");
    expect_error(RULE("byte_extract:1,0,v; http.uri; content:\"a\"; distance:v;"),
                 "distance: variable 'v' belongs to buffer pkt_data, not http.uri");
    expect_error(RULE("content:\"a\"; within:nope;"),
                 "within: unknown variable 'nope' (byte_extract or byte_math must set it first)");
    expect_error(RULE("byte_math:bytes 1, offset 0, oper +, rvalue 1;"),
                 "byte_math needs bytes, offset, oper, rvalue and result");
    expect_error(RULE("byte_math:bytes 1, offset 0, oper %, rvalue 1, result r;"),
                 "byte_math: invalid oper '%' (+, -, *, /, <<, >>)");
    expect_error(RULE("byte_math:bytes 8, offset 0, oper <<, rvalue 1, result r;"),
                 "byte_math: bytes must be 1 to 4 with << and >>");
    expect_error(RULE("byte_math:bytes 11, offset 0, oper +, rvalue 1, result r, string dec;"),
                 "byte_math: bytes must be 1 to 10");
    expect_error(RULE("byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, endian middle;"),
                 "byte_math: invalid endian 'middle' (big, little or dce)");
    expect_error(RULE("byte_math:bytes 1, offset 0, oper +, rvalue 1, result r, string bin;"),
                 "byte_math: invalid string base 'bin' (hex, dec or oct)");
    char longv[700];
    memset(longv, '1', sizeof longv);
    memcpy(longv, "alert tcp any any -> any any (byte_test:1,>,1,0,", 48);
    snprintf(longv + 600, 100, "; sid:1;)");
    expect_error(longv, "byte_test: value longer than 511 bytes");
    expect_error(RULE("isdataat:;"), "keyword 'isdataat' needs a value");
    expect_error(RULE("isdataat:!;"), "isdataat needs an offset");
    expect_error(RULE("isdataat:70000;"),
                 "isdataat: invalid offset '70000' (a number from 0 to 65535 or a variable)");
    expect_error(RULE("isdataat:1,sideways;"), "isdataat: unknown option 'sideways' (relative, rawbytes)");
    expect_error(RULE("base64_data; content:\"a\";"),
                 "base64_data needs a base64_decode before it in the same buffer");
    expect_error(RULE("base64_decode; http.uri; base64_data;"),
                 "base64_data needs a base64_decode before it in the same buffer");
    expect_error(RULE("base64_decode; base64_decode;"), "only one base64_decode per rule");
    expect_error(RULE("base64_decode:bytes 0;"), "base64_decode: bytes must be 1 to 65535");
    expect_error(RULE("base64_decode:offset -1;"), "base64_decode: offset must be 0 to 65535");
    expect_error(RULE("base64_decode:width 3;"),
                 "base64_decode: unknown option 'width 3' (bytes N, offset N, relative)");
    expect_error(RULE("rawbytes;"), "'rawbytes' needs a preceding content");
    expect_error(RULE("http.uri; content:\"a\"; rawbytes;"),
                 "rawbytes only applies to a content of the packet payload");
    expect_error(RULE("base64_decode; base64_data; content:\"a\"; http_uri;"),
                 "'http_uri' needs a preceding content");
    /* the loader reports file:line and refuses only the bad rule */
    char path[] = "/tmp/xiezhi-payload-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "alert tcp any any -> any any (content:\"a\"; sid:1;)\n"
                       "alert tcp any any -> any any (byte_jump:4,0,multiplier 70000; sid:2;)\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    const char *files[] = { path };
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .rule_files = files, .nrule_files = 1,
                                        .classification_file = "rules/classification.config" };
    struct detect_engine *e = detect_engine_load(&cfg, &diag);
    assert_non_null(e);
    assert_int_equal(diag.errors, 1);
    char expect[200];
    snprintf(expect, sizeof expect, "%s:2: byte_jump: invalid multiplier '70000' (1 to 65535)", path);
    assert_string_equal(diag.last, expect);
    detect_engine_free(e);
    unlink(path);
}

/* --- matching -------------------------------------------------------------------------------- */

struct world {
    struct detect_engine *de;
    struct detect_thread *dt;
    uint64_t fired;             /* bit per sid (< 64) of the last packet */
    struct alert_sink sink;
    struct flow flow;
    struct packet pkt;
    char path[64];
};

static void record(void *ctx, const struct flow *flow, const struct packet *pkt,
                   const struct rule_info *rule, const struct anomaly_info *anomaly)
{
    (void)flow;
    (void)pkt;
    (void)anomaly;
    struct world *w = ctx;
    if (rule->sid < 64)
        w->fired |= 1ull << rule->sid;
}

static void world_load(struct world *w, const char *rules)
{
    memset(w, 0, sizeof *w);
    strcpy(w->path, "/tmp/xiezhi-payload-XXXXXX");
    int fd = mkstemp(w->path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, rules, strlen(rules)), (ssize_t)strlen(rules));
    close(fd);
    const char *files[] = { w->path };
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .rule_files = files, .nrule_files = 1,
                                        .classification_file = "rules/classification.config" };
    w->de = detect_engine_load(&cfg, &diag);
    assert_non_null(w->de);
    if (diag.errors)
        fail_msg("rule errors: %s", diag.last);
    w->dt = detect_thread_new(w->de);
    assert_non_null(w->dt);
    w->sink.ctx = w;
    w->sink.emit = record;
    w->flow.client.family = w->flow.server.family = 4;
    memcpy(w->flow.client.bytes, "\x0a\x00\x00\x01", 4);
    memcpy(w->flow.server.bytes, "\xc0\x00\x02\x50", 4);
    w->flow.client_port = 40000;
    w->flow.server_port = 80;
    w->flow.proto = 6;
    w->flow.tcp_state = FLOW_TCP_ESTABLISHED;
    w->flow.pkts[0] = 3;
    w->flow.pkts[1] = 2;
    w->pkt.ip_version = 4;
    w->pkt.proto = 6;
    w->pkt.ttl = 64;
    w->pkt.tcp_flags = TCP_ACK | TCP_PSH;
    w->pkt.ts_usec = 1700000000000000ull;
    w->pkt.src = w->flow.client;
    w->pkt.dst = w->flow.server;
    w->pkt.src_port = 40000;
    w->pkt.dst_port = 80;
}

static void world_free(struct world *w)
{
    if (w->flow.detect)
        detect_flow_end(w->dt, &w->flow, &w->sink);
    detect_thread_free(w->dt);
    detect_engine_free(w->de);
    unlink(w->path);
}

/* The sids (as a bit set) that the payload makes fire.  The payload is
 * copied into a buffer of exactly its size, so that ASan sees any read
 * past its end. */
static uint64_t fire(struct world *w, const void *payload, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, payload, len);
    w->pkt.payload = copy;
    w->pkt.payload_len = (uint32_t)len;
    w->pkt.ts_usec += 1000;
    w->fired = 0;
    detect_packet(w->dt, &w->flow, &w->pkt, FLOW_TOSERVER, &w->sink);
    free(copy);
    return w->fired;
}

#define P(s) s, sizeof(s) - 1
#define S(n) (1ull << (n))
#define R(opts, sid) "alert tcp any any -> any any (" opts " sid:" #sid ";)\n"

static void test_byte_test_binary(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        R("content:\"AB\"; byte_test:2,=,0x0102,0,relative;", 1)
        R("content:\"AB\"; byte_test:2,=,0x0201,0,relative,little;", 2)
        R("content:\"AB\"; byte_test:4,>,0x01020300,0,relative;", 3)
        R("content:\"AB\"; byte_test:4,<,0x01020300,0,relative;", 4)
        R("content:\"AB\"; byte_test:1,&,0x01,0,relative;", 5)
        R("content:\"AB\"; byte_test:1,!&,0x01,0,relative;", 6)
        R("content:\"AB\"; byte_test:1,^,0x01,0,relative;", 7)
        R("content:\"AB\"; byte_test:1,<=,1,0,relative;", 8)
        R("content:\"AB\"; byte_test:1,>=,2,0,relative;", 9)
        R("content:\"AB\"; byte_test:1,!=,1,0,relative;", 10)
        R("content:\"AB\"; byte_test:8,=,0x0102030405060708,0,relative;", 11)
        R("content:\"AB\"; byte_test:8,=,0x0807060504030201,0,relative,little;", 12)
        R("byte_test:1,=,0x41,0;", 13)
        R("content:\"AB\"; byte_test:1,=,0x41,-2,relative;", 14)
        R("byte_test:2,=,0x0102,-1;", 15)
        R("content:\"AB\"; byte_test:2,=,0x808,-2,relative,bitmask 0xf8f8;", 16)
        R("content:\"AB\"; byte_test:1,=,02,0,relative;", 17));   /* octal, as in Suricata */
    /* "AB" 01 02 03 04 05 06 07 08 */
    uint64_t f = fire(&w, P("AB\x01\x02\x03\x04\x05\x06\x07\x08"));
    assert_int_equal(f, S(1) | S(2) | S(3) | S(5) | S(8) | S(11) | S(12) | S(13) | S(14) | S(16));
    /* first byte 02: & 1 fails, ^ 1 holds, >= 2 holds, != 1 holds */
    f = fire(&w, P("AB\x02\x01"));
    assert_int_equal(f, S(6) | S(7) | S(9) | S(10) | S(13) | S(14) | S(16) | S(17));
    /* reads that would end past the buffer never match */
    f = fire(&w, P("AB\x01"));
    assert_int_equal(f, S(5) | S(8) | S(13) | S(14) | S(16));
    f = fire(&w, P("AB"));
    assert_int_equal(f, S(13) | S(14) | S(16));
    world_free(&w);
}

static void test_byte_test_string(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        R("content:\"len=\"; byte_test:3,=,123,0,relative,string,dec;", 1)
        R("content:\"len=\"; byte_test:3,=,0x123,0,relative,string,hex;", 2)
        R("content:\"len=\"; byte_test:3,=,83,0,relative,string,oct;", 3)
        R("content:\"len=\"; byte_test:0,>,100000,0,relative,string,dec;", 4)
        R("content:\"len=\"; byte_test:5,=,12,0,relative,string;", 5)
        R("content:\"len=\"; byte_test:4,=,26,0,relative,string;", 6)
        R("content:\"len=\"; byte_test:4,=,18,0,relative,string;", 7));
    assert_int_equal(fire(&w, P("len=123")), S(1) | S(2) | S(3));
    /* digits up to the first non-digit; the rest of nbytes is ignored */
    assert_int_equal(fire(&w, P("len=12;xx")), S(5));
    /* base by prefix without a base: 0x1a = 26, 022 = 18 */
    assert_int_equal(fire(&w, P("len=0x1a")), S(6));
    assert_int_equal(fire(&w, P("len=0220")), 0);       /* 0220 octal = 144 */
    assert_int_equal(fire(&w, P("len=022;")), S(7));
    /* nbytes 0: as many digits as there are */
    assert_int_equal(fire(&w, P("len=1234567")), S(1) | S(2) | S(3) | S(4));
    assert_int_equal(fire(&w, P("len=99999")), 0);
    /* no digit at all, or no byte left: no match */
    assert_int_equal(fire(&w, P("len=abc")), 0);
    assert_int_equal(fire(&w, P("len=")), 0);
    /* a 24-digit number overflows 64 bits: not a number */
    assert_int_equal(fire(&w, P("len=999999999999999999999999")), 0);
    world_free(&w);
}

static void test_byte_jump(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        /* length-prefixed field, then the marker right after it */
        R("content:\"HDR\"; byte_jump:1,0,relative; content:\"END\"; distance:0; within:3;", 1)
        R("content:\"HDR\"; byte_jump:1,0,relative,multiplier 2; content:\"END\"; distance:0; within:3;", 2)
        R("content:\"HDR\"; byte_jump:1,0,relative,align; content:\"END\"; distance:0; within:3;", 3)
        R("byte_jump:1,3,from_beginning; content:\"END\"; distance:0; within:3;", 4)
        R("content:\"HDR\"; byte_jump:1,0,relative,post_offset -1; content:\"cEND\"; distance:0; within:4;", 5)
        /* to the very end: allowed; isdataat:!1,relative then holds */
        R("content:\"HDR\"; byte_jump:1,0,relative,from_end,post_offset -3; isdataat:!1,relative;", 6)
        R("content:\"HDR\"; byte_jump:1,0,relative,little; isdataat:!1,relative;", 7));
    /* HDR 03 'abc' END */
    assert_int_equal(fire(&w, P("HDR\x03" "abcEND")), S(1) | S(5) | S(6));
    /* HDR 03 'abcdef' END: multiplier 2 jumps 6 */
    assert_int_equal(fire(&w, P("HDR\x03" "abcdefEND")), S(2) | S(6));
    /* HDR 03 'abc' 'x' END: align rounds 3 up to 4 */
    assert_int_equal(fire(&w, P("HDR\x03" "abcxEND")), S(3) | S(6));
    /* from_beginning: the byte at 3 (0x04) is the new position */
    assert_int_equal(fire(&w, P("HDR\x04" "END")), S(4));
    /* jumping exactly to the end is allowed, past the end is not */
    assert_int_equal(fire(&w, P("HDR\x02" "ab")), S(7));
    assert_int_equal(fire(&w, P("HDR\x03" "ab")), S(6));
    assert_int_equal(fire(&w, P("HDR")), 0);
    world_free(&w);

    /* Suricata's detect-bytejump-01: a decimal string, from_end */
    world_load(&w,
        R("content:\"Question?\"; byte_jump:2,0,relative,string,from_end,post_offset -26; content:\"pandemic\"; distance:0;", 1)
        R("content:\"Question?\"; byte_jump:0,0,relative,string,from_end,post_offset -3; content:\"pandemic\"; distance:0;", 2)
        /* before the start: moved to the start, as in Suricata */
        R("content:\"Question?\"; byte_jump:2,0,relative,string,from_beginning,post_offset -100; content:\"Question\"; distance:0; within:8;", 3));
    assert_int_equal(fire(&w, P("Question?13When will the pandemic end?")), S(1) | S(3));
    world_free(&w);
}

static void test_byte_extract_variables(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        /* a TLV: the type-1 length says where the value ends */
        R("content:\"T\"; byte_extract:1,0,len,relative; content:\"|21|\"; distance:len; within:1;", 1)
        R("byte_extract:1,0,off; content:\"Z\"; offset:off; depth:1;", 2)
        R("byte_extract:1,0,want; byte_test:1,=,want,1;", 3)
        R("byte_extract:1,0,skip; byte_jump:1,skip; content:\"K\"; distance:0; within:1;", 4)
        R("byte_extract:1,0,need; isdataat:need;", 5)
        R("byte_extract:1,0,need; isdataat:!need,relative;", 6)
        R("byte_extract:2,0,d,string,dec,multiplier 2; content:\"Q\"; offset:d; depth:1;", 7)
        R("byte_extract:1,0,a,align 4; content:\"A\"; offset:a; depth:1;", 8));
    /* "T" 03 'abc' '!' */
    assert_int_equal(fire(&w, P("T\x03" "abc!")) & S(1), S(1));
    assert_int_equal(fire(&w, P("T\x02" "abc!")) & S(1), 0);
    /* byte 0 = 3: Z at 3, byte 1 == 3, jump 3 from byte 3 (the K at 1+... ) */
    assert_int_equal(fire(&w, P("\x03\x03xZ")) & (S(2) | S(3) | S(5)), S(2) | S(3) | S(5));
    assert_int_equal(fire(&w, P("\x03\x02xZ")) & (S(2) | S(3) | S(5)), S(2) | S(5));
    /* isdataat:3 needs 4 bytes; !need,relative: fewer than need after byte 0 */
    assert_int_equal(fire(&w, P("\x03xy")) & (S(5) | S(6)), S(6));
    assert_int_equal(fire(&w, P("\x02xyz")) & (S(5) | S(6)), S(5));
    /* byte_jump reads at offset skip (2): 01, then jumps 1 past it to the K */
    assert_int_equal(fire(&w, P("\x02x\x01yK")) & S(4), S(4));
    assert_int_equal(fire(&w, P("\x02x\x02yK")) & S(4), 0);
    /* "03" as decimal times 2 = 6: Q at 6 */
    assert_int_equal(fire(&w, P("03xxxxQ")) & S(7), S(7));
    assert_int_equal(fire(&w, P("03xxxQx")) & S(7), 0);
    /* align 4: 05 -> 8 */
    assert_int_equal(fire(&w, P("\x05xxxxxxxA")) & S(8), S(8));
    assert_int_equal(fire(&w, P("\x05xxxxA")) & S(8), 0);
    world_free(&w);

    /* Suricata's bug-7390: distance from a variable, then a negative distance */
    world_load(&w, R("content:\"5f71ycy\"; byte_extract:1,0,option_len,string,relative; content:!\"8\"; distance:option_len; within:1; content:\"7\"; distance:-1; within:1; content:\"I\"; distance:option_len; within:1;", 1));
    assert_int_equal(fire(&w, P("5f71ycy7abcdefgI")), S(1));
    assert_int_equal(fire(&w, P("5f71ycy7abcdefg8")), 0);
    assert_int_equal(fire(&w, P("5f71ycy6abcdefgI")), 0);
    world_free(&w);
}

static void test_byte_math(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        R("byte_math:bytes 1, offset 0, oper +, rvalue 5, result r; byte_test:1,=,r,1;", 1)
        R("byte_math:bytes 1, offset 0, oper -, rvalue 1, result r; byte_test:1,=,r,1;", 2)
        R("byte_math:bytes 1, offset 0, oper *, rvalue 3, result r; byte_test:1,=,r,1;", 3)
        R("byte_math:bytes 1, offset 0, oper /, rvalue 2, result r; byte_test:1,=,r,1;", 4)
        R("byte_math:bytes 1, offset 0, oper <<, rvalue 1, result r; byte_test:1,=,r,1;", 5)
        R("byte_math:bytes 1, offset 0, oper >>, rvalue 1, result r; byte_test:1,=,r,1;", 6)
        R("byte_extract:1,1,z; byte_math:bytes 1, offset 0, oper /, rvalue z, result r; byte_test:1,>=,0,0;", 7)
        R("byte_extract:1,1,k; byte_math:bytes 1, offset 0, oper +, rvalue k, result r; byte_test:1,>,r,2;", 8)
        R("byte_math:bytes 2, offset 0, oper +, rvalue 0, result r, endian little, bitmask 0xff00; byte_test:1,=,r,1;", 9)
        R("byte_math:bytes 2, offset 0, oper *, rvalue 1, result r, string dec; byte_test:1,=,r,2;", 10)
        /* the position moves past the bytes read: relative keywords after it */
        R("byte_math:bytes 1, offset 0, oper +, rvalue 0, result r; content:\"X\"; distance:0; within:1;", 11));
    /* 04: +5 = 9, -1 = 3, *3 = 12, /2 = 2, <<1 = 8, >>1 = 2 */
    assert_int_equal(fire(&w, P("\x04\x09")) & 0x7e, S(1));
    assert_int_equal(fire(&w, P("\x04\x03")) & 0x7e, S(2));
    assert_int_equal(fire(&w, P("\x04\x0c")) & 0x7e, S(3));
    assert_int_equal(fire(&w, P("\x04\x02")) & 0x7e, S(4) | S(6));
    assert_int_equal(fire(&w, P("\x04\x08")) & 0x7e, S(5));
    /* divide by a zero variable: no result, no match */
    assert_int_equal(fire(&w, P("\x04\x00")) & S(7), 0);
    assert_int_equal(fire(&w, P("\x04\x01")) & S(7), S(7));
    /* rvalue from a variable: 02 + 03 = 5 < 06 */
    assert_int_equal(fire(&w, P("\x02\x03\x06")) & S(8), S(8));
    assert_int_equal(fire(&w, P("\x02\x03\x05")) & S(8), 0);
    /* little endian 0x0703 masked by 0xff00 and shifted: 7 */
    assert_int_equal(fire(&w, P("\x03\x07")) & S(9), S(9));
    /* "12" decimal */
    assert_int_equal(fire(&w, P("12\x0c")) & S(10), S(10));
    assert_int_equal(fire(&w, P("\x01X")) & S(11), S(11));
    assert_int_equal(fire(&w, P("X\x01")) & S(11), 0);
    world_free(&w);
}

static void test_isdataat(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        R("isdataat:4;", 1)
        R("isdataat:!4;", 2)
        R("content:\"ab\"; isdataat:2,relative;", 3)
        R("content:\"ab\"; isdataat:!1,relative;", 4)
        R("content:\"ab\"; isdataat:0,relative;", 5));
    assert_int_equal(fire(&w, P("abcde")), S(1) | S(3) | S(5));     /* byte 4 exists */
    assert_int_equal(fire(&w, P("abcd")), S(2) | S(3) | S(5));
    assert_int_equal(fire(&w, P("xab")), S(2) | S(4) | S(5));
    /* the second "ab" is at the end: backtracking finds it */
    assert_int_equal(fire(&w, P("abxab")) & S(4), S(4));
    world_free(&w);
}

static void test_base64(void **state)
{
    (void)state;
    struct world w;
    world_load(&w,
        /* "dGhpc2lzYXRlc3QK" is "thisisatest\n" (Suricata's base64 case) */
        R("content:\"arg\"; base64_decode:bytes 17, offset 1, relative; base64_data; content:\"thisisatest\";", 1)
        R("content:\"arg\"; base64_decode:bytes 10, offset 1, relative; base64_data; content:\"test\";", 2)
        R("content:\"arg\"; base64_decode:bytes 17, offset 1, relative; base64_data; content:\"toast\";", 3)
        R("base64_decode; base64_data; content:\"thisis\"; startswith;", 4)
        R("content:\"arg=\"; base64_decode:relative; base64_data; content:\"atest\"; offset:6; depth:5; isdataat:!2,relative;", 5)
        R("content:\"arg=\"; base64_decode:relative; base64_data; byte_test:1,=,0x74,0;", 6));
    assert_int_equal(fire(&w, P("arg=dGhpc2lzYXRlc3QK")), S(1) | S(5) | S(6));
    assert_int_equal(fire(&w, P("dGhpc2lzYXRlc3QK")), S(4));
    /* decoding stops at the first byte outside the alphabet */
    assert_int_equal(fire(&w, P("arg=dGhp!c2lzYXRlc3QK")), S(6));
    /* nothing to decode */
    assert_int_equal(fire(&w, P("arg=")), 0);
    assert_int_equal(fire(&w, P("arg=!!!!")), 0);
    world_free(&w);
}

/* A hostile payload (the first content everywhere, the relative test never
 * true) ends within the step budget and never matches. */
static void test_budget(void **state)
{
    (void)state;
    struct world w;
    world_load(&w, R("content:\"A\"; byte_jump:1,0,relative; byte_test:1,=,0x42,0,relative;", 1)
                   R("content:\"A\"; byte_extract:1,0,v,relative; isdataat:!v,relative; content:\"C\"; distance:v;", 2));
    size_t n = 60000;
    char *p = malloc(n);
    assert_non_null(p);
    memset(p, 'A', n);
    assert_int_equal(fire(&w, p, n), 0);
    p[n - 3] = 1;
    p[n - 1] = 'B';
    /* "A" 01 'A' 'B': the last A jumps 1 and finds B, past thousands of A */
    p[n - 4] = 'A';
    (void)fire(&w, p, n);   /* either way it must end; the budget may cut it */
    free(p);
    assert_int_equal(fire(&w, P("xA\x01xB")), S(1));
    world_free(&w);
}

/* Every keyword of the family is in the table with a setup (ET rules use
 * them; none may be refused as unsupported any more). */
static void test_table(void **state)
{
    (void)state;
    const char *names[] = { "isdataat", "byte_test", "byte_jump", "byte_extract", "byte_math",
                            "base64_decode", "base64_data" };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const struct keyword *k = keyword_find(names[i]);
        assert_non_null(k);
        assert_non_null(k->setup);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_byte_test),
        cmocka_unit_test(test_parse_byte_jump_extract_math),
        cmocka_unit_test(test_parse_isdataat_base64),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_byte_test_binary),
        cmocka_unit_test(test_byte_test_string),
        cmocka_unit_test(test_byte_jump),
        cmocka_unit_test(test_byte_extract_variables),
        cmocka_unit_test(test_byte_math),
        cmocka_unit_test(test_isdataat),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, setup_engine, teardown_engine);
}
