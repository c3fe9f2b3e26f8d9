/* The one keyword table.  Entries with a NULL setup are Suricata keywords
 * that xiezhi knows but does not support: a rule using one is rejected alone
 * with "keyword 'x' is not supported", exactly like an unknown keyword.
 * Each row's description is what `xiezhi --list-keywords` prints and what
 * docs/rules.md's keyword list is generated from (make keywords-doc). */
#include "detect/keywords.h"

#include <string.h>

static const struct keyword keywords[] = {
    /* meta (kw_meta.c) */
    { "msg", KW_VALUE_REQUIRED, kw_msg,
      "message of the alert (alert.signature)" },
    { "sid", KW_VALUE_REQUIRED, kw_sid,
      "signature id, unique per gid (alert.signature_id)" },
    { "rev", KW_VALUE_REQUIRED, kw_rev,
      "revision of the rule (alert.rev)" },
    { "gid", KW_VALUE_REQUIRED, kw_gid,
      "group id, 1 by default (alert.gid)" },
    { "classtype", KW_VALUE_REQUIRED, kw_classtype,
      "classification: category and default priority (classification.config)" },
    { "priority", KW_VALUE_REQUIRED, kw_priority,
      "severity 1 (highest) to 255, overriding the classtype's" },
    { "metadata", KW_VALUE_REQUIRED, kw_metadata,
      "key value pairs copied into alert.metadata" },
    { "reference", KW_VALUE_REQUIRED, kw_reference,
      "external reference (cve, url, ...), parsed and kept" },
    { "target", KW_VALUE_REQUIRED, kw_target,
      "which side is the target: src_ip or dest_ip" },
    { "noalert", KW_VALUE_NONE, kw_noalert,
      "match without writing an alert (with flowbits:set)" },
    /* flow (kw_flow.c, kw_flowbits.c) */
    { "flow", KW_VALUE_REQUIRED, kw_flow,
      "direction and state: to_server, to_client, established, stateless, only_stream, no_stream" },
    { "flowbits", KW_VALUE_REQUIRED, kw_flowbits,
      "set, unset, toggle, isset, isnotset, noalert on per-flow named bits" },
    /* TCP stream state (kw_stream.c) */
    { "stream-event", KW_VALUE_REQUIRED, kw_stream_event,
      "the packet caused this TCP reassembly event (reassembly_overlap_different_data, ...)" },
    /* packet (kw_packet.c) */
    { "ip_proto", KW_VALUE_REQUIRED, kw_ip_proto,
      "IP protocol number or name" },
    { "ttl", KW_VALUE_REQUIRED, kw_ttl,
      "IP time to live (or hop limit): n, <n, >n, n-m" },
    { "flags", KW_VALUE_REQUIRED, kw_flags,
      "TCP flags (S, A, F, R, P, U, C, E; modifiers + * !)" },
    { "dsize", KW_VALUE_REQUIRED, kw_dsize,
      "payload size: n, <n, >n, n<>m" },
    { "itype", KW_VALUE_REQUIRED, kw_itype,
      "ICMP type: n, <n, >n, n<>m" },
    { "icode", KW_VALUE_REQUIRED, kw_icode,
      "ICMP code: n, <n, >n, n<>m" },
    { "decode-event", KW_VALUE_REQUIRED, kw_decode_event,
      "the decoder kept the packet despite this problem (a decoder error counter name)" },
    /* payload (kw_content.c, kw_pcre.c) */
    { "content", KW_VALUE_REQUIRED, kw_content,
      "bytes to find in the buffer (text and |hex|, ! negates)" },
    { "nocase", KW_VALUE_NONE, kw_nocase,
      "the previous content matches case-insensitively" },
    { "depth", KW_VALUE_REQUIRED, kw_depth,
      "the previous content lies within the first n bytes" },
    { "offset", KW_VALUE_REQUIRED, kw_offset,
      "the previous content starts at byte n or later" },
    { "distance", KW_VALUE_REQUIRED, kw_distance,
      "the previous content starts n bytes after the one before it" },
    { "within", KW_VALUE_REQUIRED, kw_within,
      "the previous content ends within n bytes of the one before it" },
    { "startswith", KW_VALUE_NONE, kw_startswith,
      "the previous content is at the start of the buffer" },
    { "endswith", KW_VALUE_NONE, kw_endswith,
      "the previous content is at the end of the buffer" },
    { "fast_pattern", KW_VALUE_OPTIONAL, kw_fast_pattern,
      "use the previous content for the prefilter" },
    { "bsize", KW_VALUE_REQUIRED, kw_bsize,
      "size of the sticky buffer: n, <n, >n, n<>m" },
    { "pcre", KW_VALUE_REQUIRED, kw_pcre,
      "Perl-compatible regular expression (PCRE2) on the buffer" },
    { "isdataat", KW_VALUE_REQUIRED, kw_isdataat,
      "data exists at a position: n[,relative], ! for no data there" },
    { "rawbytes", KW_VALUE_NONE, kw_rawbytes,
      "accepted and ignored, as in Suricata (xiezhi inspects raw bytes)" },
    /* numbers in the payload (kw_byte.c) and base64 (kw_base64.c) */
    { "byte_test", KW_VALUE_REQUIRED, kw_byte_test,
      "compare a number read from the payload: bytes, op, value, offset, options" },
    { "byte_jump", KW_VALUE_REQUIRED, kw_byte_jump,
      "read a number and move the inspection point by it: bytes, offset, options" },
    { "byte_extract", KW_VALUE_REQUIRED, kw_byte_extract,
      "read a number into a variable for later keywords: bytes, offset, name, options" },
    { "byte_math", KW_VALUE_REQUIRED, kw_byte_math,
      "arithmetic on a number read from the payload into a variable" },
    { "base64_decode", KW_VALUE_OPTIONAL, kw_base64_decode,
      "decode base64 from the buffer: bytes, offset, relative" },
    { "base64_data", KW_VALUE_NONE, kw_base64_data,
      "sticky buffer: the data base64_decode produced" },
    /* sticky buffers from nDPI metadata (kw_buffers.c) */
    { "pkt_data", KW_VALUE_NONE, kw_pkt_data,
      "back to the packet payload after a sticky buffer" },
    { "dns.query", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the DNS query name" },
    { "dns_query", KW_VALUE_NONE, kw_buffer_sticky,
      "legacy name of dns.query" },
    { "tls.sni", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the TLS server name indication" },
    { "tls_sni", KW_VALUE_NONE, kw_buffer_sticky,
      "legacy name of tls.sni" },
    { "tls.cert_subject", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the server certificate's subject" },
    { "tls_cert_subject", KW_VALUE_NONE, kw_buffer_sticky,
      "legacy name of tls.cert_subject" },
    { "tls.cert_issuer", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the server certificate's issuer" },
    { "tls_cert_issuer", KW_VALUE_NONE, kw_buffer_sticky,
      "legacy name of tls.cert_issuer" },
    { "http.host", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the HTTP Host header" },
    { "http.uri", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the HTTP request URI" },
    { "http.method", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the HTTP request method" },
    { "http.user_agent", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the HTTP User-Agent header" },
    { "ja3.hash", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the TLS client's JA3 hash" },
    { "ja3_hash", KW_VALUE_NONE, kw_buffer_sticky,
      "legacy name of ja3.hash" },
    { "ja3s.hash", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the TLS server's JA3S hash" },
    { "ja3s_hash", KW_VALUE_NONE, kw_buffer_sticky,
      "legacy name of ja3s.hash" },
    { "ip.src", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the source address as text (for dataset)" },
    { "ip.dst", KW_VALUE_NONE, kw_buffer_sticky,
      "sticky buffer: the destination address as text (for dataset)" },
    { "http_host", KW_VALUE_NONE, kw_buffer_legacy,
      "content modifier: the previous content on the HTTP Host" },
    { "http_uri", KW_VALUE_NONE, kw_buffer_legacy,
      "content modifier: the previous content on the HTTP URI" },
    { "http_raw_uri", KW_VALUE_NONE, kw_buffer_legacy,
      "content modifier: the previous content on the raw HTTP URI" },
    { "http_method", KW_VALUE_NONE, kw_buffer_legacy,
      "content modifier: the previous content on the HTTP method" },
    { "http_user_agent", KW_VALUE_NONE, kw_buffer_legacy,
      "content modifier: the previous content on the HTTP User-Agent" },
    /* classification and geography */
    { "app-layer-protocol", KW_VALUE_REQUIRED, kw_app_layer_protocol,
      "the flow's application protocol (Suricata names, from nDPI)" },
    { "ndpi-protocol", KW_VALUE_REQUIRED, kw_ndpi_protocol,
      "the flow's nDPI protocol (as Suricata's nDPI plugin)" },
    { "ndpi-risk", KW_VALUE_REQUIRED, kw_ndpi_risk,
      "an nDPI flow risk is set (as Suricata's nDPI plugin)" },
    { "geoip", KW_VALUE_REQUIRED, kw_geoip,
      "source/destination country (GeoIP country database)" },
    /* state and counting */
    { "dataset", KW_VALUE_REQUIRED, kw_dataset,
      "isset, isnotset, set on a named set of strings or addresses" },
    { "threshold", KW_VALUE_REQUIRED, kw_threshold,
      "limit, threshold or both per source or destination in a time window" },
    { "detection_filter", KW_VALUE_REQUIRED, kw_detection_filter,
      "alert only after n matches in a window (unique_on for distinct values)" },
    { "anomaly", KW_VALUE_REQUIRED, kw_anomaly,
      "behavioural detector: port_scan, host_sweep, brute_force, dns_tunnel, beacon, volume, zone_policy" },
    /* Known to Suricata, not supported by xiezhi. */
    { "http.header", KW_VALUE_NONE, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "http_header", KW_VALUE_NONE, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "http.request_body", KW_VALUE_NONE, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "http_client_body", KW_VALUE_NONE, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "http.response_body", KW_VALUE_NONE, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "file_data", KW_VALUE_NONE, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "file.data", KW_VALUE_NONE, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "filemd5", KW_VALUE_REQUIRED, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "lua", KW_VALUE_REQUIRED, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "luajit", KW_VALUE_REQUIRED, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "xbits", KW_VALUE_REQUIRED, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "tag", KW_VALUE_REQUIRED, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "stream_size", KW_VALUE_REQUIRED, kw_stream_size,
      "bytes a side sent so far by sequence number: client|server|both|either, op, n" },
    { "replace", KW_VALUE_REQUIRED, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
    { "datarep", KW_VALUE_REQUIRED, NULL,
      "Suricata keyword, not supported: the rule is rejected" },
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

/* Markdown cells: a '|' in a description would end the cell early. */
static void print_cell(FILE *out, const char *text)
{
    for (; *text; text++) {
        if (*text == '|')
            fputc('\\', out);
        fputc(*text, out);
    }
}

void keyword_list_print(FILE *out, bool markdown)
{
    if (markdown)
        fprintf(out, "| keyword | supported | description |\n| --- | --- | --- |\n");
    for (size_t i = 0; i < keyword_count(); i++) {
        const struct keyword *kw = &keywords[i];
        if (!markdown) {
            fprintf(out, "%s - %s - %s\n", kw->name, kw->description, KEYWORD_DOC_URL);
            continue;
        }
        fprintf(out, "| `%s` | %s | ", kw->name, kw->setup ? "yes" : "no");
        print_cell(out, kw->description);
        fprintf(out, " |\n");
    }
}
