/* pdu_buf: bounded carry-over of unfinished protocol units between chunks. */
#include "applayer/pdu_buf.h"

#include <stdlib.h>
#include <string.h>

void pdu_buf_init(struct pdu_buf *b, uint32_t limit)
{
    memset(b, 0, sizeof *b);
    b->limit = limit;
}

void pdu_buf_free(struct pdu_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int pdu_buf_append(struct pdu_buf *b, const uint8_t *data, uint32_t len)
{
    if (len == 0)
        return 0;
    if (len > b->limit || b->len > b->limit - len)
        return -1;
    if (b->len + len > b->cap) {
        uint32_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + len)
            cap = cap > b->limit / 2 ? b->limit : cap * 2;
        uint8_t *p = realloc(b->data, cap);
        if (!p)
            return -1;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return 0;
}

void pdu_buf_consume(struct pdu_buf *b, uint32_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* Buffered bytes first take in only as much of the chunk as the limit
 * allows, so a chunk holding many whole units never overflows the buffer;
 * once the carried unit is done, the rest is parsed in place. */
int pdu_buf_feed(struct pdu_buf *b, const uint8_t *data, uint32_t len, pdu_parse_fn parse,
                 void *ctx)
{
    while (b->len > 0 && len > 0) {
        uint32_t room = b->limit - b->len;
        uint32_t take = len < room ? len : room;
        if (take == 0 || pdu_buf_append(b, data, take) != 0)
            return -1;
        data += take;
        len -= take;
        int64_t used = parse(ctx, b->data, b->len);
        if (used < 0 || used > b->len)
            return -1;
        if (used == 0 && b->len == b->limit)
            return -1;          /* one unit larger than the limit */
        pdu_buf_consume(b, (uint32_t)used);
    }
    if (len == 0)
        return 0;
    int64_t used = parse(ctx, data, len);
    if (used < 0 || used > len)
        return -1;
    return pdu_buf_append(b, data + used, len - (uint32_t)used);
}
