/* DNS messages to transactions.  Hand-written (see dns.h): the wire format
 * is small, and a passive parser must bound every length, every name and
 * every compression pointer itself. */
#include "applayer/dns/dns.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DNS_HEADER_LEN 12
#define DNS_MAX_POINTERS 32     /* compression jumps per name */

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A bounded text builder: appends stop at the capacity, so a long rdata is
 * cut, never overflowed. */
struct text {
    char *buf;
    size_t cap, len;        /* cap counts the NUL */
};

static void text_put(struct text *t, const char *s, size_t n)
{
    if (t->len + 1 >= t->cap)
        return;
    size_t room = t->cap - 1 - t->len;
    if (n > room)
        n = room;
    memcpy(t->buf + t->len, s, n);
    t->len += n;
    t->buf[t->len] = '\0';
}

static void text_str(struct text *t, const char *s) { text_put(t, s, strlen(s)); }

static void text_uint(struct text *t, unsigned v)
{
    char tmp[16];
    int n = snprintf(tmp, sizeof tmp, "%u", v);
    if (n > 0)
        text_put(t, tmp, (size_t)n);
}

static void text_hex(struct text *t, uint8_t v)
{
    static const char digits[] = "0123456789abcdef";
    char tmp[2] = { digits[v >> 4], digits[v & 15] };
    text_put(t, tmp, 2);
}

/* ---- names ---- */

/* Expands the name at msg[off]; *next is the offset just after the name
 * where it was written (not where a pointer led).  Pointers must point
 * before the start of the labels that hold them, so every jump goes back
 * and expansion ends; their number is capped as well.  Labels are joined
 * with '.', a NUL byte in a label is written "\000", the root is "<root>". */
static int read_name(const uint8_t *msg, size_t len, size_t off, char out[DNS_NAME_MAX + 1],
                     size_t *next)
{
    size_t pos = off, run_start = off, n = 0;
    unsigned jumps = 0;
    bool jumped = false;
    out[0] = '\0';
    for (;;) {
        if (pos >= len)
            return DNS_BAD_NAME + 1;
        uint8_t l = msg[pos];
        if ((l & 0xC0) == 0xC0) {
            if (pos + 1 >= len)
                return DNS_BAD_NAME + 1;
            size_t target = (size_t)(l & 0x3F) << 8 | msg[pos + 1];
            if (!jumped)
                *next = pos + 2;
            if (target >= run_start || ++jumps > DNS_MAX_POINTERS)
                return DNS_BAD_POINTER + 1;
            pos = run_start = target;
            jumped = true;
            continue;
        }
        if (l & 0xC0)
            return DNS_BAD_NAME + 1;           /* 0x40/0x80: extended label types */
        if (l == 0) {
            if (!jumped)
                *next = pos + 1;
            break;
        }
        if (pos + 1 + l > len)
            return DNS_BAD_NAME + 1;
        if (n + (n ? 1u : 0u) + l > DNS_NAME_MAX)
            return DNS_BAD_NAME + 1;
        if (n)
            out[n++] = '.';
        for (size_t i = 0; i < l; i++) {
            uint8_t c = msg[pos + 1 + i];
            if (c == 0) {
                if (n + 4 > DNS_NAME_MAX)
                    return DNS_BAD_NAME + 1;
                memcpy(out + n, "\\000", 4);
                n += 4;
            } else {
                if (n + 1 > DNS_NAME_MAX)
                    return DNS_BAD_NAME + 1;
                out[n++] = (char)c;
            }
        }
        pos += 1 + l;
    }
    if (n == 0)
        memcpy(out, "<root>", 7);
    else
        out[n] = '\0';
    return 0;
}

/* A name that must lie inside rdata [.., end). */
static int rdata_name(const uint8_t *msg, size_t len, size_t off, size_t end, char *out,
                      size_t *next)
{
    int rc = read_name(msg, len, off, out, next);
    if (rc)
        return rc;
    return *next > end ? DNS_BAD_RECORD + 1 : 0;
}

/* ---- rdata in presentation form ---- */

static void svc_param(struct text *t, uint16_t key, const uint8_t *v, uint16_t vlen)
{
    static const char *const names[] = { "mandatory", "alpn", "no-default-alpn", "port",
                                         "ipv4hint", "ech", "ipv6hint" };
    char addr[INET6_ADDRSTRLEN];
    text_str(t, " ");
    if (key < sizeof names / sizeof names[0])
        text_str(t, names[key]);
    else {
        text_str(t, "key");
        text_uint(t, key);
    }
    if (key == 2 || vlen == 0)
        return;
    text_str(t, "=");
    if (key == 1) {                 /* alpn: length-prefixed ids, comma-separated */
        for (uint16_t i = 0; i < vlen;) {
            uint8_t l = v[i++];
            if (l > vlen - i)
                l = (uint8_t)(vlen - i);
            text_put(t, (const char *)v + i, l);
            i = (uint16_t)(i + l);
            if (i < vlen)
                text_str(t, ",");
        }
    } else if (key == 3 && vlen == 2) {
        text_uint(t, be16(v));
    } else if ((key == 4 && vlen % 4 == 0) || (key == 6 && vlen % 16 == 0)) {
        unsigned step = key == 4 ? 4 : 16;
        for (uint16_t i = 0; i < vlen; i = (uint16_t)(i + step)) {
            inet_ntop(key == 4 ? AF_INET : AF_INET6, v + i, addr, sizeof addr);
            if (i)
                text_str(t, ",");
            text_str(t, addr);
        }
    } else {
        for (uint16_t i = 0; i < vlen; i++)
            text_hex(t, v[i]);
    }
}

/* SVCB/HTTPS (RFC 9460): "priority target key=value ...". */
static int rdata_svcb(struct dns_record *r, const uint8_t *msg, size_t len, size_t off,
                      size_t end, struct text *t)
{
    char target[DNS_NAME_MAX + 1];
    size_t next;
    if (end - off < 3)
        return DNS_BAD_RECORD + 1;
    unsigned prio = be16(msg + off);
    int rc = rdata_name(msg, len, off + 2, end, target, &next);
    if (rc)
        return rc;
    text_uint(t, prio);
    text_str(t, " ");
    text_str(t, strcmp(target, "<root>") == 0 ? "." : target);
    while (next < end) {
        if (end - next < 4)
            return DNS_BAD_RECORD + 1;
        uint16_t key = be16(msg + next), vlen = be16(msg + next + 2);
        if (vlen > end - next - 4)
            return DNS_BAD_RECORD + 1;
        svc_param(t, key, msg + next + 4, vlen);
        next += 4u + vlen;
    }
    (void)r;
    return 0;
}

static int rdata_parse(struct dns_record *r, const uint8_t *msg, size_t len, size_t off,
                       size_t rdlen)
{
    size_t end = off + rdlen, next;
    struct text t = { r->rdata, sizeof r->rdata, 0 };
    int rc = 0;
    r->rdata[0] = '\0';
    switch (r->rrtype) {
    case DNS_A:
    case DNS_AAAA: {
        size_t want = r->rrtype == DNS_A ? 4 : 16;
        if (rdlen != want)
            return DNS_BAD_RECORD + 1;
        inet_ntop(r->rrtype == DNS_A ? AF_INET : AF_INET6, msg + off, r->rdata, sizeof r->rdata);
        t.len = strlen(r->rdata);
        break;
    }
    case DNS_CNAME:
    case DNS_NS:
    case DNS_PTR:
        rc = rdata_name(msg, len, off, end, r->rdata, &next);
        t.len = strlen(r->rdata);
        break;
    case DNS_MX:
        if (rdlen < 3)
            return DNS_BAD_RECORD + 1;
        r->mx_preference = be16(msg + off);
        rc = rdata_name(msg, len, off + 2, end, r->rdata, &next);
        t.len = strlen(r->rdata);
        break;
    case DNS_SRV:
        if (rdlen < 7)
            return DNS_BAD_RECORD + 1;
        r->srv.priority = be16(msg + off);
        r->srv.weight = be16(msg + off + 2);
        r->srv.port = be16(msg + off + 4);
        rc = rdata_name(msg, len, off + 6, end, r->srv.name, &next);
        text_str(&t, r->srv.name);
        break;
    case DNS_SOA: {
        struct dns_soa *soa = calloc(1, sizeof *soa);
        if (!soa)
            return DNS_MALFORMED_KINDS + 1;     /* out of memory */
        r->soa = soa;
        rc = rdata_name(msg, len, off, end, soa->mname, &next);
        if (!rc)
            rc = rdata_name(msg, len, next, end, soa->rname, &next);
        if (!rc && end - next < 20)
            rc = DNS_BAD_RECORD + 1;
        if (rc)
            return rc;
        const uint8_t *p = msg + next;
        soa->serial = be32(p);
        soa->refresh = be32(p + 4);
        soa->retry = be32(p + 8);
        soa->expire = be32(p + 12);
        soa->minimum = be32(p + 16);
        text_str(&t, soa->mname);
        break;
    }
    case DNS_TXT:
        for (size_t i = off; i < end;) {
            uint8_t l = msg[i++];
            if (l > end - i)
                return DNS_BAD_RECORD + 1;
            text_put(&t, (const char *)msg + i, l);
            i += l;
        }
        break;
    case DNS_NULL:
        text_put(&t, (const char *)msg + off, rdlen);
        break;
    case DNS_SVCB:
    case DNS_HTTPS:
        rc = rdata_svcb(r, msg, len, off, end, &t);
        break;
    default:
        return 0;                   /* kept without rdata */
    }
    if (rc)
        return rc;
    r->has_rdata = true;
    r->rdata_len = (uint16_t)t.len;
    return 0;
}

/* ---- messages ---- */

static struct dns_record *new_record(struct dns_message *m)
{
    if (m->nrecords >= DNS_MAX_RECORDS) {
        m->truncated_lists = true;
        return NULL;
    }
    if (m->nrecords == m->records_cap) {
        unsigned cap = m->records_cap ? m->records_cap * 2u : 4u;
        if (cap > DNS_MAX_RECORDS)
            cap = DNS_MAX_RECORDS;
        struct dns_record *p = realloc(m->records, cap * sizeof *p);
        if (!p)
            return NULL;
        m->records = p;
        m->records_cap = (uint8_t)cap;
    }
    struct dns_record *r = &m->records[m->nrecords++];
    memset(r, 0, sizeof *r);
    return r;
}

static int parse_record(struct dns_message *m, enum dns_section section, const uint8_t *msg,
                        size_t len, size_t *off)
{
    char name[DNS_NAME_MAX + 1];
    size_t next;
    int rc = read_name(msg, len, *off, name, &next);
    if (rc)
        return rc;
    if (len - next < 10)
        return DNS_BAD_RECORD + 1;
    uint16_t type = be16(msg + next), klass = be16(msg + next + 2);
    uint32_t ttl = be32(msg + next + 4);
    uint16_t rdlen = be16(msg + next + 8);
    size_t rdoff = next + 10;
    if (rdlen > len - rdoff)
        return DNS_BAD_RECORD + 1;
    *off = rdoff + rdlen;
    struct dns_record *r = new_record(m);
    if (!r)
        return m->truncated_lists ? 0 : DNS_MALFORMED_KINDS + 1;
    r->section = section;
    memcpy(r->rrname, name, sizeof name);
    r->rrtype = type;
    r->rrclass = klass;
    r->ttl = ttl;
    return rdata_parse(r, msg, len, rdoff, rdlen);
}

int dns_message_parse(struct dns_message *m, const uint8_t *msg, size_t len)
{
    if (len < DNS_HEADER_LEN)
        return DNS_BAD_HEADER + 1;
    m->id = be16(msg);
    m->flags = be16(msg + 2);
    m->qdcount = be16(msg + 4);
    m->ancount = be16(msg + 6);
    m->nscount = be16(msg + 8);
    m->arcount = be16(msg + 10);
    size_t off = DNS_HEADER_LEN;
    for (unsigned i = 0; i < m->qdcount; i++) {
        char name[DNS_NAME_MAX + 1];
        size_t next;
        int rc = read_name(msg, len, off, name, &next);
        if (rc)
            return rc;
        if (len - next < 4)
            return DNS_BAD_RECORD + 1;
        if (m->nqueries < DNS_MAX_QUERIES) {
            struct dns_query *q = &m->queries[m->nqueries++];
            memcpy(q->rrname, name, sizeof name);
            q->rrtype = be16(msg + next);
            q->rrclass = be16(msg + next + 2);
        } else {
            m->truncated_lists = true;
        }
        off = next + 4;
    }
    /* The additional section (EDNS options, glue) is not logged. */
    unsigned records = (unsigned)m->ancount + m->nscount;
    for (unsigned i = 0; i < records; i++) {
        int rc = parse_record(m, i < m->ancount ? DNS_SECTION_ANSWER : DNS_SECTION_AUTHORITY,
                              msg, len, &off);
        if (rc)
            return rc;
    }
    return 0;
}

void dns_message_clear(struct dns_message *m)
{
    for (unsigned i = 0; i < m->nrecords; i++)
        free(m->records[i].soa);
    free(m->records);
    m->records = NULL;
    m->nrecords = m->records_cap = 0;
}

struct dns_message *dns_message_dup(const struct dns_message *m)
{
    struct dns_message *c = malloc(sizeof *c);
    if (!c)
        return NULL;
    *c = *m;
    c->records = NULL;
    c->records_cap = 0;
    c->nrecords = 0;
    if (m->nrecords == 0)
        return c;
    c->records = malloc(m->nrecords * sizeof *c->records);
    if (!c->records) {
        free(c);
        return NULL;
    }
    c->records_cap = m->nrecords;
    for (unsigned i = 0; i < m->nrecords; i++) {
        c->records[i] = m->records[i];
        c->records[i].soa = NULL;
        c->nrecords++;
        if (!m->records[i].soa)
            continue;
        c->records[i].soa = malloc(sizeof *c->records[i].soa);
        if (!c->records[i].soa) {
            dns_message_clear(c);
            free(c);
            return NULL;
        }
        *c->records[i].soa = *m->records[i].soa;
    }
    return c;
}

void dns_message_free(struct dns_message *m)
{
    if (!m)
        return;
    dns_message_clear(m);
    free(m);
}

/* ---- transactions ---- */

void dns_state_init(struct dns_state *s, const struct dns_sink *sink)
{
    memset(s, 0, sizeof *s);
    if (sink)
        s->sink = *sink;
    pdu_buf_init(&s->tcp[0], DNS_TCP_MAX);
    pdu_buf_init(&s->tcp[1], DNS_TCP_MAX);
}

void dns_state_free(struct dns_state *s)
{
    s->counters.unanswered += s->npending;
    for (unsigned i = 0; i < s->npending; i++)
        dns_message_free(s->pending[i].query);
    s->npending = 0;
    pdu_buf_free(&s->tcp[0]);
    pdu_buf_free(&s->tcp[1]);
}

static void tell(struct dns_state *s, const struct dns_tx *tx, enum flow_direction dir)
{
    if (s->sink.message)
        s->sink.message(s->sink.ctx, tx, dir);
}

static void drop_pending(struct dns_state *s, unsigned i)
{
    dns_message_free(s->pending[i].query);
    memmove(&s->pending[i], &s->pending[i + 1], (s->npending - i - 1) * sizeof s->pending[0]);
    s->npending--;
}

static void take_query(struct dns_state *s, struct dns_message *m, enum flow_direction dir)
{
    s->counters.queries++;
    if (s->npending == DNS_MAX_PENDING) {
        s->counters.unanswered++;
        drop_pending(s, 0);                     /* the oldest */
    }
    struct dns_tx *tx = &s->pending[s->npending++];
    *tx = (struct dns_tx){ .tx_id = s->next_tx_id++, .id = m->id, .query = m };
    s->counters.txs++;
    tell(s, tx, dir);
}

static void take_response(struct dns_state *s, struct dns_message *m, enum flow_direction dir)
{
    s->counters.responses++;
    for (unsigned i = 0; i < s->npending; i++) {
        if (s->pending[i].id != m->id)
            continue;
        struct dns_tx tx = s->pending[i];
        tx.response = m;
        tell(s, &tx, dir);
        drop_pending(s, i);
        dns_message_free(m);
        return;
    }
    s->counters.unsolicited++;
    struct dns_tx tx = { .tx_id = s->next_tx_id++, .id = m->id, .response = m };
    s->counters.txs++;
    tell(s, &tx, dir);
    dns_message_free(m);
}

static int take_message(struct dns_state *s, enum flow_direction dir, const uint8_t *data,
                        size_t len)
{
    struct dns_message *m = calloc(1, sizeof *m);
    if (!m) {
        s->counters.oom++;
        return -1;
    }
    int rc = dns_message_parse(m, data, len);
    if (rc) {
        if (rc == DNS_MALFORMED_KINDS + 1)
            s->counters.oom++;
        else
            s->counters.malformed[rc - 1]++;
        dns_message_free(m);
        return -1;
    }
    s->counters.messages++;
    if (dns_is_response(m))
        take_response(s, m, dir);
    else
        take_query(s, m, dir);
    return 0;
}

int dns_parse_udp(struct dns_state *s, enum flow_direction dir, const uint8_t *data, size_t len)
{
    return take_message(s, dir, data, len);
}

struct tcp_ctx {
    struct dns_state *s;
    enum flow_direction dir;
};

/* Whole length-prefixed messages; a malformed message is counted and
 * skipped (its length still frames the stream), a zero length is not a
 * frame at all and stops the direction. */
static int64_t tcp_messages(void *ctx, const uint8_t *data, uint32_t len)
{
    struct tcp_ctx *c = ctx;
    uint32_t off = 0;
    while (len - off >= 2) {
        uint32_t mlen = be16(data + off);
        if (mlen == 0) {
            c->s->counters.malformed[DNS_BAD_TCP_LENGTH]++;
            return -1;
        }
        if (len - off - 2 < mlen)
            break;
        take_message(c->s, c->dir, data + off + 2, mlen);
        off += 2 + mlen;
    }
    return off;
}

int dns_parse_tcp(struct dns_state *s, enum flow_direction dir, const uint8_t *data, uint32_t len,
                  unsigned flags)
{
    unsigned d = dir == FLOW_TOCLIENT ? 1 : 0;
    if (flags & PDU_CHUNK_GAP && !s->tcp_dead[d]) {
        /* Framing is lost: nothing after a gap can be trusted to start a message. */
        s->counters.malformed[DNS_BAD_TCP_LENGTH]++;
        s->counters.gaps++;
        s->tcp_dead[d] = true;
        pdu_buf_clear(&s->tcp[d]);
    }
    if (s->tcp_dead[d])
        return -1;
    struct tcp_ctx ctx = { s, dir };
    if (pdu_buf_feed(&s->tcp[d], data, len, tcp_messages, &ctx) != 0) {
        s->tcp_dead[d] = true;
        pdu_buf_clear(&s->tcp[d]);
        return -1;
    }
    if (flags & PDU_CHUNK_EOF)
        pdu_buf_clear(&s->tcp[d]);
    return 0;
}

/* ---- names of numbers ---- */

static const struct {
    uint16_t type;
    const char *name;
} rrtypes[] = {
    { 1, "A" }, { 2, "NS" }, { 3, "MD" }, { 4, "MF" }, { 5, "CNAME" }, { 6, "SOA" },
    { 7, "MB" }, { 8, "MG" }, { 9, "MR" }, { 10, "NULL" }, { 11, "WKS" }, { 12, "PTR" },
    { 13, "HINFO" }, { 14, "MINFO" }, { 15, "MX" }, { 16, "TXT" }, { 17, "RP" },
    { 18, "AFSDB" }, { 19, "X25" }, { 20, "ISDN" }, { 21, "RT" }, { 22, "NSAP" },
    { 23, "NSAPPTR" }, { 24, "SIG" }, { 25, "KEY" }, { 26, "PX" }, { 27, "GPOS" },
    { 28, "AAAA" }, { 29, "LOC" }, { 30, "NXT" }, { 33, "SRV" }, { 34, "ATMA" },
    { 35, "NAPTR" }, { 36, "KX" }, { 37, "CERT" }, { 38, "A6" }, { 39, "DNAME" },
    { 41, "OPT" }, { 42, "APL" }, { 43, "DS" }, { 44, "SSHFP" }, { 45, "IPSECKEY" },
    { 46, "RRSIG" }, { 47, "NSEC" }, { 48, "DNSKEY" }, { 49, "DHCID" }, { 50, "NSEC3" },
    { 51, "NSEC3PARAM" }, { 52, "TLSA" }, { 55, "HIP" }, { 59, "CDS" }, { 60, "CDNSKEY" },
    { 64, "SVCB" }, { 65, "HTTPS" }, { 99, "SPF" }, { 249, "TKEY" }, { 250, "TSIG" },
    { 251, "IXFR" }, { 252, "AXFR" }, { 255, "ANY" }, { 256, "URI" }, { 257, "CAA" },
};

const char *dns_rrtype_name(uint16_t type, char buf[8])
{
    for (size_t i = 0; i < sizeof rrtypes / sizeof rrtypes[0]; i++)
        if (rrtypes[i].type == type)
            return rrtypes[i].name;
    snprintf(buf, 8, "%u", type);
    return buf;
}

int dns_rrtype_parse(const char *name)
{
    for (size_t i = 0; i < sizeof rrtypes / sizeof rrtypes[0]; i++)
        if (strcasecmp(rrtypes[i].name, name) == 0)
            return rrtypes[i].type;
    char *end;
    unsigned long v = strtoul(name, &end, 10);
    if (*name < '0' || *name > '9' || *end || v > 65535)
        return -1;
    return (int)v;
}

const char *dns_rcode_name(unsigned rcode, char buf[8])
{
    static const char *const names[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                         "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
                                         "NXRRSET", "NOTAUTH", "NOTZONE" };
    if (rcode < sizeof names / sizeof names[0])
        return names[rcode];
    snprintf(buf, 8, "%u", rcode & 0xFFFF);
    return buf;
}
