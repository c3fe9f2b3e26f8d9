/* The buffers that payload keywords (content, pcre, bsize, dataset, urilen)
 * inspect.  Detection owns the list; app-layer parsers fill the buffers of
 * their protocol through applayer_parser.get_buffer, so both include this. */
#ifndef XIEZHI_DETECT_BUFFERS_H
#define XIEZHI_DETECT_BUFFERS_H

/* A multi-buffer (dns.query, dns.answer.name, dns.queries.rrname,
 * tls.certs, http.request_header, http.response_header) has N instances per transaction: a rule's chain for it must
 * hold within one instance, and any instance may satisfy it.
 *
 * BUF_PAYLOAD is the packet's transport payload.  The next ones come from
 * the flow's nDPI metadata (or the packet's addresses); the BUF_HTTP_* ones
 * from LibHTP's transactions when the HTTP parser has the flow (for the four
 * that nDPI also knows, nDPI serves flows the parser does not see). */
enum detect_buffer {
    BUF_PAYLOAD,
    BUF_DNS_QUERY,
    BUF_TLS_SNI,
    BUF_TLS_CERT_SUBJECT,
    BUF_TLS_CERT_ISSUER,
    BUF_HTTP_HOST,
    BUF_HTTP_URI,
    BUF_HTTP_METHOD,
    BUF_HTTP_USER_AGENT,
    BUF_JA3_HASH,
    BUF_JA3S_HASH,
    BUF_IP_SRC,
    BUF_IP_DST,
    /* HTTP transactions (sensor/applayer/http) */
    BUF_HTTP_URI_RAW,
    BUF_HTTP_REQUEST_LINE,
    BUF_HTTP_PROTOCOL,          /* request or response side, by direction */
    BUF_HTTP_HEADER,            /* normalised: "Name: value\r\n" each, by direction */
    BUF_HTTP_HEADER_RAW,
    BUF_HTTP_HEADER_NAMES,
    BUF_HTTP_HOST_RAW,
    BUF_HTTP_COOKIE,            /* Cookie (request) or Set-Cookie (response) */
    BUF_HTTP_REFERER,
    BUF_HTTP_CONTENT_TYPE,      /* by direction */
    BUF_HTTP_CONTENT_LEN,       /* by direction */
    BUF_HTTP_ACCEPT,
    BUF_HTTP_ACCEPT_ENC,
    BUF_HTTP_ACCEPT_LANG,
    BUF_HTTP_CONNECTION,
    BUF_HTTP_START,             /* line + headers as sent, by direction */
    BUF_HTTP_REQUEST_BODY,
    BUF_HTTP_STAT_CODE,
    BUF_HTTP_STAT_MSG,
    BUF_HTTP_RESPONSE_LINE,
    BUF_HTTP_LOCATION,
    BUF_HTTP_SERVER,
    BUF_HTTP_RESPONSE_BODY,     /* dechunked, decompressed */
    BUF_FILE_DATA,              /* HTTP: request body to server, response body to client */
    /* DNS, TLS/TLCP and SSH transactions (sensor/applayer/{dns,tls,ssh}) */
    BUF_DNS_ANSWER_NAME,        /* every answer record's name, one per line */
    BUF_DNS_QUERIES_RRNAME,     /* every question's name, one per line */
    BUF_TLS_CERT_SERIAL,
    BUF_TLS_CERT_FINGERPRINT,
    BUF_TLS_CIPHER_SUITE,       /* the negotiated suite's IANA or GB/T 38636 name */
    BUF_JA3_STRING,
    BUF_JA3S_STRING,
    BUF_JA4_HASH,
    BUF_SSH_PROTO,              /* by direction: the client's or the server's */
    BUF_SSH_SOFTWARE,           /* by direction */
    BUF_SSH_HASSH,
    BUF_SSH_HASSH_STRING,
    BUF_SSH_HASSH_SERVER,
    BUF_SSH_HASSH_SERVER_STRING,
    /* multi-buffers added later (see detect_buffer_is_multi) */
    BUF_TLS_CERTS,              /* each certificate of the server's chain, DER */
    BUF_HTTP_REQUEST_HEADER,    /* each request header, "Name: value" */
    BUF_HTTP_RESPONSE_HEADER,   /* each response header, "Name: value" */
    /* the packet's TCP header, options included (tcp.hdr) */
    BUF_TCP_HDR,
    BUF_COUNT
};

_Static_assert(BUF_COUNT <= 64, "rule.buffers_used is a 64-bit mask");

#endif
