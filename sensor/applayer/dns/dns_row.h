/* What detection reads from a DNS transaction of the app-layer registry
 * (dns_row.c): its query and response messages. */
#ifndef XIEZHI_APPLAYER_DNS_ROW_H
#define XIEZHI_APPLAYER_DNS_ROW_H

#include <stdbool.h>

#include "applayer/applayer.h"
#include "applayer/dns/dns.h"

/* The query (response false) or response of tx, NULL when not seen. */
const struct dns_message *dns_row_message(const struct applayer_tx *tx, bool response);
/* The first question: the query's, else the response's; NULL when none. */
const struct dns_query *dns_row_first_query(const struct applayer_tx *tx);

#endif
