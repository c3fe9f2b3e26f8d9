/* Fuzz target: the rule parser and engine.  The input is a rule file; after
 * a line "#payload" (a comment to the parser) the rest of the input is the
 * payload of the test traffic (an HTTP request when empty).  With that
 * line, whatever loads is run on one TCP flow (handshake, request,
 * response), one UDP and one ICMP packet, so that the
 * keyword matchers (content offsets, byte_*, pcre, datasets, thresholds,
 * flowbits, anomaly trackers) see the compiled hostile options too.
 * fuzz-needs: detect_engine_load detect_packet flow_table_lookup classifier_new */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "classify/classify.h"
#include "config/config.h"
#include "detect/detect.h"
#include "flow/flow.h"
#include "util/log.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define MAX_PAYLOAD 4096

static const char vars_yaml[] =
    "vars:\n"
    "  address-groups:\n"
    "    HOME_NET: \"[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]\"\n"
    "    EXTERNAL_NET: \"!$HOME_NET\"\n"
    "    DNS_SERVERS: \"$HOME_NET\"\n"
    "  port-groups:\n"
    "    HTTP_PORTS: \"80\"\n"
    "    SSH_PORTS: \"22\"\n"
    "    ORACLE_PORTS: \"1521\"\n";

static const char classification_text[] =
    "config classification: not-suspicious,Not Suspicious Traffic,3\n"
    "config classification: bad-unknown,Potentially Bad Traffic,2\n"
    "config classification: trojan-activity,A Network Trojan was detected,1\n"
    "config classification: policy-violation,Potential Corporate Privacy Violation,1\n";

static const char default_payload[] =
    "GET /index.html?q=1 HTTP/1.1\r\nHost: www.example.com\r\nUser-Agent: curl/8.0\r\n"
    "Accept: */*\r\n\r\n";

static struct classifier *classifier;
static struct config *config;
static char classification_path[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    classifier = classifier_new();
    config = config_new();
    struct diag diag = { .quiet = 1 };
    if (!classifier || !config ||
        config_load_buffer(config, "vars.yaml", vars_yaml, sizeof vars_yaml - 1, &diag) != 0)
        abort();
    snprintf(classification_path, sizeof classification_path,
             "/dev/shm/xiezhi-fuzz-classification.%d", (int)getpid());
    FILE *f = fopen(classification_path, "w");
    if (!f)
        abort();
    fputs(classification_text, f);
    fclose(f);
    return 0;
}

/* ---- the test traffic ---- */

struct sink_state {
    uint64_t alerts;
    size_t bytes;      /* of the strings alerts carry, to touch them */
};

static void emit(void *ctx, const struct flow *flow, const struct packet *pkt,
                 const struct rule_info *rule, const struct anomaly_info *anomaly)
{
    struct sink_state *s = ctx;
    (void)flow;
    (void)pkt;
    s->alerts++;
    s->bytes += strlen(rule->msg ? rule->msg : "") + strlen(rule->category ? rule->category : "") +
                strlen(rule->action_name ? rule->action_name : "");
    if (rule->classtype)
        s->bytes += strlen(rule->classtype);
    if (rule->metadata_json)
        s->bytes += strlen(rule->metadata_json);
    if (anomaly) {
        s->bytes += strlen(anomaly->kind ? anomaly->kind : "");
        for (size_t i = 0; i < anomaly->nevidence; i++)
            s->bytes += strlen(anomaly->evidence[i]);
    }
}

struct run {
    struct detect_thread *dt;
    struct alert_sink sink;
};

static void on_flow_end(void *ctx, struct flow *flow)
{
    struct run *r = ctx;
    detect_flow_end(r->dt, flow, &r->sink);
    classify_flow_end(classifier, flow);
    classify_flow_release(flow);
}

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xFFFF);
}

/* One IPv4 datagram in a buffer of exactly its size, described by *pkt as
 * decode would describe it.  The caller frees *buf. */
static void make_packet(struct packet *pkt, uint8_t **buf, uint64_t ts, uint8_t proto,
                        const uint8_t src[4], const uint8_t dst[4], uint16_t sport,
                        uint16_t dport, uint8_t tcp_flags, uint32_t seq, uint32_t ack,
                        const uint8_t *payload, size_t plen)
{
    size_t l4 = proto == 6 ? 20 : 8;
    size_t total = 20 + l4 + plen;
    uint8_t *d = calloc(1, total);
    if (!d)
        abort();
    d[0] = 0x45;
    put16(d + 2, (unsigned)total);
    d[8] = 64;
    d[9] = proto;
    memcpy(d + 12, src, 4);
    memcpy(d + 16, dst, 4);
    uint8_t *t = d + 20;
    if (proto == 6) {
        put16(t, sport);
        put16(t + 2, dport);
        put32(t + 4, seq);
        put32(t + 8, ack);
        t[12] = 5 << 4;
        t[13] = tcp_flags;
        put16(t + 14, 65535);
    } else if (proto == 17) {
        put16(t, sport);
        put16(t + 2, dport);
        put16(t + 4, (unsigned)(8 + plen));
    } else {
        t[0] = 8;                            /* echo request */
    }
    memcpy(d + 20 + l4, payload, plen);

    memset(pkt, 0, sizeof *pkt);
    pkt->ts_usec = ts;
    pkt->wire_len = (uint32_t)total + 14;
    pkt->ip_version = 4;
    pkt->proto = proto;
    pkt->ttl = 64;
    pkt->src.family = pkt->dst.family = 4;
    memcpy(pkt->src.bytes, src, 4);
    memcpy(pkt->dst.bytes, dst, 4);
    if (proto != 1) {
        pkt->src_port = sport;
        pkt->dst_port = dport;
    } else {
        pkt->icmp_type = 8;
    }
    pkt->tcp_flags = tcp_flags;
    pkt->tcp_seq = seq;
    pkt->tcp_ack = ack;
    pkt->tcp_window = 65535;
    pkt->ip_header = d;
    pkt->ip_len = (uint32_t)total;
    pkt->payload = d + 20 + l4;
    pkt->payload_len = (uint32_t)plen;
    *buf = d;
}

static void feed(struct run *r, struct flow_table *ft, const struct packet *pkt)
{
    enum flow_direction dir;
    bool created;
    struct flow *flow = flow_table_lookup(ft, pkt, &dir, &created);
    if (!flow)
        return;
    classify_packet(classifier, flow, pkt, dir);
    detect_packet(r->dt, flow, pkt, dir, &r->sink);
}

static void run_traffic(const struct detect_engine *de, const uint8_t *payload, size_t plen)
{
    static const uint8_t client[4] = { 10, 0, 0, 5 }, server[4] = { 93, 184, 216, 34 },
                         dns[4] = { 8, 8, 8, 8 };
    struct sink_state ss = { 0 };
    struct run r = { .dt = detect_thread_new(de), .sink = { .ctx = &ss, .emit = emit } };
    if (!r.dt)
        return;
    struct flow_table_config fcfg;
    flow_table_config_defaults(&fcfg);
    struct flow_table *ft = flow_table_new(&fcfg, on_flow_end, &r);
    if (!ft)
        abort();
    uint64_t ts = 1700000000ull * 1000000;
    struct {
        uint8_t proto;
        bool to_server;
        uint8_t flags;
        bool with_payload;
    } script[] = {
        { 6, true, 0x02, false },  { 6, false, 0x12, false }, { 6, true, 0x10, false },
        { 6, true, 0x18, true },   { 6, false, 0x18, true },  { 6, true, 0x18, true },
        { 17, true, 0, true },     { 17, false, 0, true },    { 1, true, 0, true },
        { 6, true, 0x11, false },  { 6, false, 0x11, false },
    };
    uint32_t seq[2] = { 1000, 5000 };
    for (size_t i = 0; i < sizeof script / sizeof script[0]; i++) {
        struct packet pkt;
        uint8_t *buf;
        bool up = script[i].to_server;
        const uint8_t *peer = script[i].proto == 17 ? dns : server;
        uint16_t port = script[i].proto == 17 ? 53 : 80;
        size_t n = script[i].with_payload ? plen : 0;
        make_packet(&pkt, &buf, ts, script[i].proto, up ? client : peer, up ? peer : client,
                    up ? 40000 : port, up ? port : 40000, script[i].flags, seq[!up], seq[up],
                    payload, n);
        seq[!up] += (uint32_t)n + ((script[i].flags & 0x03) ? 1 : 0);
        feed(&r, ft, &pkt);
        free(buf);
        ts += 1000;
        detect_thread_expire(r.dt, ts);
    }
    flow_table_flush(ft, FLOW_END_SHUTDOWN);
    flow_table_free(ft);
    detect_thread_free(r.dt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char marker[] = "\n#payload\n";
    const uint8_t *payload = NULL;
    size_t plen = 0, rules_len = size;
    const uint8_t *cut = size >= sizeof marker - 1
                             ? memmem(data, size, marker, sizeof marker - 1) : NULL;
    if (cut) {
        rules_len = (size_t)(cut - data) + 1;
        payload = cut + sizeof marker - 1;
        plen = size - (size_t)(payload - data);
        if (plen > MAX_PAYLOAD)
            plen = MAX_PAYLOAD;
    }
    int fd = memfd_create("fuzz-rules", 0);
    if (fd < 0)
        abort();
    if (rules_len && write(fd, data, rules_len) != (ssize_t)rules_len)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *files[] = { path };
    struct detect_engine_config cfg = {
        .config = config,
        .rule_files = files,
        .nrule_files = 1,
        .classification_file = classification_path,
        .classifier = classifier,
    };
    struct diag diag = { .quiet = 1 };
    struct detect_engine *de = detect_engine_load(&cfg, &diag);
    close(fd);
    if (!de)
        return 0;
    const struct detect_engine_stats *st = detect_engine_stats(de);
    /* Traffic only for inputs that ask for it: a detect thread costs more
     * than parsing (its threshold table is sized for production). */
    if (payload && plen == 0) {
        payload = (const uint8_t *)default_payload;
        plen = sizeof default_payload - 1;
    }
    if (payload && st->rules_loaded > 0) {
        /* The payload is copied so that ASan sees reads past its end. */
        uint8_t *copy = malloc(plen ? plen : 1);
        if (!copy)
            abort();
        memcpy(copy, payload, plen);
        run_traffic(de, copy, plen);
        free(copy);
    }
    detect_engine_free(de);
    return 0;
}
