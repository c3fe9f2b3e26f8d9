/* Inside sensor/anomaly/: the detector table entry every detector file
 * fills in, a rule's parsed settings, and the bounded tracking tables
 * (tracker.c) the detectors keep their counters in. */
#ifndef XIEZHI_ANOMALY_INT_H
#define XIEZHI_ANOMALY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anomaly/anomaly.h"

#define ANOMALY_MAX_EVIDENCE 32
#define ANOMALY_DEFAULT_EVIDENCE 10

enum anomaly_track { ANOMALY_TRACK_BY_SRC, ANOMALY_TRACK_BY_DST, ANOMALY_TRACK_BY_PAIR };

/* What port_scan and host_sweep count as one attempt (anomaly_probe_of). */
enum anomaly_probe {
    PROBE_NONE = 0,
    PROBE_SYN = 1,        /* SYN unanswered, refused (RST) or half-open */
    PROBE_STEALTH = 2,    /* FIN, NULL or Xmas: no SYN, no ACK */
    PROBE_UDP = 4,        /* UDP with no answer */
    PROBE_ICMP = 8,       /* echo request with no answer */
    PROBE_ANSWERED = 16,  /* any other flow (counted only with `probe all`) */
};

enum dns_method { DNS_NAMES, DNS_SUBDOMAINS, DNS_TXT_VOLUME, DNS_ENCODED };

struct zone_set;          /* zone_policy.c: named CIDR lists and the allow matrix */

/* One rule's detector and settings.  Generic options first (anomaly.c),
 * then the fields detector options write into through their tables. */
struct anomaly_params {
    const struct anomaly_detector *det;
    uint64_t window_usec;
    uint64_t suppress_usec;
    uint32_t max_tracked;          /* entries of this rule, LRU beyond; 0: anomaly.max-tracked */
    uint32_t evidence;             /* evidence items in an alert */
    uint8_t track;                 /* enum anomaly_track: suppression key */

    /* detector settings (each detector documents which it reads) */
    uint32_t threshold;            /* distinct values or events in the window */
    uint32_t probes;               /* enum anomaly_probe mask */
    uint64_t max_duration_usec;    /* brute_force: a short session */
    uint64_t max_bytes;            /* brute_force: a small session */
    uint32_t name_length;          /* dns_tunnel: a long query name */
    uint32_t min_length;           /* dns_tunnel: shortest subdomain for entropy */
    double entropy;                /* dns_tunnel: bits per character */
    uint8_t method;                /* dns_tunnel: enum dns_method */
    double min_ratio;              /* dns_tunnel encoded: entropy / random data's */
    double share;                  /* dns_tunnel encoded: of the domain's queries */
    uint64_t min_interval_usec;    /* beacon */
    double max_cv;                 /* beacon: jitter bound */
    uint64_t bytes_threshold;      /* volume: fixed threshold per window */
    double deviation;              /* volume: sigmas above the baseline */
    double alpha;                  /* volume: EWMA weight of a new window */
    uint32_t learn;                /* volume: windows before the baseline counts */
    struct zone_set *zones;        /* zone_policy */
};

/* One entry in a rule's tracking table: the key, times, and the detector's
 * fixed-size data (det->data_size bytes) right after it. */
struct anomaly_key {
    struct ip_addr a, b;
    uint32_t extra;                /* port and protocol, or a name hash */
    uint8_t tag;                   /* TAG_DATA or TAG_SUPPRESS */
    uint8_t pad[3];
};
enum { TAG_DATA = 0, TAG_SUPPRESS = 1 };

struct tracker {
    struct tracker *hash_next, *lru_prev, *lru_next;
    struct anomaly_key key;
    uint64_t first_usec, last_usec;
    uint64_t until_usec;           /* suppression entries: silent until */
    uint32_t size;                 /* bytes charged against the memcap */
    uint32_t hash;                 /* of key: bucket, and a cheap first compare */
    _Alignas(8) unsigned char data[];
};

struct rule_table;

/* A part of a tracker's data at an 8-aligned offset (detectors lay their
 * data out with anomaly_align8), as void * so no cast widens alignment. */
static inline void *tracker_part(struct tracker *t, size_t offset)
{
    return t->data + offset;
}

/* What a detector gets for one event. */
struct anomaly_ctx {
    struct anomaly_state *st;
    struct rule_table *table;
    const struct anomaly_params *params;
    const struct rule_info *rule;
    const struct flow *flow;
    const struct packet *pkt;      /* NULL at flow end */
    const struct alert_sink *sink;
    uint64_t now;                  /* packet time of this event */
};

enum opt_type { OPT_COUNT, OPT_DURATION, OPT_SIZE, OPT_REAL, OPT_WORD };

struct opt_word { const char *name; uint32_t value; };

#define PROBE_FAILED (PROBE_SYN | PROBE_STEALTH | PROBE_UDP | PROBE_ICMP)
extern const struct opt_word anomaly_probe_words[];

/* Rounds a data-layout offset up so each part stays 8-byte aligned. */
static inline size_t anomaly_align8(size_t n) { return (n + 7u) & ~(size_t)7u; }


/* A detector option: "<name> <value>" writes params at offset. */
struct anomaly_option {
    const char *name;
    enum opt_type type;
    size_t offset;
    double min, max;                  /* range for numbers */
    const struct opt_word *words;     /* OPT_WORD: NULL-terminated; values OR together */
    size_t field_size;                /* OPT_WORD: 1 or 4 bytes */
};

struct anomaly_detector {
    const char *name;                 /* the kind: "port_scan", ... */
    const struct anomaly_option *options;   /* terminated by a NULL name */
    /* Fills defaults before the options are read. */
    void (*defaults)(struct anomaly_params *p);
    /* After the options: checks and loads what the rule needs (zones). */
    int (*prepare)(struct anomaly_params *p, const struct config *cfg, char *err,
                   size_t errlen);
    size_t (*data_size)(const struct anomaly_params *p);
    /* Entries live this many windows after their last event (0 means 1). */
    uint32_t ttl_windows;
    void (*on_packet)(struct anomaly_ctx *c, enum flow_direction dir);
    void (*on_flow_end)(struct anomaly_ctx *c);
    void (*release)(struct anomaly_params *p);
};

extern const struct anomaly_detector anomaly_port_scan, anomaly_host_sweep,
    anomaly_brute_force, anomaly_dns_tunnel, anomaly_beacon, anomaly_volume,
    anomaly_zone_policy;

/* tracker.c -- per-rule bounded tables. */
/* Finds or creates (zeroed data, *created set) the entry of key in the
 * rule's table and marks it most recently used; NULL when the memcap is
 * reached with nothing left to evict (counted as dropped). */
struct tracker *tracker_get(struct anomaly_ctx *c, const struct anomaly_key *key, bool *created);
struct rule_table *tracker_table(struct anomaly_state *st, const struct anomaly_params *p);
/* The most entries in one bucket of t (walks every bucket: tests only). */
size_t tracker_longest_chain(const struct rule_table *t);
struct anomaly_stats *anomaly_state_stats(struct anomaly_state *st);
/* Suppression for an alert about key: true if silent now (counted). */
bool tracker_suppressed(struct anomaly_ctx *c, const struct anomaly_key *key);

/* Emits an alert unless (rule, track key) is suppressed; counts either way. */
void anomaly_emit(struct anomaly_ctx *c, const char *kind, uint64_t count, double score,
                  const char *const *evidence, size_t nevidence);

/* Helpers shared by detectors (anomaly.c). */
enum anomaly_probe anomaly_probe_of(const struct flow *f);
void anomaly_key_init(struct anomaly_key *k);
void anomaly_addr_text(const struct ip_addr *a, char *out, size_t outlen);
uint32_t anomaly_addr_hash(const struct ip_addr *a);
uint32_t anomaly_hash_bytes(const void *data, size_t len, uint32_t seed);

/* A set of distinct 32-bit values with last-seen times, fixed capacity
 * (threshold live values), for "N distinct in a sliding window". */
struct dset_slot { uint64_t ts; uint32_t value; uint32_t used; };
struct dset { uint32_t nslots, cap, live, pad; struct dset_slot slot[]; };
size_t dset_size(uint32_t threshold);
void dset_init(struct dset *s, uint32_t threshold);
/* Adds value seen at ts; returns 1 if it is new, 0 if known.  When full,
 * expired values (older than ts - window) are dropped first; a value that
 * still does not fit is not stored (the set is at its threshold anyway). */
int dset_add(struct dset *s, uint32_t value, uint64_t ts, uint64_t window);
void dset_expire(struct dset *s, uint64_t now, uint64_t window);
void dset_clear(struct dset *s);

/* Fixed-width evidence strings kept in a tracker. */
struct evlist { uint16_t n, max, width, pad; char text[]; };
size_t evlist_size(uint32_t max, uint32_t width);
void evlist_init(struct evlist *e, uint32_t max, uint32_t width);
void evlist_add(struct evlist *e, const char *s);
size_t evlist_view(const struct evlist *e, const char **out, size_t max);
void evlist_clear(struct evlist *e);

/* "threshold distinct values within the window", with the first values'
 * text as evidence: a dset and an evlist in one tracker (port_scan counts
 * ports of a host, host_sweep hosts on a port).  distinct_seen adds value
 * (its text: evidence when new) under key and emits one alert of kind
 * when the set reaches params->threshold, then starts over. */
size_t distinct_data_size(const struct anomaly_params *p, uint32_t width);
void distinct_seen(struct anomaly_ctx *c, const struct anomaly_key *key, uint32_t value,
                   const char *text, uint32_t width, uint64_t ts, const char *kind);

/* The last n event times, for "n events within the window". */
struct ring { uint32_t n, cap, head, pad; uint64_t ts[]; };
size_t ring_size(uint32_t cap);
void ring_init(struct ring *r, uint32_t cap);
void ring_push(struct ring *r, uint64_t ts);
uint64_t ring_span(const struct ring *r);    /* newest - oldest stored */
void ring_clear(struct ring *r);

#endif
