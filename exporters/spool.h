/* The on-disk spool: a FIFO of events that could not (yet) go to Redis.
 *
 * Layout: segment files "<16 hex digits>.spool" in one directory, replayed in
 * name order, plus "cursor" (how far the head segment has been delivered).
 * A record is a 20-byte header (length, CRC-32 of the rest, event seq, event
 * type; little endian) and the JSON line.  At open every segment is checked;
 * a torn or corrupt tail (a crash in the middle of a write) is cut off and
 * counted, and the records before it are kept.
 *
 * Bound and drop policy: spool_append() refuses a record that would make the
 * spool larger than max_bytes ("drop newest": the incoming event is dropped,
 * counted, and logged at most once a minute with the count).  spool_prepend()
 * stores events the exporter had already accepted (a failed batch and its
 * in-memory queue); they are never dropped, so the bound can be exceeded by
 * at most one queue's worth.
 *
 * Thread-safe: the packet path appends while the exporter thread reads. */
#ifndef XIEZHI_SPOOL_H
#define XIEZHI_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

#define SPOOL_RECORD_HEADER 20
#define SPOOL_MAX_RECORD    (64u << 20)

struct spool_rec {
    uint64_t seq;
    uint32_t type;
    const char *data;
    uint32_t len;
};

struct spool_stats {
    uint64_t count;        /* records waiting */
    uint64_t bytes;        /* bytes waiting (headers included) */
    uint64_t appended;     /* records ever stored (append + prepend) */
    uint64_t dropped;      /* records refused: full or I/O error */
    uint64_t corrupt;      /* torn/corrupt tails cut off at open */
};

struct spool;

/* Creates dir if needed; segment_bytes 0 = default (8 MiB, at most max/8). */
struct spool *spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes,
                         struct diag *diag);
/* 0 stored; 1 dropped (full); -1 dropped (I/O error). */
int spool_append(struct spool *sp, const struct spool_rec *rec);
/* Stores recs in front of everything.  Must not be called between a peek and
 * its consume.  0 ok, -1 on I/O error (records counted as dropped). */
int spool_prepend(struct spool *sp, const struct spool_rec *recs, size_t n);
/* Up to max records from the head, not yet consumed; data points into the
 * spool's buffer, valid until the next peek, consume or close. */
size_t spool_peek(struct spool *sp, struct spool_rec *out, size_t max);
/* Removes the first n records of the last peek. */
void spool_consume(struct spool *sp, size_t n);
/* Appends are buffered (up to 256 KiB) and written by the next peek, a full
 * buffer, this call, or close; the exporter calls it while Redis is down, so
 * a crash of the sensor loses at most a few seconds of spooled events. */
void spool_flush(struct spool *sp);
uint64_t spool_count(struct spool *sp);
void spool_get_stats(struct spool *sp, struct spool_stats *out);
void spool_close(struct spool *sp);

uint32_t spool_crc32(uint32_t crc, const void *data, size_t len);

#endif
