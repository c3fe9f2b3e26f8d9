/* The capture source interface behind capture.h: every kind of source (a
 * list of files, a live interface) embeds struct capture_source first and
 * supplies an ops table.  Only sensor/capture/ includes this file. */
#ifndef XIEZHI_CAPTURE_INT_H
#define XIEZHI_CAPTURE_INT_H

#include <pcap/pcap.h>
#include <stdbool.h>

#include "capture/capture.h"

struct capture_source_ops {
    enum capture_status (*next)(struct capture_source *src, struct capture_packet *pkt);
    void (*stats)(struct capture_source *src, struct capture_stats *out);
    void (*close)(struct capture_source *src);
    void (*interrupt)(struct capture_source *src);   /* may be NULL */
};

struct capture_source {
    const struct capture_source_ops *ops;
    int had_errors;
    volatile int interrupted;
    char last_error[512];
};

/* Logs an error, keeps it as last_error and marks the run as failed. */
__attribute__((format(printf, 2, 3)))
void capture_fail(struct capture_source *src, const char *fmt, ...);

/* What every libpcap-backed source does with one record: fill pkt (pcap_cnt
 * runs over the whole run) and count it, including frames of a link type
 * decode cannot read. */
void capture_take_record(struct capture_packet *pkt, const struct pcap_pkthdr *hdr,
                         const u_char *data, int linktype, bool linktype_supported,
                         uint64_t *pcap_cnt, struct capture_stats *stats);

#endif
