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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level((enum log_level)-1);
    return 0;
}

static volatile uint8_t sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-capture", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const char *paths[] = { path };

    struct capture_source *src = NULL;
    struct decoder *dec = decoder_new(NULL);
    if (!dec)
        abort();
    if (capture_open_offline(&src, paths, 1) == 0 && src) {
        struct capture_packet pkt;
        enum capture_status st;
        uint64_t n = 0;
        while ((st = capture_next(src, &pkt)) == CAPTURE_OK) {
            uint8_t acc = 0;
            for (uint32_t i = 0; i < pkt.caplen; i++)
                acc ^= pkt.data[i];
            sink = acc;
            if (pkt.pcap_cnt != ++n)
                abort();              /* pcap_cnt counts frames from 1 */
            struct packet out;
            decode_packet(dec, &pkt, &out);
        }
        if (st == CAPTURE_TIMEOUT)
            abort();                  /* offline sources never time out */
        struct capture_stats stats;
        capture_get_stats(src, &stats);
        if (stats.packets != n)
            abort();
        (void)capture_had_errors(src);
        capture_close(src);
    }
    decoder_free(dec);
    close(fd);
    return 0;
}
