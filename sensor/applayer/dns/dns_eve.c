/* EVE "dns" objects, version 3: flags in hex, the flag bits that are set
 * as booleans, queries[], answers[] with rdata (or soa/srv objects),
 * authorities[] and grouped{TYPE: [...]}, as Suricata 8 writes them. */
#include "applayer/dns/dns_eve.h"

#include <stdio.h>
#include <string.h>

static void write_flags(struct json_writer *w, const struct dns_message *m)
{
    char hex[8];
    snprintf(hex, sizeof hex, "%x", m->flags);
    json_string(w, "flags", hex);
    static const struct {
        const char *name;
        uint16_t bit;
    } bits[] = { { "qr", 0x8000 }, { "aa", 0x0400 }, { "tc", 0x0200 },
                 { "rd", 0x0100 }, { "ra", 0x0080 }, { "z", 0x0040 } };
    for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
        if (m->flags & bits[i].bit)
            json_bool(w, bits[i].name, true);
    json_uint(w, "opcode", dns_opcode(m));
}

bool dns_eve_type_wanted(const struct dns_eve_options *opt, uint16_t type)
{
    for (unsigned i = 0; i < opt->ntypes && i < DNS_EVE_TYPES_MAX; i++)
        if (opt->types[i] == type)
            return true;
    return opt->ntypes == 0;
}

bool dns_eve_side_wanted(const struct dns_tx *tx, bool response, const struct dns_eve_options *opt)
{
    const struct dns_message *m = response ? tx->response : tx->query;
    if (!m || (response ? !opt->responses : !opt->requests))
        return false;
    if (m->nqueries == 0)
        return true;                /* nothing to filter on */
    for (unsigned i = 0; i < m->nqueries; i++)
        if (dns_eve_type_wanted(opt, m->queries[i].rrtype))
            return true;
    return false;
}

static void write_queries(struct json_writer *w, const struct dns_message *m,
                          const struct dns_eve_options *opt)
{
    char num[8];
    bool opened = false;
    for (unsigned i = 0; i < m->nqueries; i++) {
        if (!dns_eve_type_wanted(opt, m->queries[i].rrtype))
            continue;
        if (!opened)
            json_array_begin(w, "queries");
        opened = true;
        json_object_begin(w, NULL);
        json_string(w, "rrname", m->queries[i].rrname);
        json_string(w, "rrtype", dns_rrtype_name(m->queries[i].rrtype, num));
        json_object_end(w);
    }
    if (opened)
        json_array_end(w);
}

static void write_soa(struct json_writer *w, const char *key, const struct dns_soa *soa)
{
    json_object_begin(w, key);
    json_string(w, "mname", soa->mname);
    json_string(w, "rname", soa->rname);
    json_uint(w, "serial", soa->serial);
    json_uint(w, "refresh", soa->refresh);
    json_uint(w, "retry", soa->retry);
    json_uint(w, "expire", soa->expire);
    json_uint(w, "minimum", soa->minimum);
    json_object_end(w);
}

static void write_srv(struct json_writer *w, const char *key, const struct dns_srv *srv)
{
    json_object_begin(w, key);
    json_uint(w, "priority", srv->priority);
    json_uint(w, "weight", srv->weight);
    json_uint(w, "port", srv->port);
    json_string(w, "name", srv->name);
    json_object_end(w);
}

static void write_record(struct json_writer *w, const struct dns_record *r)
{
    char num[8];
    json_object_begin(w, NULL);
    json_string(w, "rrname", r->rrname);
    json_string(w, "rrtype", dns_rrtype_name(r->rrtype, num));
    json_uint(w, "ttl", r->ttl);
    if (r->soa)
        write_soa(w, "soa", r->soa);
    else if (r->rrtype == DNS_SRV && r->has_rdata)
        write_srv(w, "srv", &r->srv);
    else if (r->has_rdata)
        json_string_len(w, "rdata", r->rdata, r->rdata_len);
    json_object_end(w);
}

static void write_section(struct json_writer *w, const char *key, const struct dns_message *m,
                          enum dns_section section, const struct dns_eve_options *opt)
{
    bool any = false;
    for (unsigned i = 0; i < m->nrecords; i++) {
        if (m->records[i].section != section || !dns_eve_type_wanted(opt, m->records[i].rrtype))
            continue;
        if (!any)
            json_array_begin(w, key);
        any = true;
        write_record(w, &m->records[i]);
    }
    if (any)
        json_array_end(w);
}

/* The types Suricata's schema has a "grouped" array for; the others
 * (HTTPS, SVCB, ...) are in "answers" only. */
static bool groupable(uint16_t type)
{
    static const uint16_t types[] = { DNS_A, DNS_AAAA, DNS_CNAME, DNS_MX, DNS_NS, DNS_NULL,
                                      DNS_PTR, DNS_SOA, DNS_SRV, DNS_TXT };
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (types[i] == type)
            return true;
    return false;
}

/* grouped: one array per answer type, in order of first appearance. */
static void write_grouped(struct json_writer *w, const struct dns_message *m,
                          const struct dns_eve_options *opt)
{
    bool opened = false;
    for (unsigned i = 0; i < m->nrecords; i++) {
        const struct dns_record *r = &m->records[i];
        if (r->section != DNS_SECTION_ANSWER || !r->has_rdata || !groupable(r->rrtype) ||
            !dns_eve_type_wanted(opt, r->rrtype))
            continue;
        bool seen = false;
        for (unsigned j = 0; j < i && !seen; j++)
            seen = m->records[j].section == DNS_SECTION_ANSWER && m->records[j].has_rdata &&
                   m->records[j].rrtype == r->rrtype;
        if (seen)
            continue;
        if (!opened)
            json_object_begin(w, "grouped");
        opened = true;
        char num[8];
        json_array_begin(w, dns_rrtype_name(r->rrtype, num));
        for (unsigned j = i; j < m->nrecords; j++) {
            const struct dns_record *o = &m->records[j];
            if (o->section != DNS_SECTION_ANSWER || !o->has_rdata || o->rrtype != r->rrtype)
                continue;
            if (o->soa)
                write_soa(w, NULL, o->soa);
            else if (o->rrtype == DNS_SRV)
                write_srv(w, NULL, &o->srv);
            else
                json_string_len(w, NULL, o->rdata, o->rdata_len);
        }
        json_array_end(w);
    }
    if (opened)
        json_object_end(w);
}

void dns_eve_members(struct json_writer *w, const struct dns_tx *tx, bool response,
                     const struct dns_eve_options *opt)
{
    const struct dns_message *m = response ? tx->response : tx->query;
    char num[8];
    json_uint(w, "version", 3);
    json_string(w, "type", response ? "response" : "request");
    json_uint(w, "tx_id", tx->tx_id);
    json_uint(w, "id", m->id);
    write_flags(w, m);
    if (response) {
        json_string(w, "rcode", dns_rcode_name(dns_rcode(m), num));
        if (m->nqueries) {
            json_string(w, "rrname", m->queries[0].rrname);
            json_string(w, "rrtype", dns_rrtype_name(m->queries[0].rrtype, num));
        }
    }
    write_queries(w, m, opt);
    if (response && opt->answers) {
        write_section(w, "answers", m, DNS_SECTION_ANSWER, opt);
        write_section(w, "authorities", m, DNS_SECTION_AUTHORITY, opt);
    }
    if (response && opt->grouped)
        write_grouped(w, m, opt);
}

bool dns_eve_write(struct json_writer *w, const struct dns_tx *tx, bool response,
                   const struct dns_eve_options *opt)
{
    if (!dns_eve_side_wanted(tx, response, opt))
        return false;
    json_object_begin(w, "dns");
    dns_eve_members(w, tx, response, opt);
    json_object_end(w);
    return true;
}
