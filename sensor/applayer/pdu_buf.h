/* pdu_buf: the unfinished tail of a protocol data unit (a TLS record, a DNS
 * message over TCP, an SSH packet) kept between stream chunks, so that the
 * DNS, TLS and SSH parsers can parse units that span TCP segments.  Bounded:
 * a unit larger than the buffer's limit is an error the parser counts. */
#ifndef XIEZHI_APPLAYER_PDU_BUF_H
#define XIEZHI_APPLAYER_PDU_BUF_H

#include <stdint.h>

/* Chunk flags, the same bits as the stream layer's enum stream_chunk_flags:
 * bytes are missing before this chunk / the direction has ended. */
#define PDU_CHUNK_GAP (1u << 0)
#define PDU_CHUNK_EOF (1u << 1)

struct pdu_buf {
    uint8_t *data;
    uint32_t len, cap;
    uint32_t limit;     /* the most bytes ever held */
};

void pdu_buf_init(struct pdu_buf *b, uint32_t limit);
void pdu_buf_free(struct pdu_buf *b);
static inline void pdu_buf_clear(struct pdu_buf *b) { b->len = 0; }
/* 0, or -1 when the bytes would pass the limit or memory ran out (then the
 * buffer is unchanged). */
int pdu_buf_append(struct pdu_buf *b, const uint8_t *data, uint32_t len);
/* Drops the first n bytes (n <= len). */
void pdu_buf_consume(struct pdu_buf *b, uint32_t n);

/* Feeds a chunk to a unit parser: parse(ctx, data, len) returns how many
 * leading bytes form whole units it has handled (the rest is an unfinished
 * unit), or -1 to stop.  Without buffered bytes the chunk is parsed where it
 * lies and only its unfinished tail is copied.  Returns 0, or -1 when parse
 * failed or the tail passed the buffer's limit. */
typedef int64_t (*pdu_parse_fn)(void *ctx, const uint8_t *data, uint32_t len);
int pdu_buf_feed(struct pdu_buf *b, const uint8_t *data, uint32_t len, pdu_parse_fn parse,
                 void *ctx);

#endif
