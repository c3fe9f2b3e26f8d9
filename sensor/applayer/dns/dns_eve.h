/* The EVE "dns" object of a DNS transaction, in Suricata's version 3
 * layout: one event per message, "request" or "response". */
#ifndef XIEZHI_APPLAYER_DNS_EVE_H
#define XIEZHI_APPLAYER_DNS_EVE_H

#include <stdbool.h>

#include "applayer/dns/dns.h"
#include "event/json.h"

#define DNS_EVE_TYPES_MAX 32

struct dns_eve_options {
    bool requests;      /* log queries */
    bool responses;     /* log responses */
    bool answers;       /* the "answers" (and "authorities") arrays: format "detailed" */
    bool grouped;       /* the "grouped" object: rdata by type: format "grouped" */
    /* outputs.eve.dns.types: only these record types are logged (questions
     * and records); ntypes 0 = every type. */
    unsigned ntypes;
    uint16_t types[DNS_EVE_TYPES_MAX];
};

#define DNS_EVE_DEFAULTS ((struct dns_eve_options){ true, true, true, true, 0, { 0 } })

/* Whether opt logs records of this type. */
bool dns_eve_type_wanted(const struct dns_eve_options *opt, uint16_t type);
/* Whether the query (response false) or the response of tx gets an event:
 * the side is on, its message exists, and it has a question of a logged
 * type or no question at all. */
bool dns_eve_side_wanted(const struct dns_tx *tx, bool response, const struct dns_eve_options *opt);

/* Writes "dns": {...} for the query (response false) or the response of tx.
 * Returns false (nothing written) when dns_eve_side_wanted says no. */
bool dns_eve_write(struct json_writer *w, const struct dns_tx *tx, bool response,
                   const struct dns_eve_options *opt);

/* The members of that object, for a writer that opened it already; the
 * side's message must exist. */
void dns_eve_members(struct json_writer *w, const struct dns_tx *tx, bool response,
                     const struct dns_eve_options *opt);

#endif
