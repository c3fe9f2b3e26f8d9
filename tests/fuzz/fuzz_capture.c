/* Fuzz target: the offline capture reader fed a whole capture file (pcap or
 * pcapng, as libpcap and capture/offline.c see it), every frame it hands
 * out touched byte for byte and decoded.  The input lives in a memfd opened
 * by its /proc path, so nothing touches the disk.
 * fuzz-needs: capture_open_offline capture_next decode_packet */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture/capture.h"
#include "decode/decode.h"
#include "util/log.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct decoder *dec;    /* one for the run; fragments expired after each input */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    dec = decoder_new(NULL);
    if (!dec)
        abort();
    return 0;
}

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_input_file(data, size, "fuzz-capture", path);
    const char *paths[] = { path };

    struct capture_source *src = NULL;
    if (capture_open_offline(&src, paths, 1) == 0 && src) {
        struct capture_packet pkt;
        enum capture_status st;
        uint64_t n = 0;
        while ((st = capture_next(src, &pkt)) == CAPTURE_OK) {
            uint8_t acc = 0;
            for (uint32_t i = 0; i < pkt.caplen; i++)
                acc ^= pkt.data[i];
            sink = acc;
            n++;
            FUZZ_CHECK(pkt.pcap_cnt == n, "frame %llu has pcap_cnt %llu",
                       (unsigned long long)n, (unsigned long long)pkt.pcap_cnt);
            struct packet out;
            decode_packet(dec, &pkt, &out);
        }
        FUZZ_CHECK(st != CAPTURE_TIMEOUT, "an offline source timed out");
        struct capture_stats stats;
        capture_get_stats(src, &stats);
        FUZZ_CHECK(stats.packets == n, "stats say %llu packets, %llu were read",
                   (unsigned long long)stats.packets, (unsigned long long)n);
        (void)capture_had_errors(src);
        capture_close(src);
    }
    decoder_expire(dec, UINT64_MAX);
    close(fd);
    return 0;
}
