/* The compiled form of one rule and the state the parser and the keywords
 * share while building it.  Internal to sensor/detect/: the engine, the
 * parser and the kw_*.c keyword families include it; nobody else does. */
#ifndef XIEZHI_DETECT_RULE_H
#define XIEZHI_DETECT_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "detect/buffers.h"
#include "detect/detect.h"
#include "detect/threshold.h"

struct dataset;
struct dataset_registry;
struct anomaly_params;
struct classification;

const char *detect_buffer_name(enum detect_buffer b);

/* --- addresses and ports ------------------------------------------------ */

struct addr_range {
    uint8_t family;          /* 4 or 6 */
    bool negated;
    uint8_t lo[16], hi[16];  /* inclusive, network order */
    uint64_t lo_key[2], hi_key[2];  /* the same as big-endian numbers (addr_set_match) */
};

/* A flattened address expression: it matches when no positive entry exists
 * or one contains the address, and no negated entry contains it. */
struct addr_set {
    bool any;
    size_t n, npos;
    struct addr_range *r;
};

struct port_range {
    uint16_t lo, hi;
    bool negated;
};

struct port_set {
    bool any;
    size_t n, npos;
    struct port_range *r;
};

bool addr_set_match(const struct addr_set *s, const struct ip_addr *a);
bool port_set_match(const struct port_set *s, uint16_t port);

/* --- payload inspection --------------------------------------------------- */

struct inspect;
struct inspect_list {
    struct inspect *v;
    size_t n, cap;
};

enum content_flags {
    CF_NOCASE = 1 << 0,
    CF_NEGATED = 1 << 1,
    CF_OFFSET = 1 << 2,
    CF_DEPTH = 1 << 3,
    CF_DISTANCE = 1 << 4,
    CF_WITHIN = 1 << 5,
    CF_STARTSWITH = 1 << 6,
    CF_ENDSWITH = 1 << 7,
    CF_FAST_PATTERN = 1 << 8,
    CF_RELATIVE_NEXT = 1 << 9,   /* a later keyword is relative to this one */
};

struct content {
    uint8_t *pat;
    uint32_t len;
    uint32_t flags;
    int32_t offset, depth, distance, within;
    /* 0: the number above; else 1 + the byte_extract/byte_math variable
     * whose value is used instead (distance:len;) */
    uint8_t var_offset, var_depth, var_distance, var_within;
};

enum pcre_flags_x {
    PF_RELATIVE = 1 << 0,
    PF_NEGATED = 1 << 1,
};

struct pcre_match;          /* kw_pcre.c */

struct bsize {
    int op;                 /* '=', '<', '>', '-' (range), '!' (not equal) */
    uint32_t a, b;
};

enum dataset_cmd { DATASET_CMD_ISSET, DATASET_CMD_ISNOTSET, DATASET_CMD_SET, DATASET_CMD_UNSET };

struct dataset_match {
    enum dataset_cmd cmd;
    struct dataset *ds;
};

/* Byte variables: byte_extract and byte_math results, read by later
 * keywords of the same buffer by name. */
#define DETECT_BYTE_VARS 16

/* A number in a payload keyword that may name a byte variable instead. */
struct byte_value {
    int64_t n;
    int8_t var;             /* -1: n; else the variable's index */
};

enum byte_flags {
    BYTE_RELATIVE = 1 << 0,
    BYTE_LITTLE = 1 << 1,
    BYTE_STRING = 1 << 2,
    BYTE_NEGATED = 1 << 3,      /* byte_test !op */
    BYTE_ALIGN = 1 << 4,        /* byte_jump align (to 4) */
    BYTE_FROM_BEGINNING = 1 << 5,
    BYTE_FROM_END = 1 << 6,
    BYTE_BITMASK = 1 << 7,
    BYTE_BIG = 1 << 8,          /* endianness written out (for conflicts) */
};

/* byte_test, byte_jump, byte_extract and byte_math (kw_byte.c). */
struct byte_op {
    uint32_t flags;
    uint8_t nbytes;         /* 0 (string only): as many digits as there are */
    uint8_t base;           /* string: 8, 10, 16; 0 = by prefix (0x, 0) */
    uint8_t op;             /* test: < > = l(<=) g(>=) & ^; math: + - * / L(<<) R(>>) */
    uint8_t align;          /* byte_extract: 0, 2 or 4 */
    int8_t result;          /* byte_extract/byte_math: variable set */
    uint8_t shift;          /* trailing zero bits of bitmask */
    struct byte_value offset, value;    /* value: byte_test's, byte_math's rvalue */
    uint32_t multiplier;    /* 1 unless given */
    int32_t post_offset;
    uint64_t bitmask;
};

struct isdataat {
    struct byte_value at;
    bool relative, negated;
};

/* base64_decode and the base64_data keywords inspecting what it decoded. */
struct base64_decode {
    uint32_t bytes;         /* 0: to the end of the buffer */
    int32_t offset;
    bool relative;
    struct inspect_list *data;  /* steps after base64_data (may be empty) */
};

/* Keep the payload number and base64 kinds after INSPECT_DATASET: inspect.c
 * charges the step budget for every kind from INSPECT_ISDATAAT on. */
enum inspect_kind {
    INSPECT_CONTENT, INSPECT_PCRE, INSPECT_BSIZE, INSPECT_DATASET,
    INSPECT_ISDATAAT, INSPECT_BYTE_TEST, INSPECT_BYTE_JUMP, INSPECT_BYTE_EXTRACT,
    INSPECT_BYTE_MATH, INSPECT_BASE64_DECODE,
};

/* One step of a buffer's inspection chain, in rule order. */
struct inspect {
    enum inspect_kind kind;
    union {
        struct content content;
        struct pcre_match *pcre;
        struct bsize bsize;
        struct dataset_match dataset;
        struct isdataat isdataat;
        struct byte_op *byte;
        struct base64_decode *b64;
    } u;
};

/* --- packet/flow checks ----------------------------------------------------- */

struct applayer_parser;
struct applayer_tx;

struct match_env {
    const struct detect_engine *de;
    struct detect_thread *dt;
    struct flow *flow;
    const struct packet *pkt;
    enum flow_direction dir;
    /* set while an app-layer transaction is inspected, else NULL */
    const struct applayer_parser *parser;
    void *state;
    const struct applayer_tx *tx;
};

/* A keyword that looks at the packet or the flow, not at a buffer. */
struct check {
    bool (*match)(const struct match_env *env, const void *ctx);
    void *ctx;
    void (*free_ctx)(void *ctx);
    bool flow_static;       /* depends only on the flow's final nDPI verdict */
    bool tx_each_side;      /* a TLS tx keyword answered from either side (ssl_version, ssl_state) */
};

/* Something a matching rule does to the flow (flowbits set/unset/toggle). */
struct action_step {
    void (*apply)(const struct match_env *env, const void *ctx);
    void *ctx;
};

enum flow_opt {
    FLOWOPT_TOSERVER = 1 << 0,
    FLOWOPT_TOCLIENT = 1 << 1,
    FLOWOPT_ESTABLISHED = 1 << 2,
    FLOWOPT_NOT_ESTABLISHED = 1 << 3,
    FLOWOPT_STATELESS = 1 << 4,
    FLOWOPT_ONLY_STREAM = 1 << 5,
    FLOWOPT_NO_STREAM = 1 << 6,
};

/* Where a rule's payload contents look on TCP: the packet and the
 * reassembled stream ("tcp"), the packet only ("tcp-pkt", flow:no_stream),
 * the stream only ("tcp-stream", flow:only_stream). */
enum rule_payload_source { RULE_PAYLOAD_BOTH, RULE_PAYLOAD_PACKET, RULE_PAYLOAD_STREAM };

/* --- the rule ----------------------------------------------------------------- */

/* A multi-buffer's keyword written again starts a group of its steps at
 * start: each group is matched by any one instance on its own. */
#define RULE_GROUPS_MAX 16
#define BUF_VAR_CLOSED BUF_COUNT    /* rule_parser.var_buffer of an earlier group's variable */
struct buffer_group {
    uint8_t buffer;             /* enum detect_buffer */
    uint16_t start;             /* index of the group's first step in buf[buffer] */
};

struct rule {
    struct rule_info info;      /* pointers into the strings below */
    char *msg, *classtype, *metadata_json, *metadata_raw;
    const char *file;           /* interned by the engine */
    unsigned line;
    uint32_t index;             /* position in the engine's sorted array */

    /* header */
    uint8_t ipproto;            /* 0 = any IP */
    bool icmp_any;              /* "icmp": ICMPv4 and ICMPv6 */
    bool bidir;
    uint8_t payload_source;     /* enum rule_payload_source */
    bool payload_anchored;      /* a payload content has offset/depth/startswith */
    int app_ids[4];             /* nDPI ids of an app-layer header protocol */
    size_t napp_ids;
    struct addr_set src, dst;
    struct port_set sp, dp;

    /* options */
    uint32_t flow_opts;
    struct check *checks;
    size_t nchecks, checks_cap;
    struct inspect_list buf[BUF_COUNT];
    uint64_t buffers_used;      /* bit per enum detect_buffer */
    struct buffer_group *groups;    /* in rule order; NULL when no keyword repeats */
    uint8_t ngroups;
    struct action_step *actions;
    size_t nactions, actions_cap;
    struct threshold_spec threshold, detection_filter;
    bool has_threshold, has_detection_filter;
    struct anomaly_params *anomaly;
    bool noalert;
    bool app_layer;             /* fires once per flow */
    bool app_static;            /* app-layer only: outcome fixed per flow direction */
    bool ip_only;               /* evaluated on the first packet of each direction */
    bool sets_flowbits, checks_flowbits;
    bool priority_set;
    uint8_t nflowbit_checks;

    /* app-layer transactions (sensor/applayer) */
    uint8_t app_proto;          /* enum applayer_proto of an "alert http" header, or 0 */
    uint8_t tx_proto;           /* enum applayer_proto whose transactions it inspects, or 0 */
    bool needs_tx;              /* a keyword that only a transaction answers (urilen, ...) */
    bool tx_fallback;           /* nDPI's metadata serves it for flows without the parser */
    bool tx_per_direction;      /* no direction, only tx_each_side checks: fires once per
                                 * transaction and direction, as Suricata does */
    int tx_fast_buffer;         /* buffer of tx_fast */
    const struct content *tx_fast;  /* fast pattern in a transaction buffer, or NULL */

    /* prefilter */
    const struct content *fast;     /* in buf[BUF_PAYLOAD], or NULL */

    /* reload: a fixed hash of the rule's text; same gid, sid, rev and
     * text = the same rule, whose state carries over */
    uint64_t text_hash;
};

/* --- parsing ------------------------------------------------------------------------ */

/* Everything a keyword's setup may use while the rule is being built. */
struct rule_parser {
    struct detect_engine *de;
    struct rule *rule;
    const char *file;
    unsigned line;
    int buffer;                 /* current sticky buffer, enum detect_buffer */
    struct inspect *last_payload;   /* last content/pcre, for modifiers */
    int last_payload_buffer;
    const char *keyword;        /* the option being set up */
    bool value_negated;         /* the value was written !"..." */
    /* byte variables defined so far (byte_extract, byte_math) */
    uint8_t nvars;
    int8_t var_buffer[DETECT_BYTE_VARS];
    char var_name[DETECT_BYTE_VARS][32];
    struct base64_decode *b64;      /* the rule's base64_decode, if any */
    int b64_buffer;                 /* the buffer base64_decode is in */
    bool b64_legacy;                /* put there by a legacy modifier's content */
    struct inspect_list *b64_list;  /* after base64_data: where steps go */
    char err[320];              /* set by a failing setup */
    bool unsupported;           /* keyword known but not supported */
    bool reported;              /* the failure was already reported (err is empty) */
};

void rule_err(struct rule_parser *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Rule building helpers for keywords. */
int rule_add_check(struct rule_parser *rp, bool (*match)(const struct match_env *, const void *),
                   void *ctx, void (*free_ctx)(void *));
/* Same, for a check on the flow's final nDPI verdict only (ndpi-protocol,
 * app-layer-protocol): lets the engine evaluate it once per direction. */
int rule_add_flow_check(struct rule_parser *rp,
                        bool (*match)(const struct match_env *, const void *), void *ctx,
                        void (*free_ctx)(void *));
int rule_add_action(struct rule_parser *rp, void (*apply)(const struct match_env *, const void *),
                    void *ctx);
struct inspect *rule_add_inspect(struct rule_parser *rp, enum inspect_kind kind);
void rule_free(struct rule *r);

/* Engine-wide services for keywords (engine.c). */
int detect_flowbit_id(struct detect_engine *de, const char *name);
/* applayer_ids, remembered by name for the rest of the load */
size_t detect_app_ids(struct detect_engine *de, const char *name, int *ids, size_t max);
/* parse_addr_set with the engine's variables, remembered by text */
int detect_parse_addr_set(struct detect_engine *de, const char *text, struct addr_set *out,
                          char *err, size_t errlen);
struct dataset_registry *detect_datasets(struct detect_engine *de);
const char *detect_rules_dir(const struct detect_engine *de, const char *file, char *buf,
                             size_t len);
const struct detect_engine_config *detect_engine_cfg(const struct detect_engine *de);
const struct classification *detect_classification(const struct detect_engine *de);
const struct classifier *detect_classifier(const struct detect_engine *de);
struct diag *detect_engine_diag(struct detect_engine *de);

/* One flowint variable of a flow (kw_flowint.c). */
struct flowint_var {
    uint16_t id;                /* the name's id (detect_flowbit_id) */
    uint32_t value;
};

/* Per-flow state (flowbits, flowints, once-per-flow rules, pass). */
struct detect_flow {
    bool passed;
    uint8_t app_done;           /* directions whose app-layer rules were evaluated */
    uint16_t nbits, bits_cap;
    uint16_t *bits;             /* flowbit ids set on the flow */
    uint32_t nfired, fired_cap;
    uint32_t *fired;            /* app-layer rules that already fired */
    uint16_t nints, ints_cap;
    struct flowint_var *ints;   /* flowint variables set on the flow */
};

/* The flow's detection state, made on first use; NULL when out of memory. */
struct detect_flow *detect_flow_state(struct flow *flow);
bool detect_flowbit_isset(const struct flow *flow, int id);
void detect_flowbit_set(struct flow *flow, int id, bool on);

/* Parses one rule line; returns NULL with err set on error (err is empty
 * when the problem was already reported through the engine's diag). */
struct rule *rule_parse(struct detect_engine *de, const char *text, const char *file,
                        unsigned line, char *err, size_t errlen, bool *unsupported,
                        bool *passive_warning);

/* Variables and address/port parsing (parse_addr.c). */
int parse_addr_set(const struct config *cfg, const char *text, struct addr_set *out,
                   char *err, size_t errlen);
int parse_port_set(const struct config *cfg, const char *text, struct port_set *out,
                   char *err, size_t errlen);

/* Byte variables (kw_byte.c): index of name in the current buffer, or -1
 * after rule_err; a new one for name, or -1 after rule_err. */
int byte_var_find(struct rule_parser *rp, const char *name);
int byte_var_add(struct rule_parser *rp, const char *name);
/* A relative keyword (value has a "relative" option) written after a
 * content moved by a legacy modifier (content:"a"; http_uri;) belongs to
 * that content's buffer, as in Suricata: switches rp->buffer there and
 * returns the buffer to restore when the keyword is set up. */
int byte_enter_buffer(struct rule_parser *rp, const char *value);
/* Runs setup(rp, v) in the buffer byte_enter_buffer picks, then restores
 * the parser's current buffer. */
int byte_setup_in_buffer(struct rule_parser *rp, const char *v,
                         int (*setup)(struct rule_parser *, const char *));
/* Copies an option's value into buf (size bytes); -1 after rule_err when
 * it does not fit (a hostile rule is refused, never read cut short). */
int copy_value(struct rule_parser *rp, const char *v, char *buf, size_t size);
/* Content modifiers written after isdataat, byte_* or base64_decode still
 * apply to the content before it (content:".exe"; http_uri;
 * isdataat:!1,relative; fast_pattern;): where that content is, kept by
 * index because adding a step may move the list. */
struct payload_mark {
    struct inspect_list *list;  /* NULL: none */
    size_t idx;
    int buffer;
};
void payload_mark_save(const struct rule_parser *rp, struct payload_mark *m);
void payload_mark_restore(struct rule_parser *rp, const struct payload_mark *m);
/* A number or a variable name ("12", "-3", "0x1f", "len"), in [min, max]. */
int byte_value_parse(struct rule_parser *rp, const char *what, const char *text, int64_t min,
                     int64_t max, struct byte_value *out);
/* Reads op's number at pos: the value and the bytes it took; false when the
 * bytes are not all inside the buffer or are not a number. */
bool byte_read(const struct byte_op *op, const uint8_t *buf, uint32_t len, int64_t pos,
               uint64_t *val, uint32_t *used);
/* Decodes base64 (RFC 4648, stops at the first byte outside the alphabet
 * or at padding) into out (cap bytes); returns the decoded length. */
uint32_t base64_decode_bytes(const uint8_t *in, uint32_t len, uint8_t *out, uint32_t cap);
void inspect_list_free(struct inspect_list *l);

/* Content inspection (inspect.c). */
/* A rule's steps for one transaction/packet buffer: every group of them
 * (one unless a multi-buffer's keyword repeats) satisfied by one instance
 * of the buffer; false when the buffer is absent. */
bool inspect_rule_buffer(const struct match_env *env, const struct rule *r, int buffer);
bool inspect_buffer(const struct match_env *env, const struct inspect_list *list,
                    const uint8_t *buf, uint32_t len);
/* The same over a window of a reassembled stream: buf[0] is at stream
 * offset base (offset/depth count from the stream's start), and a match
 * counts only when a content or pcre of it ends after buf[min_end]
 * (in bytes no earlier window had). */
bool inspect_stream(const struct match_env *env, const struct inspect_list *list,
                    const uint8_t *buf, uint32_t len, uint64_t base, uint32_t min_end);
/* Unescapes a content value "abc|0d 0a|\"" into bytes; -1 with err on error. */
int content_decode(const char *value, uint8_t **out, uint32_t *outlen, char *err, size_t errlen);

/* pcre (kw_pcre.c): one match from start; the match's bounds on
 * PCRE_MATCHED.  PCRE_FAILED: pcre2 gave no answer (match limit, JIT
 * stack, ...); counted in the thread's stats. */
enum pcre_result { PCRE_NO_MATCH, PCRE_MATCHED, PCRE_FAILED };
enum pcre_result pcre_inspect(const struct match_env *env, const struct pcre_match *pm,
                              const uint8_t *buf, uint32_t len, uint32_t start, uint32_t *mstart,
                              uint32_t *mend);
bool pcre_is_relative(const struct pcre_match *pm);
bool pcre_is_negated(const struct pcre_match *pm);
void pcre_match_free(struct pcre_match *pm);
void *detect_thread_match_data(struct detect_thread *dt);
/* Counts a pcre run that ended in an error (limit: the match or depth limit). */
void detect_thread_pcre_failed(struct detect_thread *dt, bool limit);
/* Counts a compiled pcre and whether PCRE2 could JIT it. */
void detect_engine_pcre_compiled(struct detect_engine *de, bool jit);
/* The thread's scratch buffer for decoded data (base64_decode), allocated
 * on first use; NULL when out of memory. */
uint8_t *detect_thread_scratch(struct detect_thread *dt, uint32_t *cap);

/* Which app-layer protocol fills a buffer (enum applayer_proto, 0 for none),
 * and whether nDPI's metadata can stand in for flows without its parser. */
int detect_buffer_applayer(enum detect_buffer b, bool *ndpi_fallback);
/* Whether a buffer is a multi-buffer (one instance per question, answer,
 * certificate: see buffers.h). */
bool detect_buffer_is_multi(enum detect_buffer b);
/* Instance i of a buffer (kw_buffers.c); a single buffer has instance 0
 * only.  False past the last instance. */
bool detect_buffer_get_at(const struct match_env *env, int buffer, uint32_t i,
                          const uint8_t **data, uint32_t *len);
/* Is b filled from the packet itself (payload, addresses, TCP header),
 * rather than from an app-layer transaction or nDPI's metadata? */
bool detect_buffer_is_packet(int b);
/* The packet's TCP header with its options (*len bytes), or NULL when the
 * packet has none; its MSS option, false when absent (kw_tcp.c). */
const uint8_t *packet_tcp_header(const struct packet *p, uint32_t *len);
bool packet_tcp_mss(const struct packet *p, uint16_t *mss);
/* Buffer contents for a packet (kw_buffers.c); false when absent. */
bool detect_buffer_get(const struct match_env *env, int buffer, const uint8_t **data,
                       uint32_t *len);
/* Is the flow's nDPI verdict tls / http (engine.c, cached ids)? */
bool detect_proto_is(const struct detect_engine *de, const struct flow *f, const char *which);

/* The classification table (classification.c). */
struct classification *classification_load(const char *path, struct diag *diag);
void classification_free(struct classification *c);
/* -> description and priority; false if unknown. */
bool classification_find(const struct classification *c, const char *name,
                         const char **desc, int *priority);

#endif
