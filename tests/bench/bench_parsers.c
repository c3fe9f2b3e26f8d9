/* The cost of each app-layer parser alone: the flows of pcaps/proto_*.pcap
 * parsed again and again from fresh state (each direction's payloads in
 * order, as the stream layer hands them over), with the EVE object written
 * once per flow.  Prints, per parser, microseconds per flow and MB/s of
 * payload.  Usage: bench_parsers SECONDS_PER_PARSER [dns|tls|ssh] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "applayer/dns/dns.h"
#include "applayer/dns/dns_eve.h"
#include "applayer/ssh/ssh.h"
#include "applayer/ssh/ssh_eve.h"
#include "applayer/tls/tls.h"
#include "applayer/tls/tls_eve.h"
#include "../unit/proto_pcap.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void dns_log(void *ctx, const struct dns_tx *tx, enum flow_direction dir)
{
    (void)dir;
    struct json_writer *w = ctx;
    struct dns_eve_options opt = DNS_EVE_DEFAULTS;
    json_reset(w);
    dns_eve_write(w, tx, tx->response != NULL, &opt);
}

/* One pass over every flow of the capture; returns payload bytes parsed. */
static uint64_t pass(const char *kind, const struct capture *cap, struct json_writer *w,
                     struct tls_cert_cache *cache)
{
    uint64_t bytes = 0;
    if (strcmp(kind, "dns") == 0) {
        struct dns_state st;
        struct dns_sink sink = { dns_log, w };
        dns_state_init(&st, &sink);
        for (size_t i = 0; i < cap->n; i++) {
            const struct segment *s = &cap->seg[i];
            enum flow_direction d = s->toserver ? FLOW_TOSERVER : FLOW_TOCLIENT;
            if (s->udp)
                dns_parse_udp(&st, d, s->data, s->len);
            else
                dns_parse_tcp(&st, d, s->data, s->len, 0);
            bytes += s->len;
        }
        dns_state_free(&st);
        return bytes;
    }
    /* TLS and SSH: a state per client port */
    uint16_t ports[8];
    size_t n = 0;
    static struct tls_state tls[8];
    static struct ssh_state ssh[8];
    for (size_t i = 0; i < cap->n; i++) {
        const struct segment *s = &cap->seg[i];
        size_t k = 0;
        while (k < n && ports[k] != s->client_port)
            k++;
        if (k == n) {
            if (n == 8)
                continue;
            ports[n++] = s->client_port;
            if (kind[1] == 'l') {
                tls_state_init(&tls[k], NULL);
                tls[k].cache = cache;
            }
            else
                ssh_state_init(&ssh[k], NULL);
        }
        enum flow_direction d = s->toserver ? FLOW_TOSERVER : FLOW_TOCLIENT;
        if (kind[1] == 'l')
            tls_parse(&tls[k], d, s->data, s->len, 0);
        else
            ssh_parse(&ssh[k], d, s->data, s->len, 0);
        bytes += s->len;
    }
    for (size_t k = 0; k < n; k++) {
        json_reset(w);
        if (kind[1] == 'l') {
            tls_eve_write(w, &tls[k].tx);
            tls_state_free(&tls[k]);
        } else {
            ssh_eve_write(w, &ssh[k]);
            ssh_state_free(&ssh[k]);
        }
    }
    return bytes;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 2.0;
    static const struct {
        const char *kind, *path;
        unsigned flows;     /* flows (DNS: transactions) in one pass */
    } runs[] = {
        { "dns", "pcaps/proto_dns_udp.pcap", 13 },
        { "dns", "pcaps/proto_dns_tcp.pcap", 13 },
        { "tls", "pcaps/proto_tls.pcap", 2 },
        { "tls", "pcaps/proto_tlcp.pcap", 3 },
        { "tls-cold", "pcaps/proto_tls.pcap", 2 },
        { "tls-cold", "pcaps/proto_tlcp.pcap", 3 },
        { "ssh", "pcaps/proto_ssh.pcap", 1 },
    };
    struct json_writer w;
    json_init(&w);
    printf("%-8s %-26s %12s %12s %10s\n", "parser", "capture", "us/flow", "flows/s", "MB/s");
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        if (argc > 2 && strncmp(argv[2], runs[r].kind, 3) != 0)
            continue;
        /* the sensor's certificate cache, or none: every certificate read anew */
        struct tls_cert_cache *cache = strcmp(runs[r].kind, "tls") == 0 ? tls_cert_cache_new(256) : NULL;
        struct capture cap;
        if (capture_load(runs[r].path, &cap) != 0) {
            fprintf(stderr, "%s: cannot read\n", runs[r].path);
            return 1;
        }
        uint64_t bytes = 0, passes = 0;
        double t0 = now(), t;
        do {
            bytes += pass(runs[r].kind, &cap, &w, cache);
            passes++;
        } while ((t = now() - t0) < secs);
        double flows = (double)passes * runs[r].flows;
        printf("%-8s %-26s %12.2f %12.0f %10.1f\n", runs[r].kind, runs[r].path + 6,
               t * 1e6 / flows, flows / t, (double)bytes / t / 1e6);
        capture_free(&cap);
        tls_cert_cache_free(cache);
    }
    json_free(&w);
    return 0;
}
