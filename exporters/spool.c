/* The on-disk spool (see spool.h): segment files in a directory, appended at
 * the tail, read and deleted at the head, with a cursor file for the part of
 * the head segment already delivered. */
#include "exporters/spool.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "util/array.h"
#include "util/log.h"

#define SPOOL_FIRST_ID     (UINT64_C(1) << 40)   /* room to prepend below */
#define SPOOL_DEFAULT_SEG  (UINT64_C(8) << 20)
#define SPOOL_SUFFIX       ".spool"

struct segment {
    uint64_t id;
    uint64_t size;         /* bytes in the file */
    uint64_t records;      /* records not yet consumed */
    int fd;                /* -1 until needed */
};

struct spool {
    pthread_mutex_t lock;
    char *dir;
    uint64_t max_bytes, seg_bytes;
    struct segment *segs;  /* in replay order; segs[0] is the head */
    size_t nsegs, cap;
    uint64_t read_off;     /* delivered bytes of segs[0] */
    uint64_t next_id;      /* id for the next new tail segment */
    uint64_t delivered;    /* highest event seq known delivered, kept in the cursor */
    int cursor_fd;         /* also holds the directory's exclusive lock */
    bool disabled;         /* unusable directory: every store is refused and counted */
    /* the last peek */
    char *buf;
    size_t buf_cap;
    size_t peek_count;
    uint64_t peek_ends[1024];   /* read_off after each peeked record */
    struct spool_stats st;
    uint64_t bytes;        /* file bytes minus read_off */
    /* appends are buffered for the tail segment; its size includes them */
    char *wbuf;
    size_t wlen, wcap, wrecs;
    uint64_t drops_unlogged;
    bool full;             /* refusing appends until delivery frees 10% */
    time_t drop_logged_at;
};

/* ---- CRC-32 (IEEE), slicing by 8, tables built on first use ---- */

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xff];
}

uint32_t spool_crc32(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *p = data;
    crc = ~crc;
    while (len >= 8) {
        uint32_t lo = crc ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                             (uint32_t)p[3] << 24);
        crc = crc_table[7][lo & 0xff] ^ crc_table[6][(lo >> 8) & 0xff] ^
              crc_table[5][(lo >> 16) & 0xff] ^ crc_table[4][lo >> 24] ^
              crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8;
        len -= 8;
    }
    while (len--)
        crc = crc_table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* CRC over seq, type and payload: header bytes 8..19 then the data. */
static uint32_t record_crc(const unsigned char *hdr, const char *data, uint32_t len)
{
    return spool_crc32(spool_crc32(0, hdr + 8, 12), data, len);
}

static void record_header(unsigned char hdr[SPOOL_RECORD_HEADER], const struct spool_rec *r)
{
    put_u32(hdr, r->len);
    put_u64(hdr + 8, r->seq);
    put_u32(hdr + 16, r->type);
    put_u32(hdr + 4, record_crc(hdr, r->data, r->len));
}

/* ---- segments ---- */

static void seg_path(const struct spool *sp, uint64_t id, char *out, size_t size)
{
    snprintf(out, size, "%s/%016" PRIx64 SPOOL_SUFFIX, sp->dir, id);
}

static int seg_fd(struct spool *sp, struct segment *seg)
{
    if (seg->fd >= 0)
        return seg->fd;
    char path[4096];
    seg_path(sp, seg->id, path, sizeof path);
    seg->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    return seg->fd;
}

/* Opens a segment that must not exist yet (a leftover file, e.g. one that
 * could not be read at start, is never written into). */
static int seg_create(struct spool *sp, struct segment *seg)
{
    char path[4096];
    seg_path(sp, seg->id, path, sizeof path);
    seg->fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    return seg->fd;
}

static void seg_close_fd(struct segment *seg)
{
    if (seg->fd >= 0)
        close(seg->fd);
    seg->fd = -1;
}

static int segs_reserve(struct spool *sp)
{
    if (sp->nsegs < sp->cap)
        return 0;
    struct segment *grown = array_grow(sp->segs, &sp->cap, sizeof *grown, 16);
    if (!grown)
        return -1;
    sp->segs = grown;
    return 0;
}

/* The cursor record: head segment id, bytes of it delivered, the highest
 * delivered event seq, CRC-32 of those 24 bytes.  (Files written before the
 * seq was added hold 20 bytes: id, offset, CRC of 16.) */
#define CURSOR_BYTES 28

static void cursor_save(struct spool *sp)
{
    unsigned char rec[CURSOR_BYTES];
    put_u64(rec, sp->nsegs ? sp->segs[0].id : 0);
    put_u64(rec + 8, sp->read_off);
    put_u64(rec + 16, sp->delivered);
    put_u32(rec + 24, spool_crc32(0, rec, 24));
    if (sp->cursor_fd >= 0 && pwrite(sp->cursor_fd, rec, sizeof rec, 0) != (ssize_t)sizeof rec)
        log_warning("%s/cursor: cannot save the spool position: %s", sp->dir, strerror(errno));
}

/* Reads the stored position; 0 if none or not valid. */
static uint64_t cursor_load(struct spool *sp, uint64_t *seg_id)
{
    unsigned char rec[CURSOR_BYTES];
    *seg_id = 0;
    ssize_t got = pread(sp->cursor_fd, rec, sizeof rec, 0);
    if (got == (ssize_t)sizeof rec && get_u32(rec + 24) == spool_crc32(0, rec, 24)) {
        sp->delivered = get_u64(rec + 16);
    } else if (got < 20 || get_u32(rec + 16) != spool_crc32(0, rec, 16)) {
        return 0;
    }
    *seg_id = get_u64(rec);
    return get_u64(rec + 8);
}

static int id_compare(const void *a, const void *b)
{
    uint64_t x = ((const struct segment *)a)->id, y = ((const struct segment *)b)->id;
    return x < y ? -1 : x > y;
}

/* Reads the record at off of a file of size bytes into *data (grown as
 * needed); its length, or -1 when no intact record starts there. */
static int64_t record_at(int fd, uint64_t off, uint64_t size, unsigned char hdr[SPOOL_RECORD_HEADER],
                         char **data, size_t *cap)
{
    if (off + SPOOL_RECORD_HEADER > size ||
        pread(fd, hdr, SPOOL_RECORD_HEADER, (off_t)off) != SPOOL_RECORD_HEADER)
        return -1;
    uint32_t len = get_u32(hdr);
    if (len > SPOOL_MAX_RECORD || off + SPOOL_RECORD_HEADER + len > size)
        return -1;
    if (len > *cap) {
        char *grown = realloc(*data, len);
        if (!grown)
            return -1;
        *data = grown;
        *cap = len;
    }
    if (len && pread(fd, *data, len, (off_t)(off + SPOOL_RECORD_HEADER)) != (ssize_t)len)
        return -1;
    if (record_crc(hdr, *data, len) != get_u32(hdr + 4))
        return -1;
    return len;
}

/* After damage at off: how many intact records follow (each is an event the
 * cut loses).  A candidate header must name a known-size event type before
 * its CRC is computed, so a hostile file costs little. */
static uint64_t count_after_damage(int fd, uint64_t off, uint64_t size, char **data, size_t *cap)
{
    uint64_t found = 0;
    for (uint64_t at = off + 1; at + SPOOL_RECORD_HEADER <= size;) {
        unsigned char hdr[SPOOL_RECORD_HEADER];
        if (pread(fd, hdr, sizeof hdr, (off_t)at) != (ssize_t)sizeof hdr)
            break;
        int64_t len = get_u32(hdr + 16) < 256 ? record_at(fd, at, size, hdr, data, cap) : -1;
        if (len < 0) {
            at++;
            continue;
        }
        found++;
        at += SPOOL_RECORD_HEADER + (uint64_t)len;
    }
    return found;
}

/* Counts the valid records of seg from offset; cuts off a torn/corrupt tail
 * and counts the events it held as dropped. */
static int seg_scan(struct spool *sp, struct segment *seg, uint64_t *offset)
{
    int fd = seg_fd(sp, seg);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    uint64_t size = (uint64_t)st.st_size;
    if (*offset > size)
        *offset = 0;       /* a stale cursor: replay the segment whole */
    uint64_t off = *offset;
    char *data = NULL;
    size_t data_cap = 0;
    seg->records = 0;
    for (;;) {
        unsigned char hdr[SPOOL_RECORD_HEADER];
        int64_t len = record_at(fd, off, size, hdr, &data, &data_cap);
        if (len < 0)
            break;
        uint64_t seq = get_u64(hdr + 8);
        if (seq > sp->st.max_seq)
            sp->st.max_seq = seq;
        off += SPOOL_RECORD_HEADER + (uint64_t)len;
        seg->records++;
    }
    if (off < size) {
        /* the damaged record, plus every intact one behind it */
        uint64_t lost = 1 + count_after_damage(fd, off, size, &data, &data_cap);
        log_error("%s/%016" PRIx64 SPOOL_SUFFIX ": torn or corrupt record at byte %" PRIu64
                  "; the %" PRIu64 " bytes from there are cut off: %" PRIu64 " events lost",
                  sp->dir, seg->id, off, size - off, lost);
        sp->st.corrupt++;
        sp->st.dropped += lost;
        if (ftruncate(fd, (off_t)off) != 0) {
            free(data);
            return -1;
        }
    }
    free(data);
    seg->size = off;
    return 0;
}

/* A segment that cannot be opened or read stays on disk, untouched, and is
 * left out of the replay: the spool goes on without it (loudly). */
static void seg_unreadable(struct spool *sp, size_t i)
{
    struct segment *seg = &sp->segs[i];
    char path[4096];
    seg_path(sp, seg->id, path, sizeof path);
    struct stat st;
    long long bytes = stat(path, &st) == 0 ? (long long)st.st_size : -1;
    log_error("%s: cannot read spool segment (%s): its %lld bytes of events are NOT replayed; "
              "the file is left in place (fix it and restart to replay it)", path, strerror(errno),
              bytes);
    sp->st.unreadable++;
    seg_close_fd(seg);
    memmove(sp->segs + i, sp->segs + i + 1, (sp->nsegs - i - 1) * sizeof *sp->segs);
    sp->nsegs--;
}

static int spool_load(struct spool *sp, struct diag *diag)
{
    DIR *d = opendir(sp->dir);
    if (!d) {
        diag_error(diag, sp->dir, 0, "cannot open spool directory: %s", strerror(errno));
        return -1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n != 16 + strlen(SPOOL_SUFFIX) || strcmp(de->d_name + 16, SPOOL_SUFFIX) != 0)
            continue;
        char *end = NULL;
        uint64_t id = strtoull(de->d_name, &end, 16);
        if (end != de->d_name + 16 || segs_reserve(sp) != 0)
            continue;
        sp->segs[sp->nsegs++] = (struct segment){ .id = id, .fd = -1 };
    }
    closedir(d);
    if (sp->nsegs > 1)
        qsort(sp->segs, sp->nsegs, sizeof *sp->segs, id_compare);
    /* new segments go after every file present, readable or not */
    sp->next_id = sp->nsegs ? sp->segs[sp->nsegs - 1].id + 1 : SPOOL_FIRST_ID;
    uint64_t cursor_seg = 0;
    uint64_t cursor_off = cursor_load(sp, &cursor_seg);
    for (size_t i = 0; i < sp->nsegs;) {
        struct segment *seg = &sp->segs[i];
        uint64_t from = (i == 0 && seg->id == cursor_seg) ? cursor_off : 0;
        if (seg_scan(sp, seg, &from) != 0) {
            seg_unreadable(sp, i);
            continue;
        }
        if (i == 0)
            sp->read_off = from;
        sp->st.count += seg->records;
        sp->bytes += seg->size - (i == 0 ? from : 0);
        if (i > 0 && i + 1 < sp->nsegs)
            seg_close_fd(seg);
        i++;
    }
    return 0;
}

/* mkdir -p: the spool may sit below a log directory not created yet. */
static int make_dirs(const char *dir)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
        return -1;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* The cursor file doubles as the directory's lock: two sensors on one spool
 * would interleave records and replay each other's events.  0 locked, 1
 * held by another process, -1 no lock possible (e.g. unsupported). */
static int spool_lock(struct spool *sp)
{
    if (flock(sp->cursor_fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    return errno == EWOULDBLOCK ? 1 : -1;
}

/* Unusable directory (cannot create, open or lock it, read-only file
 * system): the sensor runs on without a spool, says so loudly, and counts
 * every event that then finds no room as dropped. */
static struct spool *spool_disable(struct spool *sp, const char *what)
{
    log_error("%s: %s: %s; running WITHOUT a spool: events Redis cannot take now are dropped "
              "and counted (stats outputs.dropped, heartbeat spool_dropped)", sp->dir, what,
              strerror(errno));
    sp->disabled = true;
    sp->st.disabled = 1;
    if (sp->cursor_fd >= 0)
        close(sp->cursor_fd);
    sp->cursor_fd = -1;
    for (size_t i = 0; i < sp->nsegs; i++)
        seg_close_fd(&sp->segs[i]);
    sp->nsegs = 0;
    sp->st.count = 0;
    sp->bytes = 0;
    return sp;
}

struct spool *spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes,
                         struct diag *diag)
{
    struct spool *sp = calloc(1, sizeof *sp);
    if (!sp)
        return NULL;
    pthread_mutex_init(&sp->lock, NULL);
    sp->cursor_fd = -1;
    sp->dir = strdup(dir);
    sp->max_bytes = max_bytes;
    sp->seg_bytes = segment_bytes ? segment_bytes : SPOOL_DEFAULT_SEG;
    if (!segment_bytes && max_bytes / 8 < sp->seg_bytes)
        sp->seg_bytes = max_bytes / 8 > 4096 ? max_bytes / 8 : 4096;
    if (!sp->dir) {
        spool_close(sp);
        return NULL;
    }
    if (make_dirs(dir) != 0)
        return spool_disable(sp, "cannot create the spool directory");
    char path[4096];
    snprintf(path, sizeof path, "%s/cursor", dir);
    sp->cursor_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (sp->cursor_fd < 0)
        return spool_disable(sp, "cannot open the spool cursor");
    int lock = spool_lock(sp);
    if (lock == 1) {
        diag_error(diag, path, 0, "the spool is in use by another xiezhi process; every instance "
                   "needs its own log directory (-l) or outputs.redis.spool.dir");
        spool_close(sp);
        return NULL;
    }
    if (lock < 0)
        return spool_disable(sp, "cannot lock the spool directory");
    struct diag quiet = { .quiet = 1 };
    if (spool_load(sp, &quiet) != 0)
        return spool_disable(sp, "cannot read the spool directory");
    if (sp->st.count)
        log_notice("%s: %" PRIu64 " spooled events to replay", dir, sp->st.count);
    return sp;
}

/* Deletes the head segment (fully delivered). */
static void head_drop(struct spool *sp)
{
    char path[4096];
    seg_path(sp, sp->segs[0].id, path, sizeof path);
    seg_close_fd(&sp->segs[0]);
    unlink(path);
    sp->bytes -= sp->segs[0].size - sp->read_off;
    memmove(sp->segs, sp->segs + 1, (sp->nsegs - 1) * sizeof *sp->segs);
    sp->nsegs--;
    sp->read_off = 0;
}

static void drop_note(struct spool *sp, const char *why)
{
    sp->st.dropped++;
    sp->drops_unlogged++;
    time_t now = time(NULL);
    if (now - sp->drop_logged_at >= 60) {
        log_warning("%s: spool %s: %" PRIu64 " events dropped (newest first) since the last report, "
                    "%" PRIu64 " in total", sp->dir, why, sp->drops_unlogged, sp->st.dropped);
        sp->drops_unlogged = 0;
        sp->drop_logged_at = now;
    }
}

/* Encodes one record at the end of *buf. */
static int encode_record(char **buf, size_t *len, size_t *cap, const struct spool_rec *rec)
{
    size_t need = *len + SPOOL_RECORD_HEADER + rec->len;
    if (need > *cap) {
        size_t c = *cap ? *cap : 1 << 16;
        while (c < need)
            c *= 2;
        char *grown = realloc(*buf, c);
        if (!grown)
            return -1;
        *buf = grown;
        *cap = c;
    }
    unsigned char hdr[SPOOL_RECORD_HEADER];
    record_header(hdr, rec);
    memcpy(*buf + *len, hdr, sizeof hdr);
    memcpy(*buf + *len + sizeof hdr, rec->data, rec->len);
    *len = need;
    return 0;
}

/* Writes len bytes at the end of seg's file (at seg->size); cut back on failure. */
static int seg_write_raw(struct spool *sp, struct segment *seg, uint64_t at, const char *data,
                         size_t len)
{
    int fd = seg_fd(sp, seg);
    if (fd < 0)
        return -1;
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(fd, data + done, len - done, (off_t)(at + done));
        if (n <= 0) {
            if (ftruncate(fd, (off_t)at) != 0)
                log_error("%s: cannot cut back a failed write: %s", sp->dir, strerror(errno));
            return -1;
        }
        done += (size_t)n;
    }
    return 0;
}

/* Writes the buffered appends of the tail segment to its file. */
static void tail_flush(struct spool *sp)
{
    if (sp->wlen == 0 || sp->nsegs == 0)
        return;
    struct segment *seg = &sp->segs[sp->nsegs - 1];
    if (seg_write_raw(sp, seg, seg->size - sp->wlen, sp->wbuf, sp->wlen) != 0) {
        log_error("%s: cannot write %zu spooled events: %s", sp->dir, sp->wrecs, strerror(errno));
        seg->size -= sp->wlen;
        seg->records -= sp->wrecs;
        sp->bytes -= sp->wlen;
        sp->st.count -= sp->wrecs;
        sp->st.appended -= sp->wrecs;
        sp->st.dropped += sp->wrecs;      /* accepted, then lost: counted as dropped */
    }
    sp->wlen = 0;
    sp->wrecs = 0;
}

static struct segment *tail_for_write(struct spool *sp)
{
    if (sp->nsegs && sp->segs[sp->nsegs - 1].size < sp->seg_bytes)
        return &sp->segs[sp->nsegs - 1];
    tail_flush(sp);
    if (segs_reserve(sp) != 0)
        return NULL;
    if (sp->nsegs > 1)
        seg_close_fd(&sp->segs[sp->nsegs - 1]);   /* keep only head and tail open */
    struct segment *seg = &sp->segs[sp->nsegs++];
    *seg = (struct segment){ .id = sp->next_id++, .fd = -1 };
    if (seg_create(sp, seg) < 0) {
        sp->nsegs--;
        return NULL;
    }
    return seg;
}

int spool_append(struct spool *sp, const struct spool_rec *rec)
{
    int rc = 0;
    pthread_mutex_lock(&sp->lock);
    if (sp->full && sp->bytes <= sp->max_bytes / 10 * 9)
        sp->full = false;
    if (!sp->full && sp->bytes + SPOOL_RECORD_HEADER + rec->len > sp->max_bytes)
        sp->full = true;
    if (sp->disabled) {
        drop_note(sp, "unusable");
        rc = -1;
    } else if (rec->len > SPOOL_MAX_RECORD || sp->full) {
        drop_note(sp, "full");
        rc = 1;
    } else {
        struct segment *seg = tail_for_write(sp);
        if (!seg || encode_record(&sp->wbuf, &sp->wlen, &sp->wcap, rec) != 0) {
            drop_note(sp, "write failed");
            rc = -1;
        } else {
            uint64_t total = SPOOL_RECORD_HEADER + rec->len;
            seg->size += total;
            seg->records++;
            sp->wrecs++;
            sp->bytes += total;
            sp->st.count++;
            sp->st.appended++;
            if (rec->seq > sp->st.max_seq)
                sp->st.max_seq = rec->seq;
            if (sp->wlen >= (256u << 10))
                tail_flush(sp);
        }
    }
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

int spool_prepend(struct spool *sp, const struct spool_rec *recs, size_t n)
{
    if (n == 0)
        return 0;
    pthread_mutex_lock(&sp->lock);
    int rc = -1;
    if (!sp->disabled && segs_reserve(sp) == 0) {
        rc = 0;
        uint64_t id = sp->nsegs ? sp->segs[0].id - 1 : sp->next_id++;
        if (sp->nsegs && sp->read_off) {
            /* the head is partly delivered: the cursor can describe only one
             * segment, so new records go behind it instead (never happens
             * with the exporter's use: it prepends only with no replay open) */
            log_error("%s: prepend with a partly replayed head; order may suffer", sp->dir);
            id = sp->next_id++;
        }
        bool front = id < (sp->nsegs ? sp->segs[0].id : UINT64_MAX);
        size_t at = front ? 0 : sp->nsegs;
        memmove(sp->segs + at + 1, sp->segs + at, (sp->nsegs - at) * sizeof *sp->segs);
        sp->nsegs++;
        sp->segs[at] = (struct segment){ .id = id, .fd = -1 };
        if (seg_create(sp, &sp->segs[at]) < 0)
            rc = -1;
        char *buf = NULL;
        size_t len = 0, cap = 0;
        for (size_t i = 0; i < n && rc == 0; i++)
            if (recs[i].len > SPOOL_MAX_RECORD || encode_record(&buf, &len, &cap, &recs[i]) != 0)
                rc = -1;
        struct segment *seg = &sp->segs[at];
        if (rc == 0 && seg_write_raw(sp, seg, seg->size, buf, len) == 0) {
            seg->size += len;
            seg->records += n;
            sp->bytes += len;
            sp->st.count += n;
            sp->st.appended += n;
            for (size_t i = 0; i < n; i++)
                if (recs[i].seq > sp->st.max_seq)
                    sp->st.max_seq = recs[i].seq;
        } else {
            rc = -1;
        }
        free(buf);
        if (seg->size == 0) {              /* nothing written: forget the segment */
            char path[4096];
            seg_path(sp, seg->id, path, sizeof path);
            if (seg->fd >= 0)              /* ours: created above */
                unlink(path);
            seg_close_fd(seg);
            memmove(sp->segs + at, sp->segs + at + 1, (sp->nsegs - at - 1) * sizeof *sp->segs);
            sp->nsegs--;
        }
        if (front)
            cursor_save(sp);
    }
    if (rc != 0) {
        log_error("%s: cannot spool %zu events: %s", sp->dir, n, strerror(errno));
        for (size_t i = 0; i < n; i++)
            drop_note(sp, "write failed");
    }
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

static int buf_reserve(struct spool *sp, size_t need)
{
    if (need <= sp->buf_cap)
        return 0;
    size_t cap = sp->buf_cap ? sp->buf_cap : 1 << 16;
    while (cap < need)
        cap *= 2;
    char *grown = realloc(sp->buf, cap);
    if (!grown)
        return -1;
    sp->buf = grown;
    sp->buf_cap = cap;
    return 0;
}

/* The head segment is damaged after pos bytes of the part being read
 * (checked at open, so a disk fault or an outside hand did it): its rest is
 * given up, counted, and never read again, so nothing loops on it. */
static void seg_cut_at(struct spool *sp, struct segment *seg, size_t n, size_t pos)
{
    uint64_t lost = seg->records > n ? seg->records - n : 0;
    log_error("%s: spool segment %016" PRIx64 " is damaged or shorter than written at byte %"
              PRIu64 "; the rest of it is skipped: %" PRIu64 " events lost", sp->dir, seg->id,
              sp->read_off + pos, lost);
    sp->st.corrupt++;
    sp->st.dropped += lost;
    sp->st.count -= lost;
    sp->bytes -= seg->size - sp->read_off - pos;
    seg->records = n;
    seg->size = sp->read_off + pos;
}

/* Reads records of the head segment from read_off into buf.  Stops at the
 * segment's end, at max records, or after about 4 MiB. */
size_t spool_peek(struct spool *sp, struct spool_rec *out, size_t max)
{
    pthread_mutex_lock(&sp->lock);
    sp->peek_count = 0;
    if (max > sizeof sp->peek_ends / sizeof sp->peek_ends[0])
        max = sizeof sp->peek_ends / sizeof sp->peek_ends[0];
    tail_flush(sp);
    while (sp->nsegs > 1 && (sp->read_off >= sp->segs[0].size || sp->segs[0].records == 0))
        head_drop(sp);   /* a delivered (or given up) head left by an earlier call */
    if (!sp->nsegs || sp->read_off >= sp->segs[0].size) {
        pthread_mutex_unlock(&sp->lock);
        return 0;
    }
    struct segment *seg = &sp->segs[0];
    if (max > seg->records)        /* never more than were written into it */
        max = (size_t)seg->records;
    int fd = seg_fd(sp, seg);
    /* read about what max records need (events are ~1 KiB), not the segment */
    uint64_t want = seg->size - sp->read_off, limit = (uint64_t)max * 2048 + 65536;
    if (want > limit)
        want = limit;
    if (fd < 0 || buf_reserve(sp, (size_t)want) != 0) {
        pthread_mutex_unlock(&sp->lock);
        return 0;
    }
    ssize_t got = pread(fd, sp->buf, (size_t)want, (off_t)sp->read_off);
    if (got < 0) {                 /* an I/O error: the caller retries later */
        pthread_mutex_unlock(&sp->lock);
        return 0;
    }
    size_t have = (size_t)got, pos = 0, n = 0;
    bool damaged = have < want;    /* the file is shorter than what was written */
    bool reread = false;
    while (n < max && pos + SPOOL_RECORD_HEADER <= have) {
        const unsigned char *hdr = (const unsigned char *)sp->buf + pos;
        uint32_t len = get_u32(hdr);
        if (pos + SPOOL_RECORD_HEADER + len > have) {
            if (n == 0 && pos == 0 && !reread && !damaged &&
                SPOOL_RECORD_HEADER + (uint64_t)len <= seg->size - sp->read_off) {
                /* a record larger than one read: read it whole, once */
                if (buf_reserve(sp, SPOOL_RECORD_HEADER + len) != 0)
                    break;
                got = pread(fd, sp->buf, SPOOL_RECORD_HEADER + len, (off_t)sp->read_off);
                have = got > 0 ? (size_t)got : 0;
                reread = true;
                damaged = have < SPOOL_RECORD_HEADER + (size_t)len;
                continue;
            }
            damaged = damaged || SPOOL_RECORD_HEADER + (uint64_t)len > seg->size - sp->read_off - pos;
            break;
        }
        if (record_crc(hdr, sp->buf + pos + SPOOL_RECORD_HEADER, len) != get_u32(hdr + 4)) {
            damaged = true;
            break;
        }
        out[n] = (struct spool_rec){
            .len = len,
            .seq = get_u64(hdr + 8),
            .type = get_u32(hdr + 16),
            .data = sp->buf + pos + SPOOL_RECORD_HEADER,
        };
        pos += SPOOL_RECORD_HEADER + len;
        sp->peek_ends[n++] = sp->read_off + pos;
    }
    /* the whole rest was read, yet records it should hold are missing */
    if (!damaged && n < max && !reread && want == seg->size - sp->read_off)
        damaged = true;
    if (damaged && n < max)
        seg_cut_at(sp, seg, n, pos);
    sp->peek_count = n;
    pthread_mutex_unlock(&sp->lock);
    return n;
}

void spool_consume(struct spool *sp, size_t n)
{
    pthread_mutex_lock(&sp->lock);
    if (n > sp->peek_count)
        n = sp->peek_count;
    if (n > 0 && sp->nsegs) {
        uint64_t end = sp->peek_ends[n - 1];
        sp->bytes -= end - sp->read_off;
        sp->read_off = end;
        sp->segs[0].records -= n;
        sp->st.count -= n;
        if (sp->read_off >= sp->segs[0].size) {
            head_drop(sp);
            if (sp->nsegs == 0) {
                sp->bytes = 0;
            }
        }
        cursor_save(sp);
    }
    sp->peek_count = 0;
    pthread_mutex_unlock(&sp->lock);
}

void spool_set_delivered(struct spool *sp, uint64_t seq)
{
    pthread_mutex_lock(&sp->lock);
    if (seq > sp->delivered) {
        sp->delivered = seq;
        cursor_save(sp);
    }
    pthread_mutex_unlock(&sp->lock);
}

uint64_t spool_delivered(struct spool *sp)
{
    pthread_mutex_lock(&sp->lock);
    uint64_t seq = sp->delivered;
    pthread_mutex_unlock(&sp->lock);
    return seq;
}

void spool_reset_delivered(struct spool *sp)
{
    pthread_mutex_lock(&sp->lock);
    sp->delivered = 0;
    cursor_save(sp);
    pthread_mutex_unlock(&sp->lock);
}

void spool_flush(struct spool *sp)
{
    pthread_mutex_lock(&sp->lock);
    tail_flush(sp);
    pthread_mutex_unlock(&sp->lock);
}

uint64_t spool_count(struct spool *sp)
{
    pthread_mutex_lock(&sp->lock);
    uint64_t n = sp->st.count;
    pthread_mutex_unlock(&sp->lock);
    return n;
}

void spool_get_stats(struct spool *sp, struct spool_stats *out)
{
    pthread_mutex_lock(&sp->lock);
    *out = sp->st;
    out->bytes = sp->bytes;
    pthread_mutex_unlock(&sp->lock);
}

void spool_close(struct spool *sp)
{
    if (!sp)
        return;
    tail_flush(sp);
    if (sp->drops_unlogged)
        log_warning("%s: %" PRIu64 " events dropped by the spool in total", sp->dir, sp->st.dropped);
    for (size_t i = 0; i < sp->nsegs; i++) {
        if (sp->segs[i].fd >= 0)
            fdatasync(sp->segs[i].fd);
        seg_close_fd(&sp->segs[i]);
    }
    if (sp->cursor_fd >= 0) {
        cursor_save(sp);
        fdatasync(sp->cursor_fd);
        close(sp->cursor_fd);
    }
    pthread_mutex_destroy(&sp->lock);
    free(sp->segs);
    free(sp->buf);
    free(sp->wbuf);
    free(sp->dir);
    free(sp);
}
