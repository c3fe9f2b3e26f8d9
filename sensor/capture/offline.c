/* Offline capture: pcap and pcapng files, directories of them (regular
 * files in byte-wise name order, dotfiles skipped), several paths one after
 * the other.  A file that cannot be opened or breaks part-way is reported
 * with its name (and packet number) and counted; the next file is read. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "capture/capture_int.h"
#include "decode/decode.h"
#include "util/array.h"

struct offline_source {
    struct capture_source base;
    char **files;
    size_t nfiles, cap, next_file;
    pcap_t *pcap;
    const char *current;          /* name of the open file */
    uint64_t file_packets;        /* packets read from the open file */
    uint64_t pcap_cnt;            /* packets read in the whole run */
    int linktype;
    bool linktype_supported;      /* decode reads it; else frames are counted */
    struct capture_stats stats;
    char *read_buffer;            /* stdio's buffer for the open file (READ_BUFFER_BYTES) */
};

static int add_file(struct offline_source *s, const char *path)
{
    if (s->nfiles == s->cap) {
        char **nf = array_grow(s->files, &s->cap, sizeof *nf, 16);
        if (!nf)
            return -1;
        s->files = nf;
    }
    if (!(s->files[s->nfiles] = strdup(path)))
        return -1;
    s->nfiles++;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the regular files of a directory, sorted by name. */
static int add_directory(struct offline_source *s, const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) {
        capture_fail(&s->base, "%s: cannot open: %s", dir, strerror(errno));
        s->stats.files_failed++;
        return 0;
    }
    size_t first = s->nfiles;
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(dh)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t n = strlen(dir) + strlen(de->d_name) + 2;
        char *path = malloc(n);
        if (!path) {
            rc = -1;
            break;
        }
        snprintf(path, n, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", de->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = add_file(s, path);
        free(path);
    }
    closedir(dh);
    if (s->nfiles > first)
        qsort(s->files + first, s->nfiles - first, sizeof *s->files, cmp_names);
    return rc;
}

static void close_current(struct offline_source *s)
{
    if (s->pcap)
        pcap_close(s->pcap);
    s->pcap = NULL;
}

/* libpcap reads a file through stdio one record at a time; stdio's default
 * 4 KiB buffer made that one read(2) every few packets, about a tenth of
 * the CPU time of a run over a large capture.  128 KiB: one per a few
 * hundred packets, past which the reads no longer show in a profile; more
 * only adds resident memory once a large file has filled it. */
#define READ_BUFFER_BYTES (128u << 10)

/* (glibc's setvbuf ignores the size unless given the buffer itself, so the
 * source owns it, one for every file in turn; libpcap closes the FILE.) */
static pcap_t *open_file(struct offline_source *s, const char *path, char *errbuf)
{
    FILE *fp = strcmp(path, "-") != 0 ? fopen(path, "rb") : NULL;
    if (fp && !s->read_buffer)
        s->read_buffer = malloc(READ_BUFFER_BYTES);
    if (fp && s->read_buffer)
        setvbuf(fp, s->read_buffer, _IOFBF, READ_BUFFER_BYTES);
    if (!fp)        /* libpcap's own open: stdin, and its words for the error */
        return pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
    if (!p)
        fclose(fp);
    return p;
}

/* Opens the next file that can be opened; 0 when none is left. */
static int open_next(struct offline_source *s)
{
    char errbuf[PCAP_ERRBUF_SIZE];
    while (s->next_file < s->nfiles) {
        const char *path = s->files[s->next_file++];
        errbuf[0] = '\0';
        s->pcap = open_file(s, path, errbuf);
        if (!s->pcap) {
            capture_fail(&s->base, "%s: cannot open: %s", path, errbuf);
            s->stats.files_failed++;
            continue;
        }
        s->current = path;
        s->file_packets = 0;
        s->linktype = pcap_datalink(s->pcap);
        s->linktype_supported = decode_linktype_supported(s->linktype) != 0;
        s->stats.files_read++;
        return 1;
    }
    return 0;
}

static enum capture_status offline_next(struct capture_source *base, struct capture_packet *pkt)
{
    struct offline_source *s = (struct offline_source *)base;
    for (;;) {
        if (!s->pcap && !open_next(s))
            return CAPTURE_END;
        struct pcap_pkthdr *hdr;
        const u_char *data;
        int r = pcap_next_ex(s->pcap, &hdr, &data);
        if (r == 1) {
            s->file_packets++;
            capture_take_record(pkt, hdr, data, s->linktype, s->linktype_supported,
                                &s->pcap_cnt, &s->stats);
            return CAPTURE_OK;
        }
        if (r != PCAP_ERROR_BREAK) {
            capture_fail(base, "%s: packet %" PRIu64 ": %s", s->current, s->file_packets + 1,
                         pcap_geterr(s->pcap));
            s->stats.files_failed++;
        }
        close_current(s);
    }
}

static void offline_stats(struct capture_source *base, struct capture_stats *out)
{
    *out = ((struct offline_source *)base)->stats;
}

static void offline_close(struct capture_source *base)
{
    struct offline_source *s = (struct offline_source *)base;
    close_current(s);
    free(s->read_buffer);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i]);
    free(s->files);
    free(s);
}

static const struct capture_source_ops offline_ops = {
    .next = offline_next,
    .stats = offline_stats,
    .close = offline_close,
};

int capture_open_offline(struct capture_source **out, const char *const *paths, size_t npaths)
{
    *out = NULL;
    struct offline_source *s = calloc(1, sizeof *s);
    if (!s)
        return -1;
    s->base.ops = &offline_ops;
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        int rc = (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode)) ? add_directory(s, paths[i])
                                                                  : add_file(s, paths[i]);
        if (rc < 0) {
            offline_close(&s->base);
            return -1;
        }
    }
    *out = &s->base;
    return 0;
}
