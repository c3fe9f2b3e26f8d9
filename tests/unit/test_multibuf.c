/* Multi-buffer inspection (dns.query, dns.answer.name, dns.queries.rrname):
 * real rules through the real rule parser, real DNS messages through the DNS
 * parser's row; a rule's chain must hold within one name, any name may
 * satisfy it, and a repeated keyword is matched by any name on its own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "applayer/applayer.h"
#include "detect/rule.h"

static struct detect_engine *de;
static struct detect_thread *dt;

static int setup(void **state)
{
    (void)state;
    struct diag diag = { .quiet = 1 };
    struct detect_engine_config cfg = { .classification_file = "rules/classification.config" };
    de = detect_engine_load(&cfg, &diag);
    if (!de || diag.errors)
        return -1;
    dt = detect_thread_new(de);
    return dt ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    detect_thread_free(dt);
    detect_engine_free(de);
    return 0;
}

/* --- DNS messages ---------------------------------------------------------------- */

static size_t put_name(uint8_t *p, const char *name)
{
    size_t n = 0;
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);
        p[n++] = (uint8_t)l;
        memcpy(p + n, name, l);
        n += l;
        name += l + (dot ? 1 : 0);
    }
    p[n++] = 0;
    return n;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* A message with the questions (type A) and answers (A 192.0.2.1). */
static size_t dns_msg(uint8_t *out, bool response, const char *const *qs, size_t nq,
                      const char *const *as, size_t na)
{
    memset(out, 0, 12);
    put16(out, 0x4242);
    put16(out + 2, response ? 0x8180 : 0x0100);
    put16(out + 4, (uint16_t)nq);
    put16(out + 6, (uint16_t)na);
    size_t n = 12;
    for (size_t i = 0; i < nq; i++) {
        n += put_name(out + n, qs[i]);
        put16(out + n, 1);
        put16(out + n + 2, 1);
        n += 4;
    }
    for (size_t i = 0; i < na; i++) {
        n += put_name(out + n, as[i]);
        put16(out + n, 1);
        put16(out + n + 2, 1);
        memcpy(out + n + 4, "\0\0\0\x3c\0\x04\xc0\0\x02\x01", 10);
        n += 14;
    }
    return n;
}

struct dns_flow {
    void *state;
    struct match_env env;
};

/* A query with qs and its response with qs and as, as one transaction. */
static void dns_flow_new(struct dns_flow *f, const char *const *qs, size_t nq,
                         const char *const *as, size_t na)
{
    const struct applayer_parser *p = &applayer_dns_parser;
    uint8_t msg[1024];
    f->state = p->state_new(NULL, NULL, 0);
    assert_non_null(f->state);
    assert_int_equal(p->on_packet(f->state, FLOW_TOSERVER, msg,
                                  (uint32_t)dns_msg(msg, false, qs, nq, NULL, 0), 0), 0);
    assert_int_equal(p->on_packet(f->state, FLOW_TOCLIENT, msg,
                                  (uint32_t)dns_msg(msg, true, qs, nq, as, na), 0), 0);
    assert_int_equal(p->tx_count(f->state), 1);
    f->env = (struct match_env){ .de = de, .dt = dt, .dir = FLOW_TOCLIENT, .parser = p,
                                 .state = f->state, .tx = p->tx_at(f->state, 0) };
}

static void dns_flow_free(struct dns_flow *f)
{
    applayer_dns_parser.state_free(f->state);
}

/* Whether every buffer of the rule "alert dns any any -> any any (opts sid:1;)"
 * matches the transaction, as the engine asks it. */
static bool matches(const struct match_env *env, const char *opts)
{
    char text[1024], err[400];
    snprintf(text, sizeof text, "alert dns any any -> any any (%s sid:1;)", opts);
    bool unsupported, passive;
    struct rule *r = rule_parse(de, text, "t.rules", 1, err, sizeof err, &unsupported, &passive);
    if (!r)
        fail_msg("rule refused: %s: %s", err, text);
    bool ok = r->buffers_used != 0;
    for (int b = 0; ok && b < BUF_COUNT; b++)
        if (r->buffers_used & (1ull << b))
            ok = inspect_rule_buffer(env, r, b);
    rule_free(r);
    return ok;
}

#define YES(env, opts) do { if (!matches(env, opts)) fail_msg("no match: %s", opts); } while (0)
#define NO(env, opts) do { if (matches(env, opts)) fail_msg("matched: %s", opts); } while (0)

/* --- tests ---------------------------------------------------------------------------- */

static void answer_names(void **state)
{
    (void)state;
    const char *qs[] = { "portal.example.org" };
    const char *as[] = { "portal.example.org", "cdn.example.net", "www.example.com" };
    struct dns_flow f;
    dns_flow_new(&f, qs, 1, as, 3);
    const struct match_env *e = &f.env;
    /* a content chain holds within one name */
    YES(e, "dns.answer.name; content:\"portal.\"; content:\".org\"; distance:0; endswith;");
    YES(e, "dns.answer.name; content:\"cdn\"; startswith; content:\".net\"; endswith;");
    NO(e, "dns.answer.name; content:\"portal.\"; content:\"cdn.\"; distance:0;");
    NO(e, "dns.answer.name; content:\".org\"; content:\"www\"; distance:0; within:8;");
    NO(e, "dns.answer.name; content:\"portal\"; content:\"com\"; distance:0;");
    /* startswith, bsize, pcre, byte_test and negation see one name */
    YES(e, "dns.answer.name; content:\"www.\"; startswith;");
    YES(e, "dns.answer.name; bsize:15;");
    NO(e, "dns.answer.name; bsize:>20;");
    YES(e, "dns.answer.name; pcre:\"/^www\\.example\\.com$/\";");
    NO(e, "dns.answer.name; pcre:\"/org.cdn/s\";");
    YES(e, "dns.answer.name; byte_test:1,=,0x77,0;");
    NO(e, "dns.answer.name; byte_test:1,=,0x78,0;");
    YES(e, "dns.answer.name; content:!\"portal\";");
    NO(e, "dns.answer.name; content:!\"example\";");
    YES(e, "dns.answer.name; content:\"example.\"; isdataat:!4,relative;");
    /* the keyword repeated: each group by any name */
    YES(e, "dns.answer.name; content:\"portal\"; dns.answer.name; content:\"cdn\"; "
           "dns.answer.name; content:\"www\"; startswith;");
    NO(e, "dns.answer.name; content:\"portal\"; dns.answer.name; content:\"nosuch\";");
    /* with another buffer in between */
    YES(e, "dns.answer.name; content:\"cdn.\"; dns.queries.rrname; content:\"portal\"; "
           "dns.answer.name; content:\".com\"; endswith;");
    dns_flow_free(&f);
}

static void every_question(void **state)
{
    (void)state;
    const char *qs[] = { "a.example.org", "b.test.net" };
    struct dns_flow f;
    dns_flow_new(&f, qs, 2, NULL, 0);
    const struct match_env *e = &f.env;
    YES(e, "dns.query; content:\"b.test.net\"; startswith; endswith;");
    YES(e, "dns.query; bsize:13; content:\"a.\"; startswith;");
    NO(e, "dns.query; content:\"example\"; content:\".net\"; distance:0;");
    /* Suricata's own example: two groups, two queries */
    YES(e, "dns.query; content:\"example\"; dns.query; content:\".net\";");
    NO(e, "dns.query; content:\"example\"; dns.query; content:\".com\";");
    YES(e, "dns.queries.rrname; content:\"b.\"; startswith;");
    NO(e, "dns.queries.rrname; content:\"org\"; content:\"b.\"; distance:0;");
    NO(e, "dns.answer.name; content:\"example\";");      /* no answers: no instance */
    dns_flow_free(&f);
}

static void groups_parsed(void **state)
{
    (void)state;
    char err[400];
    bool unsupported, passive;
    struct rule *r = rule_parse(de, "alert dns any any -> any any (dns.query; content:\"a\"; "
                                "dns.query; content:\"b\"; content:\"c\"; tls.sni; content:\"x\"; "
                                "tls.sni; content:\"y\"; sid:1;)", "t.rules", 1, err, sizeof err,
                                &unsupported, &passive);
    assert_non_null(r);
    assert_int_equal(r->ngroups, 1);               /* tls.sni is one value: no group */
    assert_int_equal(r->groups[0].buffer, BUF_DNS_QUERY);
    assert_int_equal(r->groups[0].start, 1);
    assert_int_equal(r->buf[BUF_DNS_QUERY].n, 3);
    assert_int_equal(r->buf[BUF_TLS_SNI].n, 2);
    rule_free(r);

    r = rule_parse(de, "alert dns any any -> any any (dns.query; dns.query; content:\"a\"; sid:1;)",
                   "t.rules", 1, err, sizeof err, &unsupported, &passive);
    assert_non_null(r);
    assert_int_equal(r->ngroups, 0);
    rule_free(r);

    r = rule_parse(de, "alert tls any any -> any any (tls.certs; content:\"|30 82|\"; startswith; "
                   "tls.certs; content:\"CN\"; sid:1;)", "t.rules", 1, err, sizeof err,
                   &unsupported, &passive);
    assert_non_null(r);
    assert_int_equal(r->ngroups, 1);
    assert_int_equal(r->groups[0].buffer, BUF_TLS_CERTS);
    rule_free(r);

    /* byte variables live in one instance: a later group cannot read them */
    r = rule_parse(de, "alert dns any any -> any any (dns.query; byte_extract:1,0,n; "
                   "dns.query; byte_test:1,=,n,0; sid:1;)", "t.rules", 1, err, sizeof err,
                   &unsupported, &passive);
    assert_null(r);
    assert_string_equal(err, "byte_test: variable 'n' belongs to an earlier dns.query group");
    r = rule_parse(de, "alert dns any any -> any any (dns.query; byte_extract:1,0,n; "
                   "byte_test:1,=,n,1; sid:1;)", "t.rules", 1, err, sizeof err,
                   &unsupported, &passive);
    assert_non_null(r);
    rule_free(r);

    /* a hostile rule cannot make the group list grow without end */
    char text[4096] = "alert dns any any -> any any (";
    for (int i = 0; i < RULE_GROUPS_MAX + 1; i++)
        strcat(text, "dns.query; content:\"a\"; ");
    strcat(text, "sid:1;)");
    r = rule_parse(de, text, "t.rules", 1, err, sizeof err, &unsupported, &passive);
    assert_non_null(r);
    assert_int_equal(r->ngroups, RULE_GROUPS_MAX);
    rule_free(r);
    strcpy(strrchr(text, 's'), "dns.query; content:\"a\"; sid:1;)");
    r = rule_parse(de, text, "t.rules", 1, err, sizeof err, &unsupported, &passive);
    assert_null(r);
    assert_string_equal(err, "'dns.query': more than 16 repeated multi-buffer keywords in one rule");
}

static void multi_table(void **state)
{
    (void)state;
    assert_true(detect_buffer_is_multi(BUF_DNS_QUERY));
    assert_true(detect_buffer_is_multi(BUF_DNS_ANSWER_NAME));
    assert_true(detect_buffer_is_multi(BUF_DNS_QUERIES_RRNAME));
    assert_true(detect_buffer_is_multi(BUF_TLS_CERTS));
    assert_false(detect_buffer_is_multi(BUF_TLS_SNI));
    assert_false(detect_buffer_is_multi(BUF_PAYLOAD));
    assert_false(detect_buffer_is_multi(BUF_COUNT));
    assert_string_equal(detect_buffer_name(BUF_TLS_CERTS), "tls.certs");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answer_names),
        cmocka_unit_test(every_question),
        cmocka_unit_test(groups_parsed),
        cmocka_unit_test(multi_table),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
