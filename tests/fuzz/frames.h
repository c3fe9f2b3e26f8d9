/* The input format of the packet and pipeline targets: one byte picks the
 * link type, then records of [time step][flags][length, 16 bits big-endian]
 * [bytes].  A length past the end takes what is left; flags bit 0 says the
 * frame was cut by the snap length (wire length 1000 bytes more).  Time
 * moves by step^2 * 10 ms, so gaps reach past every timeout. */
#ifndef XIEZHI_FUZZ_FRAMES_H
#define XIEZHI_FUZZ_FRAMES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture.h"

static const int fuzz_linktypes[] = { 1, 12, 14, 101, 228, 229, 0, 108, 113, 276, 9, 50, 104, 105, 147 };

struct fuzz_frames {
    const uint8_t *data;
    size_t size;
    uint64_t *clock_usec;       /* the caller's clock, advanced per frame */
    uint64_t count;
    int linktype;
};

static inline bool fuzz_frames_begin(struct fuzz_frames *f, const uint8_t *data, size_t size,
                                     uint64_t *clock_usec)
{
    if (size < 1)
        return false;
    f->linktype = fuzz_linktypes[data[0] % (sizeof fuzz_linktypes / sizeof fuzz_linktypes[0])];
    f->data = data + 1;
    f->size = size - 1;
    f->clock_usec = clock_usec;
    f->count = 0;
    return true;
}

/* The next frame in a buffer of its own (so ASan sees any read past it),
 * which the caller frees; NULL at the end of the input. */
static inline uint8_t *fuzz_frames_next(struct fuzz_frames *f, struct capture_packet *cp)
{
    if (f->size < 4)
        return NULL;
    uint64_t step = f->data[0];
    bool snapped = f->data[1] & 1;
    size_t len = (size_t)f->data[2] << 8 | f->data[3];
    f->data += 4;
    f->size -= 4;
    if (len > f->size)
        len = f->size;
    uint8_t *frame = malloc(len ? len : 1);
    if (!frame)
        abort();
    memcpy(frame, f->data, len);
    f->data += len;
    f->size -= len;
    *f->clock_usec += step * step * 10000;
    *cp = (struct capture_packet){
        .ts_usec = *f->clock_usec,
        .caplen = (uint32_t)len,
        .wirelen = (uint32_t)len + (snapped ? 1000 : 0),
        .linktype = f->linktype,
        .pcap_cnt = ++f->count,
        .data = frame,
    };
    return frame;
}

#endif
