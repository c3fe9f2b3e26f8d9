/* The rule keyword table: every option a rule may carry, each set up by a
 * function in the kw_<family>.c file of its family.  keywords.c holds the one
 * table; adding a keyword is one function plus one line there. */
#ifndef XIEZHI_DETECT_KEYWORDS_H
#define XIEZHI_DETECT_KEYWORDS_H

#include <stdbool.h>
#include <stdio.h>

#include "classify/result.h"
#include "detect/rule.h"

enum keyword_value {
    KW_VALUE_NONE,          /* `nocase;` -- a value is an error */
    KW_VALUE_REQUIRED,      /* `sid:1;` */
    KW_VALUE_OPTIONAL,      /* `fast_pattern;` or `fast_pattern:only;` */
};

/* setup returns 0, or -1 after rule_err() said what is wrong.  value is the
 * option's text with surrounding blanks and quotes removed (NULL if none). */
typedef int (*keyword_setup_fn)(struct rule_parser *rp, const char *value);

struct keyword {
    const char *name;
    enum keyword_value value;
    keyword_setup_fn setup;     /* NULL: known to Suricata but not supported */
    const char *description;    /* one line, for --list-keywords and docs/rules.md */
};

/* Where a keyword is documented: docs/rules.md's generated keyword list. */
#define KEYWORD_DOC_URL "docs/rules.md#keyword-list"

/* One line per keyword: "name - description - link" (--list-keywords), or
 * the markdown table of docs/rules.md's keyword list (markdown true). */
void keyword_list_print(FILE *out, bool markdown);

const struct keyword *keyword_find(const char *name);
size_t keyword_count(void);
const struct keyword *keyword_at(size_t i);

/* kw_meta.c */
int kw_msg(struct rule_parser *rp, const char *v);
int kw_sid(struct rule_parser *rp, const char *v);
int kw_rev(struct rule_parser *rp, const char *v);
int kw_gid(struct rule_parser *rp, const char *v);
int kw_classtype(struct rule_parser *rp, const char *v);
int kw_priority(struct rule_parser *rp, const char *v);
int kw_metadata(struct rule_parser *rp, const char *v);
int kw_reference(struct rule_parser *rp, const char *v);
int kw_target(struct rule_parser *rp, const char *v);
int kw_noalert(struct rule_parser *rp, const char *v);
/* kw_flow.c */
int kw_flow(struct rule_parser *rp, const char *v);
int kw_flow_age(struct rule_parser *rp, const char *v);
/* kw_flowbits.c */
int kw_flowbits(struct rule_parser *rp, const char *v);
/* kw_stream.c */
int kw_stream_event(struct rule_parser *rp, const char *v);
int kw_stream_size(struct rule_parser *rp, const char *v);
/* kw_packet.c */
int kw_ip_proto(struct rule_parser *rp, const char *v);
int kw_ttl(struct rule_parser *rp, const char *v);
int kw_flags(struct rule_parser *rp, const char *v);
int kw_dsize(struct rule_parser *rp, const char *v);
int kw_itype(struct rule_parser *rp, const char *v);
int kw_icode(struct rule_parser *rp, const char *v);
int kw_decode_event(struct rule_parser *rp, const char *v);
int kw_id(struct rule_parser *rp, const char *v);
/* kw_tcp.c */
int kw_seq(struct rule_parser *rp, const char *v);
int kw_ack(struct rule_parser *rp, const char *v);
int kw_window(struct rule_parser *rp, const char *v);
int kw_tcp_mss(struct rule_parser *rp, const char *v);
int kw_tcp_flags(struct rule_parser *rp, const char *v);
/* kw_icmp.c */
int kw_icmp_id(struct rule_parser *rp, const char *v);
int kw_icmp_seq(struct rule_parser *rp, const char *v);
/* kw_flowint.c */
int kw_flowint(struct rule_parser *rp, const char *v);
/* kw_content.c */
int kw_content(struct rule_parser *rp, const char *v);
int kw_nocase(struct rule_parser *rp, const char *v);
int kw_depth(struct rule_parser *rp, const char *v);
int kw_offset(struct rule_parser *rp, const char *v);
int kw_distance(struct rule_parser *rp, const char *v);
int kw_within(struct rule_parser *rp, const char *v);
int kw_startswith(struct rule_parser *rp, const char *v);
int kw_endswith(struct rule_parser *rp, const char *v);
int kw_rawbytes(struct rule_parser *rp, const char *v);
int kw_fast_pattern(struct rule_parser *rp, const char *v);
int kw_bsize(struct rule_parser *rp, const char *v);
/* kw_pcre.c */
int kw_pcre(struct rule_parser *rp, const char *v);
/* kw_byte.c */
int kw_byte_test(struct rule_parser *rp, const char *v);
int kw_byte_jump(struct rule_parser *rp, const char *v);
int kw_byte_extract(struct rule_parser *rp, const char *v);
int kw_byte_math(struct rule_parser *rp, const char *v);
/* kw_isdataat.c */
int kw_isdataat(struct rule_parser *rp, const char *v);
/* kw_base64.c */
int kw_base64_decode(struct rule_parser *rp, const char *v);
int kw_base64_data(struct rule_parser *rp, const char *v);
/* kw_buffers.c */
int kw_buffer_sticky(struct rule_parser *rp, const char *v);
int kw_buffer_legacy(struct rule_parser *rp, const char *v);
int kw_pkt_data(struct rule_parser *rp, const char *v);
/* kw_http.c */
int kw_uricontent(struct rule_parser *rp, const char *v);
int kw_urilen(struct rule_parser *rp, const char *v);
int kw_app_layer_event(struct rule_parser *rp, const char *v);
/* DNS, TLS/TLCP, SSH transactions (kw_proto.c) */
int kw_dns_opcode(struct rule_parser *rp, const char *v);
int kw_dns_rcode(struct rule_parser *rp, const char *v);
int kw_dns_rrtype(struct rule_parser *rp, const char *v);
int kw_tls_version(struct rule_parser *rp, const char *v);
int kw_ssl_version(struct rule_parser *rp, const char *v);
int kw_ssl_state(struct rule_parser *rp, const char *v);
int kw_tls_cert_expired(struct rule_parser *rp, const char *v);
int kw_tls_cert_valid(struct rule_parser *rp, const char *v);
int kw_tls_cert_self_signed(struct rule_parser *rp, const char *v);
int kw_tls_cert_notbefore(struct rule_parser *rp, const char *v);
int kw_tls_cert_notafter(struct rule_parser *rp, const char *v);
int kw_tls_cert_chain_len(struct rule_parser *rp, const char *v);
int kw_ssh_protoversion(struct rule_parser *rp, const char *v);
int kw_ssh_softwareversion(struct rule_parser *rp, const char *v);
/* kw_applayer.c */
int kw_app_layer_protocol(struct rule_parser *rp, const char *v);
/* kw_ndpi.c */
int kw_ndpi_protocol(struct rule_parser *rp, const char *v);
int kw_ndpi_risk(struct rule_parser *rp, const char *v);
/* kw_geoip.c */
int kw_geoip(struct rule_parser *rp, const char *v);
/* kw_dataset.c */
int kw_dataset(struct rule_parser *rp, const char *v);
/* kw_threshold.c */
int kw_threshold(struct rule_parser *rp, const char *v);
int kw_detection_filter(struct rule_parser *rp, const char *v);
/* kw_anomaly.c */
int kw_anomaly(struct rule_parser *rp, const char *v);

/* The keyword name currently being set up (for sticky/legacy buffer lookup). */
const char *rule_parser_keyword(const struct rule_parser *rp);

/* Numeric comparisons shared by ttl, dsize, itype, icode, ip_proto, bsize:
 * "N", "<N", ">N", "<=N", ">=N", "!N", "N-M" and "N<>M" (exclusive). */
struct num_cmp {
    uint8_t op;             /* '=', '<', '>', 'l' (<=), 'g' (>=), '!', 'r' (range) */
    uint64_t a, b;
};
int num_cmp_parse(const char *text, uint64_t max, struct num_cmp *out);
bool num_cmp_match(const struct num_cmp *c, uint64_t v);
/* A check that compares a number of the packet or flow (match reads it) with
 * the rule's num_cmp; "invalid <keyword> 'v'" when v does not parse. */
int rule_add_num_check(struct rule_parser *rp, const char *v, uint64_t max,
                       bool (*match)(const struct match_env *, const void *));

/* Suricata app-layer name ("http", "tls", ...) -> nDPI protocol id(s).
 * Fills ids (up to max), returns the count; 0 when the name is unknown. */
size_t applayer_ids(const struct detect_engine *de, const char *name, int *ids, size_t max);
/* Does the flow's nDPI verdict include one of ids? */
bool applayer_flow_is(const struct flow *flow, const int *ids, size_t n);

#endif
