/* Unit tests of nDPI classification: real captures of the nDPI corpus are
 * read with libpcap, cut into struct packet by a minimal decoder below (the
 * real one is tested on its own), run through the flow table and the
 * classifier, and the names and metadata of known flows are checked, as are
 * the rules on when nDPI state exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <cmocka.h>
#include <pcap/pcap.h>

#include "classify/classify.h"
#include "flow/flow.h"

#define CORPUS "../shared/corpus/ndpi-4.2/pcap/"

/* ---- what the end callback saw ------------------------------------------ */

struct seen_flow {
    char key[192];          /* "proto a:port-b:port" as client-server */
    char proto[64];
    char app_proto[32];
    char meta[META_FIELD_COUNT][160];
    uint8_t state;
    uint64_t risk;
};

struct run {
    struct classifier *c;
    struct seen_flow *flows;
    size_t n, cap;
};

static void addr_str(const struct ip_addr *a, char *buf, size_t len)
{
    inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)len);
}

static void on_end(void *ctx, struct flow *f)
{
    struct run *r = ctx;
    classify_flow_end(r->c, f);
    assert_null(f->ndpi);
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 64;
        r->flows = realloc(r->flows, r->cap * sizeof *r->flows);
        assert_non_null(r->flows);
    }
    struct seen_flow *s = &r->flows[r->n++];
    memset(s, 0, sizeof *s);
    char a[64], b[64];
    addr_str(&f->client, a, sizeof a);
    addr_str(&f->server, b, sizeof b);
    snprintf(s->key, sizeof s->key, "%u %s:%u-%s:%u", f->proto, a, f->client_port, b,
             f->server_port);
    classify_protocol_name(r->c, &f->app, s->proto, sizeof s->proto);
    snprintf(s->app_proto, sizeof s->app_proto, "%s", classify_app_proto(r->c, &f->app));
    for (int i = 0; i < META_FIELD_COUNT; i++) {
        const char *m = flow_meta_get(f->meta, (enum flow_meta_field)i, NULL);
        if (m)
            snprintf(s->meta[i], sizeof s->meta[i], "%s", m);
    }
    s->state = f->app.state;
    s->risk = f->app.risk;
    classify_flow_release(f);
}

/* ---- a minimal decoder: enough for the captures used here ----------------- */

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static bool decode_ip(const uint8_t *p, size_t len, struct packet *pkt)
{
    memset(&pkt->src, 0, sizeof pkt->src);
    memset(&pkt->dst, 0, sizeof pkt->dst);
    size_t hl;
    size_t total;
    if (len >= 20 && p[0] >> 4 == 4) {
        hl = (size_t)(p[0] & 15) * 4;
        total = be16(p + 2);
        if (hl < 20 || total < hl || total > len)
            return false;
        if (be16(p + 6) & 0x3fff)
            return false;   /* fragments: not in the captures used */
        pkt->ip_version = 4;
        pkt->proto = p[9];
        pkt->src.family = pkt->dst.family = 4;
        memcpy(pkt->src.bytes, p + 12, 4);
        memcpy(pkt->dst.bytes, p + 16, 4);
    } else if (len >= 40 && p[0] >> 4 == 6) {
        hl = 40;
        total = 40 + (size_t)be16(p + 4);
        if (total > len)
            return false;
        pkt->ip_version = 6;
        pkt->proto = p[6];
        pkt->src.family = pkt->dst.family = 6;
        memcpy(pkt->src.bytes, p + 8, 16);
        memcpy(pkt->dst.bytes, p + 24, 16);
    } else {
        return false;
    }
    pkt->ip_header = p;
    pkt->ip_len = (uint32_t)total;
    const uint8_t *t = p + hl;
    size_t tl = total - hl;
    pkt->src_port = pkt->dst_port = 0;
    pkt->tcp_flags = 0;
    if (pkt->proto == 6) {
        if (tl < 20 || (size_t)(t[12] >> 4) * 4 > tl)
            return false;
        size_t off = (size_t)(t[12] >> 4) * 4;
        pkt->src_port = be16(t), pkt->dst_port = be16(t + 2);
        pkt->tcp_flags = t[13];
        pkt->payload = t + off;
        pkt->payload_len = (uint32_t)(tl - off);
    } else if (pkt->proto == 17) {
        if (tl < 8)
            return false;
        pkt->src_port = be16(t), pkt->dst_port = be16(t + 2);
        pkt->payload = t + 8;
        pkt->payload_len = (uint32_t)(tl - 8);
    } else {
        pkt->payload = t;
        pkt->payload_len = (uint32_t)tl;
    }
    return true;
}

static bool decode_frame(int dlt, const uint8_t *d, size_t len, struct packet *pkt)
{
    switch (dlt) {
    case DLT_EN10MB: {
        if (len < 14)
            return false;
        size_t off = 12;
        uint16_t type = be16(d + off);
        while ((type == 0x8100 || type == 0x88a8) && len >= off + 6) {
            pkt->vlan_id[pkt->vlan_count < 2 ? pkt->vlan_count : 1] = be16(d + off + 2) & 0xfff;
            pkt->vlan_count++;
            off += 4;
            type = be16(d + off);
        }
        if (type != 0x0800 && type != 0x86dd)
            return false;
        return decode_ip(d + off + 2, len - off - 2, pkt);
    }
    case DLT_NULL:
        return len > 4 && decode_ip(d + 4, len - 4, pkt);
    case DLT_LINUX_SLL:
        return len > 16 && decode_ip(d + 16, len - 16, pkt);
    case 12:     /* DLT_RAW on most systems */
    case 14:
    case 101:    /* LINKTYPE_RAW */
        return decode_ip(d, len, pkt);
    default:
        return false;
    }
}

static void feed_packet(struct flow_table *ft, struct run *r, struct packet *pkt)
{
    flow_table_expire(ft, pkt->ts_usec);
    enum flow_direction dir;
    bool created;
    struct flow *f = flow_table_lookup(ft, pkt, &dir, &created);
    assert_non_null(f);
    classify_packet(r->c, f, pkt, dir);
}

static void run_pcap(struct run *r, const char *name)
{
    char path[512], err[PCAP_ERRBUF_SIZE];
    snprintf(path, sizeof path, CORPUS "%s", name);
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        fail_msg("%s: %s", path, err);
    struct flow_table *ft = flow_table_new(NULL, on_end, r);
    assert_non_null(ft);
    int dlt = pcap_datalink(p);
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t cnt = 0;
    while (pcap_next_ex(p, &h, &data) == 1) {
        struct packet pkt = { 0 };
        pkt.ts_usec = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        pkt.pcap_cnt = ++cnt;
        pkt.wire_len = h->len;
        if (!decode_frame(dlt, data, h->caplen, &pkt))
            continue;
        feed_packet(ft, r, &pkt);
    }
    pcap_close(p);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
}

static const struct seen_flow *find(const struct run *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->flows[i].key, key) == 0)
            return &r->flows[i];
    static const struct seen_flow none;
    fail_msg("flow %s not seen", key);
    return &none;
}

static int setup(void **state)
{
    struct run *r = calloc(1, sizeof *r);
    r->c = classifier_new();
    assert_non_null(r->c);
    *state = r;
    return 0;
}

static int teardown(void **state)
{
    struct run *r = *state;
    /* every state allocated was freed, no metadata left on live flows */
    assert_int_equal(classifier_stats(r->c)->states_live, 0);
    assert_int_equal(classifier_stats(r->c)->meta_bytes, 0);
    classifier_free(r->c);
    free(r->flows);
    free(r);
    return 0;
}

/* ---- the tests ------------------------------------------------------------ */

static void test_dns(void **state)
{
    struct run *r = *state;
    run_pcap(r, "malformed_dns.pcap");
    const struct seen_flow *f = find(r, "17 127.0.0.1:50435-127.0.0.1:53");
    assert_string_equal(f->proto, "DNS");
    assert_string_equal(f->app_proto, "dns");
    assert_string_equal(f->meta[META_HOSTNAME], "www.xt.com");
    assert_string_equal(f->meta[META_DNS_QUERY], "www.xt.com");
    assert_int_equal(f->state, CLASSIFY_DONE);
    assert_true(classifier_stats(r->c)->detected >= 1);
}

static void test_http(void **state)
{
    struct run *r = *state;
    run_pcap(r, "http_auth.pcap");
    const struct seen_flow *f = find(r, "6 192.168.0.4:54337-192.254.189.169:80");
    assert_string_equal(f->proto, "HTTP");
    assert_string_equal(f->app_proto, "http");
    assert_string_equal(f->meta[META_HOSTNAME], "browserspy.dk");
    assert_true(f->meta[META_HTTP_URL][0] == '/');     /* the target, host apart */
    assert_string_equal(f->meta[META_HTTP_METHOD], "GET");
    assert_true(strlen(f->meta[META_HTTP_USER_AGENT]) > 10);
    assert_string_equal(f->meta[META_JA3_CLIENT], "");
}

static void test_tls(void **state)
{
    struct run *r = *state;
    run_pcap(r, "443-git.pcap");
    const struct seen_flow *f = find(r, "6 192.168.1.13:55744-140.82.114.4:443");
    assert_string_equal(f->proto, "TLS.Github");
    assert_string_equal(f->app_proto, "tls");
    assert_string_equal(f->meta[META_HOSTNAME], "github.com");
    assert_string_equal(f->meta[META_TLS_ALPN], "http/1.1");
    assert_int_equal(strlen(f->meta[META_JA3_CLIENT]), 32);
    assert_int_equal(strlen(f->meta[META_JA3_SERVER]), 32);
    assert_true(strncmp(f->meta[META_TLS_VERSION], "TLSv1.", 6) == 0);
    assert_non_null(strstr(f->meta[META_TLS_CERT_SUBJECT], "github.com"));
    assert_true(f->meta[META_TLS_CERT_ISSUER][0] != '\0');
    assert_string_equal(f->meta[META_HTTP_URL], "");
}

static void test_ssh(void **state)
{
    struct run *r = *state;
    run_pcap(r, "ssh.pcap");
    const struct seen_flow *f = find(r, "6 172.16.238.1:58395-172.16.238.168:22");
    assert_string_equal(f->proto, "SSH");
    assert_string_equal(f->app_proto, "ssh");
    assert_true(strncmp(f->meta[META_SSH_CLIENT], "SSH-2.0-", 8) == 0);
    assert_true(strncmp(f->meta[META_SSH_SERVER], "SSH-2.0-OpenSSH", 15) == 0);
}

/* A crafted IPv4 TCP segment with no payload. */
static struct packet syn_packet(uint8_t *buf, uint16_t dport, uint8_t flags, uint64_t ts)
{
    static const uint8_t tmpl[40] = {
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        0x9c, 0x40, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0, 0xff, 0xff, 0, 0, 0, 0,
    };
    memcpy(buf, tmpl, sizeof tmpl);
    buf[22] = (uint8_t)(dport >> 8), buf[23] = (uint8_t)dport;
    buf[33] = flags;
    struct packet pkt = { 0 };
    pkt.ts_usec = ts;
    pkt.wire_len = 54;
    assert_true(decode_ip(buf, sizeof tmpl, &pkt));
    return pkt;
}

static void test_syn_scan_allocates_nothing(void **state)
{
    struct run *r = *state;
    struct flow_table *ft = flow_table_new(NULL, on_end, r);
    uint8_t buf[40];
    for (unsigned port = 1; port <= 2000; port++) {
        struct packet pkt = syn_packet(buf, (uint16_t)port, TCP_SYN, 1000000u + port);
        feed_packet(ft, r, &pkt);
    }
    /* the closed ports answer with RST-ACK: still no payload */
    for (unsigned port = 1; port <= 2000; port++) {
        struct packet pkt = syn_packet(buf, (uint16_t)port, TCP_RST | TCP_ACK, 2000000u + port);
        struct ip_addr t = pkt.src;
        pkt.src = pkt.dst, pkt.dst = t;
        uint16_t tp = pkt.src_port;
        pkt.src_port = pkt.dst_port, pkt.dst_port = tp;
        feed_packet(ft, r, &pkt);
    }
    assert_int_equal(classifier_stats(r->c)->states_allocated, 0);
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
    assert_int_equal(classifier_stats(r->c)->states_allocated, 0);
    assert_int_equal(r->n, 2000);
    /* such flows still get nDPI's guess by port, as ndpiReader reports it */
    const struct seen_flow *f = find(r, "6 10.0.0.1:40000-10.0.0.2:80");
    assert_string_equal(f->proto, "HTTP");
    assert_int_equal(f->state, CLASSIFY_GIVEN_UP);
    f = find(r, "6 10.0.0.1:40000-10.0.0.2:22");
    assert_string_equal(f->proto, "SSH");
}

static void test_states_freed(void **state)
{
    struct run *r = *state;
    run_pcap(r, "443-chrome.pcap");
    run_pcap(r, "git.pcap");
    run_pcap(r, "malformed_dns.pcap");
    const struct classify_stats *s = classifier_stats(r->c);
    assert_true(s->states_allocated >= 2);
    assert_int_equal(s->states_live, 0);
    assert_true(s->meta_allocated >= 1);
    assert_true(s->meta_bytes_total > 0);
    /* a lone mid-stream packet: its sender is the client, and the flow is
     * named by port, as ndpiReader does */
    const struct seen_flow *f = find(r, "6 178.62.197.130:443-192.168.1.13:53059");
    assert_string_equal(f->proto, "TLS");
    assert_string_equal(find(r, "6 192.168.0.77:47991-5.153.231.21:9418")->proto, "Git");
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

/* Memory per flow once classified, over the whole corpus through one
 * classifier (as in the sensor): the flow struct plus the average metadata
 * blob must stay under 256 bytes.  The pool of interned values is shared and
 * bounded (it grows with distinct values, not with flows); it is printed
 * spread over the corpus's flows, which are few, so it weighs most here. */
static void test_memory_per_flow(void **state)
{
    struct run *r = *state;
    struct dirent **names;
    int n = scandir(CORPUS, &names, NULL, by_name);
    assert_true(n > 10);
    for (int i = 0; i < n; i++) {
        if (names[i]->d_name[0] != '.')
            run_pcap(r, names[i]->d_name);
        free(names[i]);
    }
    free(names);
    const struct classify_stats *s = classifier_stats(r->c);
    assert_true(r->n > 1000);
    double blob = (double)s->meta_bytes_total / (double)r->n;
    double pool = (double)s->meta_pool_bytes / (double)r->n;
    double per_flow = (double)sizeof(struct flow) + blob;
    printf("memory per classified flow: %zu (struct flow) + %.1f (metadata blob, average over "
           "%zu flows, %llu blobs) = %.1f bytes; shared pool of interned values %llu bytes "
           "(%.1f per flow here)\n",
           sizeof(struct flow), blob, r->n, (unsigned long long)s->meta_allocated, per_flow,
           (unsigned long long)s->meta_pool_bytes, pool);
    assert_true(per_flow < 256.0);
    assert_int_equal(s->states_live, 0);
    /* flows that never carried payload never had an nDPI state */
    assert_true(s->states_allocated < r->n);
}

static void test_names(void **state)
{
    struct run *r = *state;
    struct classify_result res = { 0 };
    char buf[64];
    assert_string_equal(classify_protocol_name(r->c, &res, buf, sizeof buf), "Unknown");
    assert_string_equal(classify_app_proto(r->c, &res), "failed");
    res.master_protocol = 5;     /* DNS */
    res.app_protocol = 126;      /* Google */
    assert_string_equal(classify_protocol_name(r->c, &res, buf, sizeof buf), "DNS.Google");
    assert_string_equal(classify_app_proto(r->c, &res), "dns");
    res.master_protocol = 0;
    res.app_protocol = 226;      /* Git: no Suricata name, nDPI's in lower case */
    assert_string_equal(classify_app_proto(r->c, &res), "git");
    res.app_protocol = 16;
    assert_string_equal(classify_app_proto(r->c, &res), "smb");

    assert_int_equal(classify_protocol_id(r->c, "TLS"), 91);
    assert_int_equal(classify_protocol_id(r->c, "dns"), 5);
    assert_int_equal(classify_protocol_id(r->c, "Google"), 126);
    assert_int_equal(classify_protocol_id(r->c, "NoSuchProtocol"), -1);

    assert_int_equal(classify_risk_id("NDPI_TLS_SELFSIGNED_CERTIFICATE"), 6);
    assert_int_equal(classify_risk_id("TLS_SELFSIGNED_CERTIFICATE"), 6);
    assert_int_equal(classify_risk_id("tls_certificate_about_to_expire"), 41);
    assert_int_equal(classify_risk_id("NDPI_NO_RISK"), -1);
    assert_int_equal(classify_risk_id("bogus"), -1);
    const char *names[8];
    size_t n = classify_risk_names((1ULL << 6) | (1ULL << 24) | 1ULL, names, 8);
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "TLS_SELFSIGNED_CERTIFICATE");
    assert_string_equal(names[1], "TLS_MISSING_SNI");
    assert_int_equal(classify_risk_names(~0ULL, names, 3), 3);

    res.category = 5;
    assert_string_equal(classify_category_name(r->c, &res), "Web");
    res.confidence = 4;     /* NDPI_CONFIDENCE_DPI */
    assert_string_equal(classify_confidence_name(&res), "DPI");
}

/* nDPI 4.2 leaves its URL checks to the caller: the classifier runs them on
 * the URL nDPI saw (as ndpiReader does), and on any later request. */
static void test_url_risks(void **state)
{
    struct run *r = *state;
    const uint64_t xss = 1ULL << classify_risk_id("URL_POSSIBLE_XSS");
    const uint64_t sqli = 1ULL << classify_risk_id("URL_POSSIBLE_SQL_INJECTION");
    const uint64_t traversal = 1ULL << classify_risk_id("HTTP_SUSPICIOUS_URL");
    const char *s = "example.com/item.php?id=1' OR '1'='1";
    assert_int_equal(classify_url_risk(s, strlen(s)), sqli);
    s = "/search?q=<script>alert(document.cookie)</script>";
    assert_int_equal(classify_url_risk(s, strlen(s)), xss);
    s = "/../../../../etc/shadow";
    assert_int_equal(classify_url_risk(s, strlen(s)), traversal);
    s = "/news/list?page=2&sort=date";
    assert_int_equal(classify_url_risk(s, strlen(s)), 0);
    assert_int_equal(classify_url_risk(NULL, 5), 0);
    /* len is honoured: the harmful part beyond it is not read */
    s = "/a?x=1' OR '1'='1";
    assert_int_equal(classify_url_risk(s, 2), 0);
    /* longer than the 4096 bytes judged: no overflow, a verdict */
    size_t big = 10000;
    char *u = malloc(big);
    assert_non_null(u);
    memset(u, 'a', big);
    memcpy(u, "/p?v=", 5);
    (void)classify_url_risk(u, big);
    free(u);

    /* a second request on a flow adds its risk once */
    struct flow f;
    memset(&f, 0, sizeof f);
    s = "/q?id=1 UNION SELECT password FROM users--";
    assert_int_equal(classify_note_url(&f, s, strlen(s)), sqli);
    assert_int_equal(classify_note_url(&f, s, strlen(s)), 0);
    assert_int_equal(f.app.risk, sqli);

    /* a real capture: ndpiReader reports path traversal (nikto) on these */
    run_pcap(r, "WebattackRCE.pcap");
    const struct seen_flow *fl = find(r, "6 127.0.0.1:50562-127.0.0.1:8080");
    assert_true(fl->risk & traversal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ssh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_syn_scan_allocates_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_states_freed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_per_flow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_url_risks, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
