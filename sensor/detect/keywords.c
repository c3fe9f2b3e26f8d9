/* The one keyword table.  Entries with a NULL setup are Suricata keywords
 * that xiezhi knows but does not support: a rule using one is rejected alone
 * with "keyword 'x' is not supported", exactly like an unknown keyword. */
#include "detect/keywords.h"

#include <string.h>

static const struct keyword keywords[] = {
    /* meta (kw_meta.c) */
    { "msg", KW_VALUE_REQUIRED, kw_msg },
    { "sid", KW_VALUE_REQUIRED, kw_sid },
    { "rev", KW_VALUE_REQUIRED, kw_rev },
    { "gid", KW_VALUE_REQUIRED, kw_gid },
    { "classtype", KW_VALUE_REQUIRED, kw_classtype },
    { "priority", KW_VALUE_REQUIRED, kw_priority },
    { "metadata", KW_VALUE_REQUIRED, kw_metadata },
    { "reference", KW_VALUE_REQUIRED, kw_reference },
    { "target", KW_VALUE_REQUIRED, kw_target },
    { "noalert", KW_VALUE_NONE, kw_noalert },
    /* flow (kw_flow.c, kw_flowbits.c) */
    { "flow", KW_VALUE_REQUIRED, kw_flow },
    { "flowbits", KW_VALUE_REQUIRED, kw_flowbits },
    /* TCP stream state (kw_stream.c) */
    { "stream-event", KW_VALUE_REQUIRED, kw_stream_event },
    /* packet (kw_packet.c) */
    { "ip_proto", KW_VALUE_REQUIRED, kw_ip_proto },
    { "ttl", KW_VALUE_REQUIRED, kw_ttl },
    { "flags", KW_VALUE_REQUIRED, kw_flags },
    { "dsize", KW_VALUE_REQUIRED, kw_dsize },
    { "itype", KW_VALUE_REQUIRED, kw_itype },
    { "icode", KW_VALUE_REQUIRED, kw_icode },
    /* payload (kw_content.c, kw_pcre.c) */
    { "content", KW_VALUE_REQUIRED, kw_content },
    { "nocase", KW_VALUE_NONE, kw_nocase },
    { "depth", KW_VALUE_REQUIRED, kw_depth },
    { "offset", KW_VALUE_REQUIRED, kw_offset },
    { "distance", KW_VALUE_REQUIRED, kw_distance },
    { "within", KW_VALUE_REQUIRED, kw_within },
    { "startswith", KW_VALUE_NONE, kw_startswith },
    { "endswith", KW_VALUE_NONE, kw_endswith },
    { "fast_pattern", KW_VALUE_OPTIONAL, kw_fast_pattern },
    { "bsize", KW_VALUE_REQUIRED, kw_bsize },
    { "pcre", KW_VALUE_REQUIRED, kw_pcre },
    /* sticky buffers from nDPI metadata (kw_buffers.c) */
    { "pkt_data", KW_VALUE_NONE, kw_pkt_data },
    { "dns.query", KW_VALUE_NONE, kw_buffer_sticky },
    { "dns_query", KW_VALUE_NONE, kw_buffer_sticky },
    { "tls.sni", KW_VALUE_NONE, kw_buffer_sticky },
    { "tls_sni", KW_VALUE_NONE, kw_buffer_sticky },
    { "tls.cert_subject", KW_VALUE_NONE, kw_buffer_sticky },
    { "tls_cert_subject", KW_VALUE_NONE, kw_buffer_sticky },
    { "tls.cert_issuer", KW_VALUE_NONE, kw_buffer_sticky },
    { "tls_cert_issuer", KW_VALUE_NONE, kw_buffer_sticky },
    { "http.host", KW_VALUE_NONE, kw_buffer_sticky },
    { "http.uri", KW_VALUE_NONE, kw_buffer_sticky },
    { "http.method", KW_VALUE_NONE, kw_buffer_sticky },
    { "http.user_agent", KW_VALUE_NONE, kw_buffer_sticky },
    { "ja3.hash", KW_VALUE_NONE, kw_buffer_sticky },
    { "ja3_hash", KW_VALUE_NONE, kw_buffer_sticky },
    { "ja3s.hash", KW_VALUE_NONE, kw_buffer_sticky },
    { "ja3s_hash", KW_VALUE_NONE, kw_buffer_sticky },
    { "ip.src", KW_VALUE_NONE, kw_buffer_sticky },
    { "ip.dst", KW_VALUE_NONE, kw_buffer_sticky },
    { "http_host", KW_VALUE_NONE, kw_buffer_legacy },
    { "http_uri", KW_VALUE_NONE, kw_buffer_legacy },
    { "http_raw_uri", KW_VALUE_NONE, kw_buffer_legacy },
    { "http_method", KW_VALUE_NONE, kw_buffer_legacy },
    { "http_user_agent", KW_VALUE_NONE, kw_buffer_legacy },
    /* classification and geography */
    { "app-layer-protocol", KW_VALUE_REQUIRED, kw_app_layer_protocol },
    { "ndpi-protocol", KW_VALUE_REQUIRED, kw_ndpi_protocol },
    { "ndpi-risk", KW_VALUE_REQUIRED, kw_ndpi_risk },
    { "geoip", KW_VALUE_REQUIRED, kw_geoip },
    /* state and counting */
    { "dataset", KW_VALUE_REQUIRED, kw_dataset },
    { "threshold", KW_VALUE_REQUIRED, kw_threshold },
    { "detection_filter", KW_VALUE_REQUIRED, kw_detection_filter },
    { "anomaly", KW_VALUE_REQUIRED, kw_anomaly },
    /* Known to Suricata, not supported by xiezhi. */
    { "byte_test", KW_VALUE_REQUIRED, NULL },
    { "byte_jump", KW_VALUE_REQUIRED, NULL },
    { "byte_extract", KW_VALUE_REQUIRED, NULL },
    { "byte_math", KW_VALUE_REQUIRED, NULL },
    { "isdataat", KW_VALUE_REQUIRED, NULL },
    { "http.header", KW_VALUE_NONE, NULL },
    { "http_header", KW_VALUE_NONE, NULL },
    { "http.request_body", KW_VALUE_NONE, NULL },
    { "http_client_body", KW_VALUE_NONE, NULL },
    { "http.response_body", KW_VALUE_NONE, NULL },
    { "file_data", KW_VALUE_NONE, NULL },
    { "file.data", KW_VALUE_NONE, NULL },
    { "filemd5", KW_VALUE_REQUIRED, NULL },
    { "lua", KW_VALUE_REQUIRED, NULL },
    { "luajit", KW_VALUE_REQUIRED, NULL },
    { "xbits", KW_VALUE_REQUIRED, NULL },
    { "tag", KW_VALUE_REQUIRED, NULL },
    { "stream_size", KW_VALUE_REQUIRED, kw_stream_size },
    { "base64_decode", KW_VALUE_OPTIONAL, NULL },
    { "base64_data", KW_VALUE_NONE, NULL },
    { "replace", KW_VALUE_REQUIRED, NULL },
    { "datarep", KW_VALUE_REQUIRED, NULL },
};

const struct keyword *keyword_find(const char *name)
{
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (strcmp(keywords[i].name, name) == 0)
            return &keywords[i];
    return NULL;
}

size_t keyword_count(void)
{
    return sizeof keywords / sizeof *keywords;
}

const struct keyword *keyword_at(size_t i)
{
    return i < keyword_count() ? &keywords[i] : NULL;
}
