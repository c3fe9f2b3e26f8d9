/* The metadata strings classification leaves on a flow (SNI, JA3, HTTP,
 * DNS, SSH...), packed in one allocation.  The compact nDPI verdict itself,
 * struct classify_result, is a slot of struct flow (flow/flow.h). */
#ifndef XIEZHI_CLASSIFY_RESULT_H
#define XIEZHI_CLASSIFY_RESULT_H

#include <stdint.h>

/* Metadata fields, in the order they are packed. */
enum flow_meta_field {
    META_HOSTNAME,          /* HTTP Host, TLS SNI, DNS query name, ... */
    META_DNS_QUERY,
    META_JA3_CLIENT,
    META_JA3_SERVER,
    META_TLS_VERSION,
    META_TLS_ALPN,
    META_TLS_CERT_SUBJECT,
    META_TLS_CERT_ISSUER,
    META_HTTP_URL,
    META_HTTP_USER_AGENT,
    META_HTTP_METHOD,
    META_SSH_CLIENT,
    META_SSH_SERVER,
    META_FIELD_COUNT
};

struct flow_meta;    /* opaque, owned by classify */

/* The field's text, or NULL when nDPI did not see it.  len may be NULL. */
const char *flow_meta_get(const struct flow_meta *meta, enum flow_meta_field field,
                          uint32_t *len);

#endif
