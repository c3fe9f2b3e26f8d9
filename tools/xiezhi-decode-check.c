/* xiezhi-decode-check: runs capture + decode over capture files (a directory
 * counts as one input) and prints, per file, packets and how decode ended for them,
 * then every non-zero drop counter.  For finding crashes and sanitizer
 * reports on real corpora:  xiezhi-decode-check ../shared/corpus/ndpi-4.2/pcap */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "capture/capture.h"
#include "decode/decode.h"

static void check_path(const char *path, struct decode_stats *total, int *failed)
{
    struct capture_source *src;
    if (capture_open_offline(&src, &path, 1) < 0) {
        fprintf(stderr, "%s: out of memory\n", path);
        *failed = 1;
        return;
    }
    struct decoder *d = decoder_new(NULL);
    if (!d) {
        capture_close(src);
        *failed = 1;
        return;
    }
    uint64_t outcome[4] = { 0 };
    struct capture_packet frame;
    struct packet pkt;
    while (capture_next(src, &frame) == CAPTURE_OK) {
        enum decode_status st = decode_packet(d, &frame, &pkt);
        outcome[st]++;
        decoder_expire(d, frame.ts_usec);
    }
    const struct decode_stats *s = decoder_stats(d);
    printf("%-60s pkts=%-7" PRIu64 " ip=%-7" PRIu64 " held=%-5" PRIu64 " non_ip=%-6" PRIu64
           " dropped=%-5" PRIu64 " v4=%" PRIu64 " v6=%" PRIu64 " tcp=%" PRIu64 " udp=%" PRIu64
           " tun=%" PRIu64 " reasm=%" PRIu64 "\n",
           path, s->packets, outcome[DECODE_PACKET], outcome[DECODE_HELD], outcome[DECODE_SKIPPED],
           outcome[DECODE_DROPPED], s->ipv4, s->ipv6, s->tcp, s->udp, s->tunnels, s->reassembled);
    for (int e = 0; e < DECODE_ERROR_COUNT; e++) {
        if (s->errors[e])
            printf("    %s=%" PRIu64 "\n", decode_error_name((enum decode_error)e), s->errors[e]);
        total->errors[e] += s->errors[e];
    }
    total->packets += s->packets;
    if (capture_had_errors(src))
        *failed = 1;
    decoder_free(d);
    capture_close(src);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    struct decode_stats total;
    memset(&total, 0, sizeof total);
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        check_path(argv[i], &total, &failed);
    }
    printf("total packets=%" PRIu64 "\n", total.packets);
    return failed;
}
