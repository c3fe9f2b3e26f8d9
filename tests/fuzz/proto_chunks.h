/* The input format of the DNS, TLS and SSH fuzz targets: a sequence of
 * chunks, each one header byte (bit 0: to the client; bit 1: a gap before
 * it; bit 2: end of the direction; bit 3: a UDP datagram, DNS only), a
 * 2-byte big-endian length and that many bytes (cut at the input's end).
 * make_corpus.py writes the flows of pcaps/proto_*.pcap in this format. */
#ifndef XIEZHI_FUZZ_PROTO_CHUNKS_H
#define XIEZHI_FUZZ_PROTO_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "applayer/pdu_buf.h"
#include "flow/flow.h"

struct chunk {
    enum flow_direction dir;
    unsigned flags;         /* PDU_CHUNK_GAP / PDU_CHUNK_EOF */
    bool udp;
    const uint8_t *data;
    uint32_t len;
};

/* Takes the next chunk off the input; false at its end. */
static inline bool chunk_next(const uint8_t **data, size_t *size, struct chunk *c)
{
    if (*size < 3)
        return false;
    uint8_t h = (*data)[0];
    size_t len = (size_t)((*data)[1] << 8 | (*data)[2]);
    *data += 3;
    *size -= 3;
    if (len > *size)
        len = *size;
    c->dir = h & 1 ? FLOW_TOCLIENT : FLOW_TOSERVER;
    c->flags = (h & 2 ? PDU_CHUNK_GAP : 0) | (h & 4 ? PDU_CHUNK_EOF : 0);
    c->udp = h & 8;
    c->data = *data;
    c->len = (uint32_t)len;
    *data += len;
    *size -= len;
    return true;
}

#endif
