/* DNS parser: messages from UDP datagrams or from TCP streams (each message
 * behind a 2-byte length, several per stream, split anyhow across chunks)
 * become transactions: a query paired with its response by message id.
 * Hand-written because no Debian library parses DNS passively from hostile
 * captures with the limits a sensor needs (libresolv's ns_parse trusts its
 * caller's buffer and reports no malformation detail).  Every record keeps
 * its type, class, ttl and rdata in presentation form; names are expanded
 * with compression loops and lengths bounded; anything malformed is counted. */
#ifndef XIEZHI_APPLAYER_DNS_H
#define XIEZHI_APPLAYER_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applayer/pdu_buf.h"
#include "flow/flow.h"

#define DNS_NAME_MAX 255            /* presentation text, without the NUL */
#define DNS_RDATA_MAX 512           /* presentation text kept per record */
#define DNS_MAX_QUERIES 4           /* questions kept per message (real ones ask one) */
#define DNS_MAX_RECORDS 64          /* answer + authority records kept per message */
#define DNS_MAX_PENDING 32          /* unanswered queries kept per flow */
#define DNS_TCP_MAX (65535u + 2u)

enum dns_rrtype {
    DNS_A = 1, DNS_NS = 2, DNS_CNAME = 5, DNS_SOA = 6, DNS_NULL = 10, DNS_PTR = 12,
    DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28, DNS_SRV = 33, DNS_OPT = 41, DNS_SSHFP = 44,
    DNS_SVCB = 64, DNS_HTTPS = 65,
};

enum dns_section { DNS_SECTION_ANSWER, DNS_SECTION_AUTHORITY };

struct dns_query {
    char rrname[DNS_NAME_MAX + 1];
    uint16_t rrtype, rrclass;
};

struct dns_soa {
    char mname[DNS_NAME_MAX + 1], rname[DNS_NAME_MAX + 1];
    uint32_t serial, refresh, retry, expire, minimum;
};

struct dns_srv {
    uint16_t priority, weight, port;
    char name[DNS_NAME_MAX + 1];
};

struct dns_record {
    enum dns_section section;
    char rrname[DNS_NAME_MAX + 1];
    uint16_t rrtype, rrclass;
    uint32_t ttl;
    /* Presentation form: an address, a name, TXT strings, SVCB parameters,
     * raw NULL bytes; rdata_len bytes, may hold any byte (NULL records). */
    char rdata[DNS_RDATA_MAX];
    uint16_t rdata_len;
    bool has_rdata;
    uint16_t mx_preference;         /* MX */
    struct dns_soa *soa;            /* SOA: owned */
    struct dns_srv srv;             /* SRV */
};

struct dns_message {
    uint16_t id, flags;             /* flags: the header's second 16 bits */
    uint16_t qdcount, ancount, nscount, arcount;
    uint8_t nqueries, nrecords;     /* kept (the counts say what was sent) */
    bool truncated_lists;           /* more queries/records than kept */
    struct dns_query queries[DNS_MAX_QUERIES];
    struct dns_record *records;     /* grown as needed, up to DNS_MAX_RECORDS */
    uint8_t records_cap;
};

static inline bool dns_is_response(const struct dns_message *m) { return m->flags & 0x8000; }
static inline unsigned dns_opcode(const struct dns_message *m) { return (m->flags >> 11) & 0xF; }
static inline unsigned dns_rcode(const struct dns_message *m) { return m->flags & 0xF; }

/* A transaction: the query and, once seen, its response (either may be
 * missing: a response without a query seen, a query never answered). */
struct dns_tx {
    uint64_t tx_id;                 /* per flow, in order of creation */
    uint16_t id;
    struct dns_message *query, *response;
};

enum dns_malformed {
    DNS_BAD_HEADER,         /* shorter than 12 bytes */
    DNS_BAD_NAME,           /* label past the end, bad label type, name too long */
    DNS_BAD_POINTER,        /* compression pointer loop or pointing forward */
    DNS_BAD_RECORD,         /* record or rdata past the end, rdata shorter than its type needs */
    DNS_BAD_TCP_LENGTH,     /* zero length prefix, or a stream gap */
    DNS_MALFORMED_KINDS
};

struct dns_counters {
    uint64_t messages, queries, responses, txs;
    uint64_t unanswered;            /* queries dropped without a response (pending full, end) */
    uint64_t unsolicited;           /* responses without a query seen */
    uint64_t malformed[DNS_MALFORMED_KINDS];
    uint64_t gaps;                  /* of those under tcp_length: a stream gap */
    uint64_t oom;
};

/* What the parser tells its user: a query (tx->response NULL) or a response
 * arrived for tx.  tx and its messages live until the callback returns. */
struct dns_sink {
    void (*message)(void *ctx, const struct dns_tx *tx, enum flow_direction dir);
    void *ctx;
};

struct dns_state {
    struct dns_sink sink;
    struct dns_counters counters;
    uint64_t next_tx_id;
    struct dns_tx pending[DNS_MAX_PENDING];     /* queries waiting for a response */
    unsigned npending;
    struct pdu_buf tcp[2];                      /* per direction */
    bool tcp_dead[2];                           /* lost sync: parse no more */
};

void dns_state_init(struct dns_state *s, const struct dns_sink *sink);
/* Reports queries still unanswered (as transactions without a response),
 * then frees everything. */
void dns_state_free(struct dns_state *s);

/* One UDP datagram. Returns 0, or -1 when it was malformed (counted). */
int dns_parse_udp(struct dns_state *s, enum flow_direction dir, const uint8_t *data, size_t len);
/* A chunk of a TCP stream direction (flags: PDU_CHUNK_GAP/EOF).  Returns 0,
 * or -1 once the direction cannot be followed any more (counted). */
int dns_parse_tcp(struct dns_state *s, enum flow_direction dir, const uint8_t *data, uint32_t len,
                  unsigned flags);

/* One message, parsed on its own into a zeroed m: 0, or the dns_malformed
 * kind + 1 (what was parsed before the fault stays, to be cleared).  The
 * message owns its records: dns_message_clear frees them. */
int dns_message_parse(struct dns_message *m, const uint8_t *data, size_t len);
void dns_message_clear(struct dns_message *m);
/* A deep copy (NULL when out of memory); free with dns_message_free. */
struct dns_message *dns_message_dup(const struct dns_message *m);
void dns_message_free(struct dns_message *m);

/* Names: "A", "AAAA", ... or the decimal number in buf. */
const char *dns_rrtype_name(uint16_t type, char buf[8]);
/* "NOERROR", "NXDOMAIN", ... or the decimal number in buf. */
const char *dns_rcode_name(unsigned rcode, char buf[8]);
/* Type number for a name ("A", "https", "65"), -1 when unknown. */
int dns_rrtype_parse(const char *name);

#endif
