/* nDPI glue.  A flow gets an nDPI state at its first payload packet (what
 * the handshake taught is primed into it), is fed every packet both ways
 * like ndpiReader feeds them, and keeps only a compact verdict and a packed
 * metadata blob once detection and extra dissection are over. */
#include "classify/classify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ndpi_api.h>

#include "classify/meta.h"

/* ndpiReader's limits: past these many packets a flow is given up on. */
#define MAX_TCP_DISSECTED_PKTS 80
#define MAX_UDP_DISSECTED_PKTS 24
/* Interned metadata values (JA3, user agents, issuers...) kept at most. */
#define META_POOL_MAX_BYTES (4u << 20)

struct classifier {
    struct ndpi_detection_module_struct *ndpi;
    /* A scratch nDPI state for flows that end without ever carrying
     * payload: it replays their first header to get nDPI's guess. */
    struct ndpi_flow_struct *scratch;
    struct meta_pool *pool;
    bool eager;     /* diagnostic: allocate at the first packet, as ndpiReader */
    /* nDPI's protocol names in lower case, by id (EVE app_proto). */
    char **lower_names;
    unsigned nlower;
    struct classify_stats stats;
};

static bool make_lower_names(struct classifier *c)
{
    unsigned n = ndpi_get_ndpi_num_supported_protocols(c->ndpi);
    c->lower_names = calloc(n ? n : 1, sizeof *c->lower_names);
    if (!c->lower_names)
        return false;
    c->nlower = n;
    for (unsigned i = 0; i < n; i++) {
        const char *name = ndpi_get_proto_name(c->ndpi, (u_int16_t)i);
        char *l = strdup(name ? name : "unknown");
        if (!l)
            return false;
        for (char *p = l; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        c->lower_names[i] = l;
    }
    return true;
}

static const char *classifier_lower_name(const struct classifier *c, uint16_t id)
{
    if (id >= c->nlower || !c->lower_names[id])
        return "unknown";
    return c->lower_names[id];
}

struct classifier *classifier_new(void)
{
    struct classifier *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->ndpi = ndpi_init_detection_module(ndpi_no_prefs);
    if (!c->ndpi) {
        free(c);
        return NULL;
    }
    NDPI_PROTOCOL_BITMASK all;
    NDPI_BITMASK_SET_ALL(all);
    ndpi_set_protocol_detection_bitmask2(c->ndpi, &all);
    ndpi_finalize_initialization(c->ndpi);
    c->scratch = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (!c->scratch) {
        ndpi_exit_detection_module(c->ndpi);
        free(c);
        return NULL;
    }
    memset(c->scratch, 0, SIZEOF_FLOW_STRUCT);
    c->pool = meta_pool_new(META_POOL_MAX_BYTES);
    if (!c->pool || !make_lower_names(c)) {
        classifier_free(c);
        return NULL;
    }
    const char *eager = getenv("XIEZHI_NDPI_EAGER");
    c->eager = eager && *eager == '1';
    return c;
}

void classifier_free(struct classifier *c)
{
    if (!c)
        return;
    ndpi_flow_free(c->scratch);
    meta_pool_free(c->pool);
    ndpi_exit_detection_module(c->ndpi);
    for (unsigned i = 0; i < c->nlower; i++)
        free(c->lower_names[i]);
    free(c->lower_names);
    free(c);
}

const struct classify_stats *classifier_stats(const struct classifier *c)
{
    return &c->stats;
}

/* ---- results ---------------------------------------------------------- */

static bool is_proto(const struct flow *f, uint16_t id)
{
    return f->app.master_protocol == id || f->app.app_protocol == id;
}

static bool is_tls_family(const struct flow *f)
{
    static const uint16_t ids[] = { NDPI_PROTOCOL_TLS, NDPI_PROTOCOL_QUIC, NDPI_PROTOCOL_DTLS,
                                    NDPI_PROTOCOL_MAIL_IMAPS, NDPI_PROTOCOL_MAIL_POPS,
                                    NDPI_PROTOCOL_MAIL_SMTPS };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (is_proto(f, ids[i]))
            return true;
    return false;
}

/* nDPI keeps the URL as Host header + request target; the flow keeps the
 * target alone (Suricata's http.url), the host being META_HOSTNAME. */
static const char *http_path(const struct ndpi_flow_struct *n)
{
    const char *url = n->http.url;
    if (!url)
        return NULL;
    size_t hl = strnlen(n->host_server_name, sizeof n->host_server_name);
    if (hl && strncmp(url, n->host_server_name, hl) == 0 && url[hl] == '/')
        return url + hl;
    return url;
}

/* Copies what nDPI found into the packed blob; which union member of
 * nDPI's per-protocol state is valid depends on the protocol. */
static void collect_meta(struct classifier *c, struct flow *f)
{
    const struct ndpi_flow_struct *n = f->ndpi;
    struct meta_builder b;
    char version[32];       /* must outlive the builder */
    meta_builder_init(&b, c->pool);
    if (n->host_server_name[0])
        meta_builder_add(&b, META_HOSTNAME, n->host_server_name);
    if ((is_proto(f, NDPI_PROTOCOL_DNS) || is_proto(f, NDPI_PROTOCOL_MDNS) ||
         is_proto(f, NDPI_PROTOCOL_LLMNR)) && n->host_server_name[0])
        meta_builder_add(&b, META_DNS_QUERY, n->host_server_name);
    /* nDPI's per-protocol state is a union: it belongs to the protocol only
     * when a dissector named it.  A verdict guessed by port or address says
     * nothing of what the union holds (another dissector may have written
     * there), so its pointers are not followed. */
    bool dissected = n->confidence == NDPI_CONFIDENCE_DPI ||
                     n->confidence == NDPI_CONFIDENCE_DPI_CACHE;
    if (dissected && is_tls_family(f)) {
        meta_builder_add(&b, META_JA3_CLIENT, n->protos.tls_quic.ja3_client);
        meta_builder_add(&b, META_JA3_SERVER, n->protos.tls_quic.ja3_server);
        if (n->protos.tls_quic.ssl_version) {
            uint8_t unknown = 0;
            meta_builder_add(&b, META_TLS_VERSION,
                             ndpi_ssl_version2str(version, sizeof version,
                                                  n->protos.tls_quic.ssl_version, &unknown));
            f->app.tls_version_known = !unknown;
        }
        meta_builder_add(&b, META_TLS_ALPN, n->protos.tls_quic.alpn);
        meta_builder_add(&b, META_TLS_CERT_SUBJECT, n->protos.tls_quic.subjectDN);
        meta_builder_add(&b, META_TLS_CERT_ISSUER, n->protos.tls_quic.issuerDN);
    }
    meta_builder_add(&b, META_HTTP_URL, http_path(n));
    meta_builder_add(&b, META_HTTP_USER_AGENT, n->http.user_agent);
    if (n->http.method != NDPI_HTTP_METHOD_UNKNOWN)
        meta_builder_add(&b, META_HTTP_METHOD, ndpi_http_method2str(n->http.method));
    f->app.http_response_code = n->http.response_status_code;
    if (dissected && is_proto(f, NDPI_PROTOCOL_SSH)) {
        meta_builder_add(&b, META_SSH_CLIENT, n->protos.ssh.client_signature);
        meta_builder_add(&b, META_SSH_SERVER, n->protos.ssh.server_signature);
    }
    if (f->meta) {      /* a flow split by the active timeout starts afresh */
        c->stats.meta_bytes -= meta_size(f->meta);
        free(f->meta);
        f->meta = NULL;
    }
    f->meta = meta_builder_finish(&b);
    if (f->meta) {
        uint32_t sz = meta_size(f->meta);
        c->stats.meta_bytes += sz;
        c->stats.meta_allocated++;
        c->stats.meta_bytes_total += sz;
    }
    c->stats.meta_pool_bytes = meta_pool_bytes(c->pool);
}

static void set_verdict(struct flow *f, ndpi_protocol p, ndpi_confidence_t conf, ndpi_risk risk)
{
    f->app.master_protocol = p.master_protocol;
    f->app.app_protocol = p.app_protocol;
    f->app.category = (uint16_t)p.category;
    f->app.confidence = (uint8_t)conf;
    f->app.risk = risk;
}

/* Detection is over: keep the verdict and metadata, drop nDPI's state. */
static void finish(struct classifier *c, struct flow *f, ndpi_protocol p, enum classify_state st)
{
    set_verdict(f, p, f->ndpi->confidence, f->ndpi->risk);
    f->app.state = (uint8_t)st;
    collect_meta(c, f);
    ndpi_flow_free(f->ndpi);
    f->ndpi = NULL;
    c->stats.states_live--;
    if (st == CLASSIFY_DONE)
        c->stats.detected++;
    else
        c->stats.given_up++;
    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN && p.master_protocol == NDPI_PROTOCOL_UNKNOWN)
        c->stats.unknown++;
}

/* malloc's own header per block (glibc: 16 bytes on 64-bit), counted so
 * that flow.memcap bounds what the process really holds. */
#define MALLOC_HEADER 16u

uint64_t classify_state_bytes(const struct classifier *c)
{
    return c->stats.states_live * (SIZEOF_FLOW_STRUCT + MALLOC_HEADER) + c->stats.meta_bytes;
}

static bool allocate_state(struct classifier *c, struct flow *f)
{
    f->ndpi = ndpi_flow_malloc(SIZEOF_FLOW_STRUCT);
    if (!f->ndpi)
        return false;
    memset(f->ndpi, 0, SIZEOF_FLOW_STRUCT);
    c->stats.states_allocated++;
    c->stats.states_live++;
    f->app.state = CLASSIFY_IN_PROGRESS;
    /* The handshake went by before the state existed: tell nDPI what it
     * would have seen (some dissectors only trust a complete 3-way
     * handshake).  Sequence tracking starts from the first ACKed packet. */
    if (f->proto == IPPROTO_TCP) {
        if (f->tcp_flags_seen[FLOW_TOSERVER] & TCP_SYN)
            f->ndpi->l4.tcp.seen_syn = 1;
        if ((f->tcp_flags_seen[FLOW_TOCLIENT] & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK) &&
            f->ndpi->l4.tcp.seen_syn)
            f->ndpi->l4.tcp.seen_syn_ack = 1;
        if (f->ndpi->l4.tcp.seen_syn_ack && f->tcp_state >= FLOW_TCP_ESTABLISHED)
            f->ndpi->l4.tcp.seen_ack = 1;
    }
    return true;
}

static bool enough_packets(const struct flow *f)
{
    uint64_t n = f->pkts[0] + f->pkts[1];
    if (f->proto == IPPROTO_UDP)
        return n > MAX_UDP_DISSECTED_PKTS;
    if (f->proto == IPPROTO_TCP)
        return n > MAX_TCP_DISSECTED_PKTS;
    return false;
}

void classify_packet(struct classifier *c, struct flow *f, const struct packet *pkt,
                     enum flow_direction dir)
{
    (void)dir;      /* nDPI derives direction from the addresses itself */
    if (f->app.state == CLASSIFY_DONE || f->app.state == CLASSIFY_GIVEN_UP)
        return;
    if (!pkt->ip_header || pkt->ip_len == 0)
        return;
    if (!f->ndpi) {
        if (pkt->payload_len == 0 && !c->eager)
            return;
        if (!allocate_state(c, f))
            return;
    }
    unsigned short len = pkt->ip_len > 65535 ? 65535 : (unsigned short)pkt->ip_len;
    ndpi_protocol p = ndpi_detection_process_packet(c->ndpi, f->ndpi, pkt->ip_header, len,
                                                    pkt->ts_usec / 1000);
    bool enough = enough_packets(f) || f->ndpi->fail_with_unknown;
    if (!enough && p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
        return;
    if (!enough && ndpi_extra_dissection_possible(c->ndpi, f->ndpi))
        return;     /* wait for the rest: certificates, server replies */
    enum classify_state st = CLASSIFY_DONE;
    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN) {
        uint8_t guessed = 0;
        p = ndpi_detection_giveup(c->ndpi, f->ndpi, 1, &guessed);
        st = CLASSIFY_GIVEN_UP;
    }
    finish(c, f, p, st);
}

/* ---- flows that never carried payload ---------------------------------- */

static uint16_t csum_fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

/* Builds the flow's first header (IP plus an empty TCP/UDP/ICMP header)
 * from the key, the way the client sent it; returns its length. */
static size_t synth_header(const struct flow *f, uint8_t *buf, size_t cap)
{
    size_t l4 = f->proto == IPPROTO_TCP ? 20 : 8;   /* UDP, ICMP and others: 8 */
    size_t ip = f->client.family == 6 ? 40 : 20;
    if (ip + l4 > cap)
        return 0;
    memset(buf, 0, ip + l4);
    uint16_t total = (uint16_t)(ip + l4);
    if (ip == 20) {
        buf[0] = 0x45;
        buf[2] = (uint8_t)(total >> 8), buf[3] = (uint8_t)total;
        buf[8] = 64;
        buf[9] = f->proto;
        memcpy(buf + 12, f->client.bytes, 4);
        memcpy(buf + 16, f->server.bytes, 4);
        uint32_t s = 0;
        for (int i = 0; i < 20; i += 2)
            s += (uint32_t)(buf[i] << 8 | buf[i + 1]);
        uint16_t ck = csum_fold(s);
        buf[10] = (uint8_t)(ck >> 8), buf[11] = (uint8_t)ck;
    } else {
        buf[0] = 0x60;
        buf[4] = (uint8_t)(l4 >> 8), buf[5] = (uint8_t)l4;
        buf[6] = f->proto;
        buf[7] = 64;
        memcpy(buf + 8, f->client.bytes, 16);
        memcpy(buf + 24, f->server.bytes, 16);
    }
    uint8_t *t = buf + ip;
    if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
        t[0] = (uint8_t)(f->client_port >> 8), t[1] = (uint8_t)f->client_port;
        t[2] = (uint8_t)(f->server_port >> 8), t[3] = (uint8_t)f->server_port;
    }
    if (f->proto == IPPROTO_TCP) {
        t[12] = 5 << 4;
        t[13] = f->tcp_flags_seen[FLOW_TOSERVER] & TCP_SYN ? TCP_SYN : TCP_ACK;
        t[14] = 0xff, t[15] = 0xff;
    } else if (f->proto == IPPROTO_UDP) {
        t[5] = 8;
    }
    return ip + l4;
}

/* What ndpiReader reports for a flow whose packets carried no payload:
 * nDPI saw only headers, so its verdict is the guess by port and address. */
static void guess_headers_only(struct classifier *c, struct flow *f)
{
    uint8_t hdr[64];
    size_t len = synth_header(f, hdr, sizeof hdr);
    ndpi_protocol p = { 0 };
    ndpi_confidence_t conf = NDPI_CONFIDENCE_UNKNOWN;
    ndpi_risk risk = 0;
    if (len) {
        memset(c->scratch, 0, SIZEOF_FLOW_STRUCT);
        ndpi_detection_process_packet(c->ndpi, c->scratch, hdr, (unsigned short)len,
                                      f->start_usec / 1000);
        uint8_t guessed = 0;
        p = ndpi_detection_giveup(c->ndpi, c->scratch, 1, &guessed);
        conf = c->scratch->confidence;
        risk = c->scratch->risk;
        ndpi_free_flow_data(c->scratch);
    }
    set_verdict(f, p, conf, risk);
    f->app.state = CLASSIFY_GIVEN_UP;
    c->stats.given_up++;
    if (p.app_protocol == NDPI_PROTOCOL_UNKNOWN && p.master_protocol == NDPI_PROTOCOL_UNKNOWN)
        c->stats.unknown++;
}

/* meta_bytes counts the blobs of live flows: an ended flow's blob is
 * released by its owner (classify_flow_release) right after its event. */
void classify_flow_end(struct classifier *c, struct flow *f)
{
    if (f->ndpi) {
        uint8_t guessed = 0;
        ndpi_protocol p = ndpi_detection_giveup(c->ndpi, f->ndpi, 1, &guessed);
        finish(c, f, p, CLASSIFY_GIVEN_UP);
    } else if (f->app.state == CLASSIFY_NONE) {
        guess_headers_only(c, f);
    }
    c->stats.meta_bytes -= meta_size(f->meta);
}

void classify_flow_release(struct flow *f)
{
    free(f->meta);
    f->meta = NULL;
    if (f->ndpi) {      /* only when the end path was skipped */
        ndpi_flow_free(f->ndpi);
        f->ndpi = NULL;
    }
}

/* ---- names ------------------------------------------------------------ */

static ndpi_protocol as_ndpi(const struct classify_result *r)
{
    ndpi_protocol p = { .master_protocol = r->master_protocol,
                        .app_protocol = r->app_protocol,
                        .category = (ndpi_protocol_category_t)r->category };
    return p;
}

const char *classify_protocol_name(const struct classifier *c, const struct classify_result *r,
                                   char *buf, size_t len)
{
    if (!buf || len == 0)
        return "Unknown";
    buf[0] = '\0';
    u_int n = len > 0xffff ? 0xffff : (u_int)len;
    return ndpi_protocol2name(c->ndpi, as_ndpi(r), buf, n);
}

struct app_proto_name {
    uint16_t id;
    const char *name;
};

/* Suricata's app_proto names for the protocols both know. */
static const struct app_proto_name suricata_names[] = {
    { NDPI_PROTOCOL_HTTP, "http" },
    { NDPI_PROTOCOL_HTTP_CONNECT, "http" },
    { NDPI_PROTOCOL_HTTP_PROXY, "http" },
    { NDPI_PROTOCOL_TLS, "tls" },
    { NDPI_PROTOCOL_MAIL_IMAPS, "tls" },
    { NDPI_PROTOCOL_MAIL_POPS, "tls" },
    { NDPI_PROTOCOL_MAIL_SMTPS, "tls" },
    { NDPI_PROTOCOL_DNS, "dns" },
    { NDPI_PROTOCOL_SSH, "ssh" },
    { NDPI_PROTOCOL_MAIL_SMTP, "smtp" },
    { NDPI_PROTOCOL_FTP_CONTROL, "ftp" },
    { NDPI_PROTOCOL_FTP_DATA, "ftp-data" },
    { NDPI_PROTOCOL_SMBV1, "smb" },
    { NDPI_PROTOCOL_SMBV23, "smb" },
    { NDPI_PROTOCOL_DCERPC, "dcerpc" },
    { NDPI_PROTOCOL_KERBEROS, "krb5" },
    { NDPI_PROTOCOL_SNMP, "snmp" },
    { NDPI_PROTOCOL_SIP, "sip" },
    { NDPI_PROTOCOL_DHCP, "dhcp" },
    { NDPI_PROTOCOL_NTP, "ntp" },
    { NDPI_PROTOCOL_TFTP, "tftp" },
    { NDPI_PROTOCOL_RDP, "rdp" },
    { NDPI_PROTOCOL_VNC, "rfb" },
    { NDPI_PROTOCOL_MQTT, "mqtt" },
    { NDPI_PROTOCOL_MODBUS, "modbus" },
    { NDPI_PROTOCOL_DNP3, "dnp3" },
    { NDPI_PROTOCOL_MAIL_IMAP, "imap" },
    { NDPI_PROTOCOL_MAIL_POP, "pop3" },
    { NDPI_PROTOCOL_NFS, "nfs" },
    { NDPI_PROTOCOL_IP_IPSEC, "ikev2" },
    { NDPI_PROTOCOL_QUIC, "quic" },
    { NDPI_PROTOCOL_BITTORRENT, "bittorrent" },
    { NDPI_PROTOCOL_DTLS, "dtls" },
    { NDPI_PROTOCOL_TELNET, "telnet" },
    { NDPI_PROTOCOL_LDAP, "ldap" },
    { NDPI_PROTOCOL_RADIUS, "radius" },
    { NDPI_PROTOCOL_IRC, "irc" },
    { NDPI_PROTOCOL_RTSP, "rtsp" },
    { NDPI_PROTOCOL_DHCPV6, "dhcp" },
};

static const char *suricata_name(uint16_t id)
{
    for (size_t i = 0; i < sizeof suricata_names / sizeof suricata_names[0]; i++)
        if (suricata_names[i].id == id)
            return suricata_names[i].name;
    return NULL;
}

const char *classify_app_proto(const struct classifier *c, const struct classify_result *r)
{
    if (r->master_protocol == NDPI_PROTOCOL_UNKNOWN && r->app_protocol == NDPI_PROTOCOL_UNKNOWN)
        return "failed";
    const char *s = NULL;
    if (r->master_protocol != NDPI_PROTOCOL_UNKNOWN)
        s = suricata_name(r->master_protocol);
    if (!s && r->app_protocol != NDPI_PROTOCOL_UNKNOWN)
        s = suricata_name(r->app_protocol);
    if (s)
        return s;
    uint16_t id = r->master_protocol != NDPI_PROTOCOL_UNKNOWN ? r->master_protocol
                                                              : r->app_protocol;
    return classifier_lower_name(c, id);
}

/* nDPI 4.2 puts TLS-carried applications (Tor, IMAPS, a named web
 * service, ...) under master protocol TLS or QUIC, so ids are checked on
 * both sides of the verdict. */
static const uint16_t encrypted_protocols[] = {
    NDPI_PROTOCOL_TLS,        NDPI_PROTOCOL_DTLS,       NDPI_PROTOCOL_QUIC,
    NDPI_PROTOCOL_SSH,        NDPI_PROTOCOL_MAIL_IMAPS, NDPI_PROTOCOL_MAIL_POPS,
    NDPI_PROTOCOL_MAIL_SMTPS,
};

static bool protocol_encrypted(uint16_t id)
{
    for (size_t i = 0; i < sizeof encrypted_protocols / sizeof encrypted_protocols[0]; i++)
        if (encrypted_protocols[i] == id)
            return true;
    return false;
}

bool classify_payload_encrypted(const struct classify_result *r)
{
    /* A verdict from the port or a given-up flow proves nothing about the
     * bytes: plain text on port 443 stays inspected. */
    if (r->state != CLASSIFY_DONE || r->confidence != NDPI_CONFIDENCE_DPI)
        return false;
    return protocol_encrypted(r->master_protocol) || protocol_encrypted(r->app_protocol);
}

const char *classify_category_name(const struct classifier *c, const struct classify_result *r)
{
    const char *s = ndpi_category_get_name(c->ndpi, (ndpi_protocol_category_t)r->category);
    return s ? s : "Unspecified";
}

const char *classify_confidence_name(const struct classify_result *r)
{
    const char *s = ndpi_confidence_get_name((ndpi_confidence_t)r->confidence);
    return s ? s : "Unknown";
}

/* nDPI 4.2's ndpi_risk_enum, by bit number. */
static const char *const risk_names[] = {
    "NO_RISK",
    "URL_POSSIBLE_XSS",
    "URL_POSSIBLE_SQL_INJECTION",
    "URL_POSSIBLE_RCE_INJECTION",
    "BINARY_APPLICATION_TRANSFER",
    "KNOWN_PROTOCOL_ON_NON_STANDARD_PORT",
    "TLS_SELFSIGNED_CERTIFICATE",
    "TLS_OBSOLETE_VERSION",
    "TLS_WEAK_CIPHER",
    "TLS_CERTIFICATE_EXPIRED",
    "TLS_CERTIFICATE_MISMATCH",
    "HTTP_SUSPICIOUS_USER_AGENT",
    "HTTP_NUMERIC_IP_HOST",
    "HTTP_SUSPICIOUS_URL",
    "HTTP_SUSPICIOUS_HEADER",
    "TLS_NOT_CARRYING_HTTPS",
    "SUSPICIOUS_DGA_DOMAIN",
    "MALFORMED_PACKET",
    "SSH_OBSOLETE_CLIENT_VERSION_OR_CIPHER",
    "SSH_OBSOLETE_SERVER_VERSION_OR_CIPHER",
    "SMB_INSECURE_VERSION",
    "TLS_SUSPICIOUS_ESNI_USAGE",
    "UNSAFE_PROTOCOL",
    "DNS_SUSPICIOUS_TRAFFIC",
    "TLS_MISSING_SNI",
    "HTTP_SUSPICIOUS_CONTENT",
    "RISKY_ASN",
    "RISKY_DOMAIN",
    "MALICIOUS_JA3",
    "MALICIOUS_SHA1_CERTIFICATE",
    "DESKTOP_OR_FILE_SHARING_SESSION",
    "TLS_UNCOMMON_ALPN",
    "TLS_CERT_VALIDITY_TOO_LONG",
    "TLS_SUSPICIOUS_EXTENSION",
    "TLS_FATAL_ALERT",
    "SUSPICIOUS_ENTROPY",
    "CLEAR_TEXT_CREDENTIALS",
    "DNS_LARGE_PACKET",
    "DNS_FRAGMENTED",
    "INVALID_CHARACTERS",
    "POSSIBLE_EXPLOIT",
    "TLS_CERTIFICATE_ABOUT_TO_EXPIRE",
};

_Static_assert(sizeof risk_names / sizeof risk_names[0] == NDPI_MAX_RISK,
               "risk name table out of step with ndpi_risk_enum");

size_t classify_risk_names(uint64_t risk, const char **names, size_t max)
{
    size_t n = 0;
    for (unsigned bit = 1; bit < NDPI_MAX_RISK && n < max; bit++)
        if (risk & (1ULL << bit))
            names[n++] = risk_names[bit];
    return n;
}

int classify_risk_id(const char *name)
{
    if (!name)
        return -1;
    if (strncasecmp(name, "NDPI_", 5) == 0)
        name += 5;
    for (int i = 1; i < NDPI_MAX_RISK; i++)
        if (strcasecmp(name, risk_names[i]) == 0)
            return i;
    return -1;
}

int classify_protocol_id(const struct classifier *c, const char *name)
{
    if (!name || !*name)
        return -1;
    u_int n = ndpi_get_ndpi_num_supported_protocols(c->ndpi);
    for (u_int i = 0; i < n; i++) {
        const char *pn = ndpi_get_proto_name(c->ndpi, (u_int16_t)i);
        if (pn && strcasecmp(pn, name) == 0)
            return (int)i;
    }
    return -1;
}
