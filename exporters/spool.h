/* The on-disk spool: a FIFO of events that could not (yet) go to Redis.
 *
 * Layout: segment files "<16 hex digits>.spool" in one directory, replayed in
 * name order, plus "cursor" (how far the head segment has been delivered).
 * A record is a 20-byte header (length, CRC-32 of the rest, event seq, event
 * type; little endian) and the JSON line.  At open every segment is checked;
 * a torn or corrupt tail (a crash in the middle of a write) is cut off and
 * counted, and the records before it are kept.
 *
 * Bound and drop policy ("drop newest"): once a record would make the spool
 * larger than max_bytes, spool_append() refuses it and every later one until
 * delivery has brought the spool below 90% of max_bytes, so what is lost is
 * one contiguous run of the newest events, not a scatter.  Drops are counted
 * and logged at most once a minute with the count.  spool_prepend()
 * stores events the exporter had already accepted (a failed batch and its
 * in-memory queue); they are never dropped, so the bound can be exceeded by
 * at most one queue's worth.
 *
 * Exclusive: the cursor file is locked (flock) while the spool is open, so a
 * second process on the same directory is refused at open.  A directory
 * that cannot be used (not creatable, read-only, cursor not openable) gives
 * a disabled spool: the sensor runs on, and every store is dropped and
 * counted.  A segment that cannot be read at open is left on disk, logged,
 * and not replayed.
 *
 * The cursor also keeps the highest event seq known delivered (set by the
 * exporter), so a restart can skip records at or below it.
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
    uint64_t dropped;      /* records lost: refused (full, I/O error, disabled), a failed
                              buffered write, or cut off with a damaged record */
    uint64_t corrupt;      /* damaged segment parts cut off (at open or at read) */
    uint64_t unreadable;   /* segments left on disk at open because they cannot be read */
    uint64_t max_seq;      /* highest seq ever stored (found at open or stored since) */
    uint64_t disabled;     /* 1: the directory is unusable; nothing is stored */
};

struct spool;

/* Creates dir if needed; segment_bytes 0 = default (8 MiB, at most max/8).
 * NULL (diag error) when another process holds the spool, or out of memory. */
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
/* The highest event seq known delivered: raised (never lowered) and saved
 * with the cursor; reset only when it is found to belong to another event
 * sequence. */
void spool_set_delivered(struct spool *sp, uint64_t seq);
uint64_t spool_delivered(struct spool *sp);
void spool_reset_delivered(struct spool *sp);
void spool_get_stats(struct spool *sp, struct spool_stats *out);
void spool_close(struct spool *sp);

uint32_t spool_crc32(uint32_t crc, const void *data, size_t len);

#endif
