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

enum inspect_kind { INSPECT_CONTENT, INSPECT_PCRE, INSPECT_BSIZE, INSPECT_DATASET };

/* One step of a buffer's inspection chain, in rule order. */
struct inspect {
    enum inspect_kind kind;
    union {
        struct content content;
        struct pcre_match *pcre;
        struct bsize bsize;
        struct dataset_match dataset;
    } u;
};

struct inspect_list {
    struct inspect *v;
    size_t n, cap;
};

/* --- packet/flow checks ----------------------------------------------------- */

struct match_env {
    const struct detect_engine *de;
    struct detect_thread *dt;
    struct flow *flow;
    const struct packet *pkt;
    enum flow_direction dir;
};

/* A keyword that looks at the packet or the flow, not at a buffer. */
struct check {
    bool (*match)(const struct match_env *env, const void *ctx);
    void *ctx;
    void (*free_ctx)(void *ctx);
    bool flow_static;       /* depends only on the flow's final nDPI verdict */
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

    /* prefilter */
    const struct content *fast;     /* in buf[BUF_PAYLOAD], or NULL */
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
struct dataset_registry *detect_datasets(struct detect_engine *de);
const char *detect_rules_dir(const struct detect_engine *de, const char *file, char *buf,
                             size_t len);
const struct detect_engine_config *detect_engine_cfg(const struct detect_engine *de);
const struct classification *detect_classification(const struct detect_engine *de);
const struct classifier *detect_classifier(const struct detect_engine *de);
struct diag *detect_engine_diag(struct detect_engine *de);

/* Per-flow state (flowbits, once-per-flow rules, pass). */
struct detect_flow {
    bool passed;
    uint8_t app_done;           /* directions whose app-layer rules were evaluated */
    uint16_t nbits, bits_cap;
    uint16_t *bits;             /* flowbit ids set on the flow */
    uint32_t nfired, fired_cap;
    uint32_t *fired;            /* app-layer rules that already fired */
};

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

/* Content inspection (inspect.c). */
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

/* pcre (kw_pcre.c): one match from start; the match's bounds on success. */
bool pcre_inspect(const struct match_env *env, const struct pcre_match *pm,
                  const uint8_t *buf, uint32_t len, uint32_t start, uint32_t *mstart,
                  uint32_t *mend);
bool pcre_is_relative(const struct pcre_match *pm);
bool pcre_is_negated(const struct pcre_match *pm);
void pcre_match_free(struct pcre_match *pm);
void *detect_thread_match_data(struct detect_thread *dt);

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
