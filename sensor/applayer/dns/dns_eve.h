/* The EVE "dns" object of a DNS transaction, in Suricata's version 3
 * layout: one event per message, "request" or "response". */
#ifndef XIEZHI_APPLAYER_DNS_EVE_H
#define XIEZHI_APPLAYER_DNS_EVE_H

#include <stdbool.h>

#include "applayer/dns/dns.h"
#include "event/json.h"

struct dns_eve_options {
    bool requests;      /* log queries */
    bool responses;     /* log responses */
    bool answers;       /* the "answers" (and "authorities") arrays */
    bool grouped;       /* the "grouped" object: rdata by type */
};

#define DNS_EVE_DEFAULTS ((struct dns_eve_options){ true, true, true, true })

/* Writes "dns": {...} for the query (response false) or the response of tx.
 * Returns false (nothing written) when the options leave that side out or
 * the tx has no such message. */
bool dns_eve_write(struct json_writer *w, const struct dns_tx *tx, bool response,
                   const struct dns_eve_options *opt);

/* The members of that object, for a writer that opened it already; the
 * side's message must exist. */
void dns_eve_members(struct json_writer *w, const struct dns_tx *tx, bool response,
                     const struct dns_eve_options *opt);

#endif
