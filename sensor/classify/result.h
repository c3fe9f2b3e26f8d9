/* What classification leaves on a flow: a compact nDPI verdict, plus the
 * metadata strings (SNI, JA3, HTTP, DNS, SSH...) packed in one allocation. */
#ifndef XIEZHI_CLASSIFY_RESULT_H
#define XIEZHI_CLASSIFY_RESULT_H

#include <stdint.h>

enum classify_state {
    CLASSIFY_NONE,          /* no payload seen yet: no nDPI state allocated */
    CLASSIFY_IN_PROGRESS,   /* nDPI state allocated, still dissecting */
    CLASSIFY_DONE,          /* detected (and extra dissection finished) */
    CLASSIFY_GIVEN_UP,      /* ndpi_detection_giveup() decided at flow end */
};

struct classify_result {
    uint16_t master_protocol;   /* nDPI ids; 0 = unknown */
    uint16_t app_protocol;
    uint16_t category;          /* ndpi_protocol_category_t */
    uint16_t http_response_code;
    uint8_t confidence;         /* ndpi_confidence_t */
    uint8_t state;              /* enum classify_state */
    uint8_t tls_version_known;
    uint8_t pad;
    uint64_t risk;              /* ndpi_risk bitmap */
};

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
