/* Capture sources: where packets come from.  A source yields raw frames with
 * their timestamp, lengths and link type; offline files, directories and live
 * interfaces all implement the same small interface (struct capture_source_ops). */
#ifndef XIEZHI_CAPTURE_H
#define XIEZHI_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One frame as captured.  data is valid until the next capture_next() call. */
struct capture_packet {
    uint64_t ts_usec;          /* packet time, microseconds since the epoch */
    uint32_t caplen;           /* bytes in data */
    uint32_t wirelen;          /* bytes on the wire */
    int linktype;              /* DLT_* of the source */
    uint64_t pcap_cnt;         /* 1-based index within the run (EVE pcap_cnt) */
    const uint8_t *data;
};

enum capture_status {
    CAPTURE_OK,                /* *pkt filled */
    CAPTURE_TIMEOUT,           /* live: nothing right now, call again */
    CAPTURE_END,               /* all input read */
    CAPTURE_ERROR,             /* fatal for this source; message logged */
};

struct capture_stats {
    uint64_t packets;          /* frames handed out */
    uint64_t bytes;
    uint64_t kernel_drops;     /* live: pcap_stats ps_drop */
    uint64_t interface_drops;  /* live: pcap_stats ps_ifdrop */
    uint64_t files_read;       /* offline */
    uint64_t files_failed;     /* offline: could not open or corrupt part-way */
    uint64_t unsupported_linktype; /* frames of a link type decode cannot read */
};

struct capture_source;

/* Offline: path is a pcap/pcapng file or a directory (files read in name
 * order).  Several paths (repeated -r) are read one after the other.  A file
 * that cannot be opened or is corrupt part-way is reported ("file: packet N:
 * ...") and counted; the remaining files are still read. */
int capture_open_offline(struct capture_source **out, const char *const *paths, size_t npaths);

/* Live: one interface through libpcap (pcap_create/pcap_activate). */
struct capture_live_config {
    const char *interface;
    int snaplen;               /* bytes kept per frame; <= 0: 65535 */
    bool promisc;
    int buffer_size;           /* kernel buffer in bytes; <= 0: libpcap's default */
    int timeout_ms;            /* read timeout; <= 0: 100 ms */
    bool immediate;            /* deliver each frame at once (no batching) */
    const char *bpf;           /* a BPF filter, NULL or "" for none */
    int fanout_group;          /* > 0: join this PACKET_FANOUT group so several
                                * handles on one interface share its traffic
                                * (both directions of a flow on one handle);
                                * 0: none */
    enum capture_fanout {
        CAPTURE_FANOUT_HOST_PAIR,  /* by the IP address pair: all flows between two
                                    * hosts on one handle (scans, brute force) */
        CAPTURE_FANOUT_FLOW,       /* the kernel's symmetric 5-tuple hash */
    } fanout;
};
struct config;
struct diag;
/* Fills cfg for iface from capture.snaplen, capture.promisc,
 * capture.buffer-size, capture.immediate, capture.bpf and capture.fanout
 * (host-pair | flow). */
void capture_live_config_load(struct capture_live_config *out, const struct config *cfg, const char *iface,
                              struct diag *diag);
/* Returns 0, or -1 with one message naming the interface (no such device,
 * permission, bad filter) logged and, when err is not NULL, copied there. */
int capture_open_live(struct capture_source **out, const struct capture_live_config *cfg, char *err,
                      size_t errlen);

enum capture_status capture_next(struct capture_source *src, struct capture_packet *pkt);
void capture_get_stats(struct capture_source *src, struct capture_stats *out);
/* Non-zero when any input failed (offline runs then exit 1). */
int capture_had_errors(const struct capture_source *src);
void capture_close(struct capture_source *src);
/* Makes a blocked or future capture_next() return CAPTURE_END (from a signal
 * handler too: it only sets flags / calls pcap_breakloop). */
void capture_interrupt(struct capture_source *src);
/* The most recent error message of the source ("" if none), for tests and
 * the final summary. */
const char *capture_last_error(const struct capture_source *src);

#endif
