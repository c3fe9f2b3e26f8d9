/* The generic side of capture sources: dispatch through the ops table and
 * the error bookkeeping every source shares. */
#include "capture/capture_int.h"

#include <stdarg.h>
#include <stdio.h>

#include "util/log.h"

void capture_fail(struct capture_source *src, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(src->last_error, sizeof src->last_error, fmt, ap);
    va_end(ap);
    src->had_errors = 1;
    log_error("%s", src->last_error);
}

enum capture_status capture_next(struct capture_source *src, struct capture_packet *pkt)
{
    if (src->interrupted)
        return CAPTURE_END;
    return src->ops->next(src, pkt);
}

void capture_interrupt(struct capture_source *src)
{
    src->interrupted = 1;
    if (src->ops->interrupt)
        src->ops->interrupt(src);
}

void capture_get_stats(struct capture_source *src, struct capture_stats *out)
{
    src->ops->stats(src, out);
}

int capture_had_errors(const struct capture_source *src)
{
    return src->had_errors;
}

const char *capture_last_error(const struct capture_source *src)
{
    return src->last_error;
}

void capture_close(struct capture_source *src)
{
    if (src)
        src->ops->close(src);
}

void capture_take_record(struct capture_packet *pkt, const struct pcap_pkthdr *hdr,
                         const u_char *data, int linktype, bool linktype_supported,
                         uint64_t *pcap_cnt, struct capture_stats *stats)
{
    pkt->ts_usec = (uint64_t)hdr->ts.tv_sec * 1000000u + (uint64_t)hdr->ts.tv_usec;
    pkt->caplen = hdr->caplen;
    pkt->wirelen = hdr->len;
    pkt->linktype = linktype;
    pkt->pcap_cnt = ++*pcap_cnt;
    pkt->data = data;
    stats->packets++;
    stats->bytes += hdr->caplen;
    if (!linktype_supported)
        stats->unsupported_linktype++;
}
