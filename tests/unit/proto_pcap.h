/* For the parser tests: the TCP and UDP payloads of a crafted capture, in
 * order, with their direction (toward port 53, 443 or 22 is to the server)
 * and the client's port, read with libpcap from Ethernet/IPv4 frames.  The
 * captures of pcaps/gen_proto.py have no loss or reordering, so the
 * payloads in order are the streams. */
#ifndef XIEZHI_TESTS_PROTO_PCAP_H
#define XIEZHI_TESTS_PROTO_PCAP_H

#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct segment {
    uint16_t client_port;
    bool toserver, udp;
    uint64_t ts_usec;
    uint8_t *data;
    uint32_t len;
};

struct capture {
    struct segment *seg;
    size_t n;
};

static bool server_port(uint16_t p) { return p == 53 || p == 443 || p == 22; }

static int capture_load(const char *path, struct capture *c)
{
    char err[PCAP_ERRBUF_SIZE];
    memset(c, 0, sizeof *c);
    pcap_t *p = pcap_open_offline(path, err);
    if (!p)
        return -1;
    struct pcap_pkthdr *h;
    const u_char *d;
    while (pcap_next_ex(p, &h, &d) == 1) {
        if (h->caplen < 14 + 20 || d[12] != 0x08 || d[13] != 0x00)
            continue;
        const u_char *ip = d + 14;
        uint32_t ihl = (ip[0] & 15u) * 4, total = (uint32_t)(ip[2] << 8 | ip[3]);
        if (total > h->caplen - 14 || total < ihl + 8)
            continue;
        const u_char *l4 = ip + ihl;
        uint32_t l4len = total - ihl, hdr;
        bool udp = ip[9] == 17;
        if (ip[9] == 6)
            hdr = (l4[12] >> 4) * 4u;
        else if (udp)
            hdr = 8;
        else
            continue;
        if (hdr > l4len || hdr == l4len)
            continue;
        uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]), dport = (uint16_t)(l4[2] << 8 | l4[3]);
        struct segment *s = realloc(c->seg, (c->n + 1) * sizeof *s);
        if (!s)
            abort();
        c->seg = s;
        s = &c->seg[c->n++];
        s->toserver = server_port(dport);
        s->client_port = s->toserver ? sport : dport;
        s->udp = udp;
        s->ts_usec = (uint64_t)h->ts.tv_sec * 1000000u + (uint64_t)h->ts.tv_usec;
        s->len = l4len - hdr;
        s->data = malloc(s->len);
        if (!s->data)
            abort();
        memcpy(s->data, l4 + hdr, s->len);
    }
    pcap_close(p);
    return 0;
}

static void capture_free(struct capture *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->seg[i].data);
    free(c->seg);
    memset(c, 0, sizeof *c);
}

#endif
