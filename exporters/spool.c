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
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

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
    int cursor_fd;
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
    time_t drop_logged_at;
};

/* ---- CRC-32 (IEEE), table built on first use ---- */

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t spool_crc32(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < len; i++)
        crc = crc_table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
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
    size_t cap = sp->cap ? sp->cap * 2 : 16;
    struct segment *grown = realloc(sp->segs, cap * sizeof *grown);
    if (!grown)
        return -1;
    sp->segs = grown;
    sp->cap = cap;
    return 0;
}

static void cursor_save(struct spool *sp)
{
    unsigned char rec[20];
    put_u64(rec, sp->nsegs ? sp->segs[0].id : 0);
    put_u64(rec + 8, sp->read_off);
    put_u32(rec + 16, spool_crc32(0, rec, 16));
    if (sp->cursor_fd >= 0 && pwrite(sp->cursor_fd, rec, sizeof rec, 0) != (ssize_t)sizeof rec)
        log_warning("%s/cursor: cannot save the spool position: %s", sp->dir, strerror(errno));
}

/* Reads the stored position; 0 if none or not valid. */
static uint64_t cursor_load(struct spool *sp, uint64_t *seg_id)
{
    unsigned char rec[20];
    *seg_id = 0;
    if (pread(sp->cursor_fd, rec, sizeof rec, 0) != (ssize_t)sizeof rec)
        return 0;
    if (get_u32(rec + 16) != spool_crc32(0, rec, 16))
        return 0;
    *seg_id = get_u64(rec);
    return get_u64(rec + 8);
}

static int id_compare(const void *a, const void *b)
{
    uint64_t x = ((const struct segment *)a)->id, y = ((const struct segment *)b)->id;
    return x < y ? -1 : x > y;
}

/* Counts the valid records of seg from offset; cuts off a torn/corrupt tail. */
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
    while (off + SPOOL_RECORD_HEADER <= size) {
        unsigned char hdr[SPOOL_RECORD_HEADER];
        if (pread(fd, hdr, sizeof hdr, (off_t)off) != (ssize_t)sizeof hdr)
            break;
        uint32_t len = get_u32(hdr);
        if (len > SPOOL_MAX_RECORD || off + SPOOL_RECORD_HEADER + len > size)
            break;
        if (len > data_cap) {
            char *grown = realloc(data, len);
            if (!grown)
                break;
            data = grown;
            data_cap = len;
        }
        if (len && pread(fd, data, len, (off_t)(off + SPOOL_RECORD_HEADER)) != (ssize_t)len)
            break;
        if (record_crc(hdr, data, len) != get_u32(hdr + 4))
            break;
        off += SPOOL_RECORD_HEADER + len;
        seg->records++;
    }
    free(data);
    if (off < size) {
        log_warning("%s/%016" PRIx64 SPOOL_SUFFIX ": torn or corrupt record at byte %" PRIu64
                    "; %" PRIu64 " bytes after it ignored", sp->dir, seg->id, off, size - off);
        sp->st.corrupt++;
        if (ftruncate(fd, (off_t)off) != 0)
            return -1;
    }
    seg->size = off;
    return 0;
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
    qsort(sp->segs, sp->nsegs, sizeof *sp->segs, id_compare);
    uint64_t cursor_seg = 0;
    uint64_t cursor_off = cursor_load(sp, &cursor_seg);
    for (size_t i = 0; i < sp->nsegs; i++) {
        struct segment *seg = &sp->segs[i];
        uint64_t from = (i == 0 && seg->id == cursor_seg) ? cursor_off : 0;
        if (seg_scan(sp, seg, &from) != 0) {
            diag_error(diag, sp->dir, 0, "cannot read spool segment %016" PRIx64 ": %s",
                       seg->id, strerror(errno));
            return -1;
        }
        if (i == 0)
            sp->read_off = from;
        sp->st.count += seg->records;
        sp->bytes += seg->size - (i == 0 ? from : 0);
        if (i > 0 && i + 1 < sp->nsegs)
            seg_close_fd(seg);
    }
    sp->next_id = sp->nsegs ? sp->segs[sp->nsegs - 1].id + 1 : SPOOL_FIRST_ID;
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

struct spool *spool_open(const char *dir, uint64_t max_bytes, uint64_t segment_bytes,
                         struct diag *diag)
{
    if (make_dirs(dir) != 0) {
        diag_error(diag, dir, 0, "cannot create spool directory: %s", strerror(errno));
        return NULL;
    }
    struct spool *sp = calloc(1, sizeof *sp);
    if (!sp)
        return NULL;
    pthread_mutex_init(&sp->lock, NULL);
    sp->dir = strdup(dir);
    sp->max_bytes = max_bytes;
    sp->seg_bytes = segment_bytes ? segment_bytes : SPOOL_DEFAULT_SEG;
    if (!segment_bytes && max_bytes / 8 < sp->seg_bytes)
        sp->seg_bytes = max_bytes / 8 > 4096 ? max_bytes / 8 : 4096;
    char path[4096];
    snprintf(path, sizeof path, "%s/cursor", dir);
    sp->cursor_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (!sp->dir || sp->cursor_fd < 0 || spool_load(sp, diag) != 0) {
        if (sp->cursor_fd < 0)
            diag_error(diag, path, 0, "cannot open: %s", strerror(errno));
        spool_close(sp);
        return NULL;
    }
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
        sp->st.dropped += sp->wrecs;
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
    if (seg_fd(sp, seg) < 0) {
        sp->nsegs--;
        return NULL;
    }
    return seg;
}

int spool_append(struct spool *sp, const struct spool_rec *rec)
{
    int rc = 0;
    pthread_mutex_lock(&sp->lock);
    if (rec->len > SPOOL_MAX_RECORD ||
        sp->bytes + SPOOL_RECORD_HEADER + rec->len > sp->max_bytes) {
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
    if (segs_reserve(sp) == 0) {
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
        char *buf = NULL;
        size_t len = 0, cap = 0;
        rc = 0;
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
        } else {
            rc = -1;
        }
        free(buf);
        if (seg->size == 0) {              /* nothing written: forget the segment */
            char path[4096];
            seg_path(sp, seg->id, path, sizeof path);
            seg_close_fd(seg);
            unlink(path);
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

/* Reads records of the head segment from read_off into buf.  Stops at the
 * segment's end, at max records, or after about 4 MiB. */
size_t spool_peek(struct spool *sp, struct spool_rec *out, size_t max)
{
    pthread_mutex_lock(&sp->lock);
    sp->peek_count = 0;
    if (max > sizeof sp->peek_ends / sizeof sp->peek_ends[0])
        max = sizeof sp->peek_ends / sizeof sp->peek_ends[0];
    tail_flush(sp);
    while (sp->nsegs && sp->read_off >= sp->segs[0].size && sp->nsegs > 1)
        head_drop(sp);   /* a delivered head left by an earlier consume */
    if (!sp->nsegs || sp->read_off >= sp->segs[0].size) {
        pthread_mutex_unlock(&sp->lock);
        return 0;
    }
    struct segment *seg = &sp->segs[0];
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
    size_t have = got > 0 ? (size_t)got : 0, pos = 0, n = 0;
    while (n < max && pos + SPOOL_RECORD_HEADER <= have) {
        const unsigned char *hdr = (const unsigned char *)sp->buf + pos;
        uint32_t len = get_u32(hdr);
        if (pos + SPOOL_RECORD_HEADER + len > have) {
            if (n == 0 && pos == 0 && SPOOL_RECORD_HEADER + (uint64_t)len <= seg->size - sp->read_off) {
                /* a record larger than one read: read it whole */
                if (buf_reserve(sp, SPOOL_RECORD_HEADER + len) != 0)
                    break;
                got = pread(fd, sp->buf, SPOOL_RECORD_HEADER + len, (off_t)sp->read_off);
                have = got > 0 ? (size_t)got : 0;
                continue;
            }
            break;
        }
        if (record_crc(hdr, sp->buf + pos + SPOOL_RECORD_HEADER, len) != get_u32(hdr + 4)) {
            /* written by this process and checked at open, so only a disk
             * fault gets here: skip the rest of the segment, never loop */
            log_error("%s: corrupt spool record; rest of segment %016" PRIx64 " skipped",
                      sp->dir, seg->id);
            sp->st.corrupt++;
            sp->st.count -= seg->records - n;
            sp->bytes -= seg->size - sp->read_off - pos;
            seg->records = n;
            seg->size = sp->read_off + pos;
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
