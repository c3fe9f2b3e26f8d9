/* The ceiling for the data-plane benchmark: read a capture with libpcap and
 * touch every frame, nothing else.  Prints "packets bytes checksum". */
#include <inttypes.h>
#include <stdio.h>

#include <pcap/pcap.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE.pcap\n", argv[0]);
        return 2;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "%s: %s\n", argv[1], err);
        return 1;
    }
    struct pcap_pkthdr *h;
    const u_char *data;
    uint64_t packets = 0, bytes = 0, sum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
        packets++;
        bytes += h->caplen;
        /* read the frame, as a decoder would at least look at its headers */
        for (uint32_t i = 0; i < h->caplen && i < 64; i++)
            sum += data[i];
    }
    if (rc == PCAP_ERROR)
        fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(p));
    pcap_close(p);
    printf("%" PRIu64 " %" PRIu64 " %" PRIu64 "\n", packets, bytes, sum);
    return rc == PCAP_ERROR;
}
