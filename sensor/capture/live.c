/* Live capture from one interface: pcap_create + options + pcap_activate,
 * an optional BPF filter, and kernel drop counters from pcap_stats (which
 * are 32-bit and wrap, so they are accumulated as deltas). */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture/capture_int.h"
#include "config/config.h"
#include "decode/decode.h"
#include "util/log.h"

#ifdef __linux__
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#endif

enum { LIVE_DEFAULT_SNAPLEN = 65535, LIVE_DEFAULT_TIMEOUT_MS = 100 };

struct live_source {
    struct capture_source base;
    pcap_t *pcap;
    char *interface;
    int linktype;
    bool linktype_supported;
    uint64_t pcap_cnt;
    struct capture_stats stats;
    unsigned last_drop, last_ifdrop;  /* raw pcap_stats values seen last */
    int fd;                           /* selectable descriptor, -1 if none */
    int timeout_ms;
};

void capture_live_config_load(struct capture_live_config *out, const struct config *cfg, const char *iface,
                              struct diag *diag)
{
    memset(out, 0, sizeof *out);
    out->interface = iface;
    out->snaplen = (int)config_get_int(cfg, "capture.snaplen", LIVE_DEFAULT_SNAPLEN, 64, 262144, diag);
    out->promisc = config_get_bool(cfg, "capture.promisc", true, diag);
    out->buffer_size = (int)config_get_size(cfg, "capture.buffer-size", 0, 0, (int64_t)1 << 30, diag);
    out->immediate = config_get_bool(cfg, "capture.immediate", false, diag);
    out->timeout_ms = LIVE_DEFAULT_TIMEOUT_MS;
    out->bpf = config_get_str(cfg, "capture.bpf", "");
    const char *fanout = config_get_str(cfg, "capture.fanout", "host-pair");
    if (strcmp(fanout, "flow") == 0) {
        out->fanout = CAPTURE_FANOUT_FLOW;
    } else if (strcmp(fanout, "host-pair") == 0) {
        out->fanout = CAPTURE_FANOUT_HOST_PAIR;
    } else {
        unsigned line = 0;
        const char *origin = config_origin(cfg, "capture.fanout", &line);
        diag_error(diag, origin, line, "capture.fanout: '%s' is not one of host-pair, flow", fanout);
    }
}

static void live_poll_stats(struct live_source *s)
{
    struct pcap_stat ps;
    if (!s->pcap || pcap_stats(s->pcap, &ps) != 0)
        return;
    s->stats.kernel_drops += (unsigned)(ps.ps_drop - s->last_drop);
    s->stats.interface_drops += (unsigned)(ps.ps_ifdrop - s->last_ifdrop);
    s->last_drop = ps.ps_drop;
    s->last_ifdrop = ps.ps_ifdrop;
}

/* The handle is non-blocking and the wait is ours: with TPACKET_V3 libpcap
 * blocks until the kernel retires a block, and the kernel never retires an
 * empty one, so a blocking read on a quiet link would never time out (no
 * flow expiry, no rule swap, no stop).  Returns pcap_next_ex's result. */
static int live_read(struct live_source *s, struct pcap_pkthdr **hdr, const u_char **data)
{
    int r = pcap_next_ex(s->pcap, hdr, data);
    if (r != 0 || s->fd < 0)
        return r;
    struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
    if (poll(&pfd, 1, s->timeout_ms) <= 0)
        return 0;
    return pcap_next_ex(s->pcap, hdr, data);
}

static enum capture_status live_next(struct capture_source *base, struct capture_packet *pkt)
{
    struct live_source *s = (struct live_source *)base;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    if (base->interrupted)
        return CAPTURE_END;
    int r = live_read(s, &hdr, &data);
    if (r == 1) {
        capture_take_record(pkt, hdr, data, s->linktype, s->linktype_supported, &s->pcap_cnt,
                            &s->stats);
        return CAPTURE_OK;
    }
    if (r == 0)
        return CAPTURE_TIMEOUT;
    if (r == PCAP_ERROR_BREAK)
        return CAPTURE_END;
    capture_fail(base, "%s: %s", s->interface, pcap_geterr(s->pcap));
    return CAPTURE_ERROR;
}

static void live_stats(struct capture_source *base, struct capture_stats *out)
{
    struct live_source *s = (struct live_source *)base;
    live_poll_stats(s);
    *out = s->stats;
}

static void live_interrupt(struct capture_source *base)
{
    struct live_source *s = (struct live_source *)base;
    if (s->pcap)
        pcap_breakloop(s->pcap);
}

static void live_close(struct capture_source *base)
{
    struct live_source *s = (struct live_source *)base;
    if (s->pcap)
        pcap_close(s->pcap);
    free(s->interface);
    free(s);
}

static const struct capture_source_ops live_ops = {
    .next = live_next,
    .stats = live_stats,
    .close = live_close,
    .interrupt = live_interrupt,
};

#ifdef PACKET_FANOUT
/* A classic BPF program for PACKET_FANOUT_CBPF: XOR of the IPv4 or IPv6
 * source and destination addresses (symmetric), mixed by a multiply; the
 * kernel takes it modulo the number of handles.  Loads are relative to the
 * network header (SKF_NET_OFF), so a stripped VLAN tag does not matter;
 * fragments carry the addresses too.  Anything else goes to the first handle. */
#define NET(off) ((uint32_t)(SKF_NET_OFF + (off)))
static const struct sock_filter host_pair_prog[] = {
    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_PROTOCOL)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x0800, 0, 5),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),     /* IPv4 source */
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(16)),     /* IPv4 destination */
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    BPF_JUMP(BPF_JMP | BPF_JA, 23, 0, 0),            /* to mix */
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 25),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(8)),      /* IPv6 source, 4 words */
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(12)),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(16)),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(20)),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(24)),     /* IPv6 destination */
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(28)),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(32)),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    BPF_STMT(BPF_MISC | BPF_TAX, 0),
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NET(36)),
    BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
    /* mix: */
    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 2654435761u),
    BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 16),
    BPF_STMT(BPF_RET | BPF_A, 0),
    BPF_STMT(BPF_RET | BPF_K, 0),
};
#undef NET
#endif

/* Joins the fanout group.  The flow mode uses PACKET_FANOUT_HASH, the
 * kernel's flow hash, which orders addresses and ports before hashing (so
 * it is symmetric); the defrag flag keeps fragments with their flow. */
static const char *live_join_fanout(pcap_t *p, const struct capture_live_config *cfg, char *buf,
                                    size_t len)
{
#ifdef PACKET_FANOUT
    int fd = pcap_fileno(p);
    int mode = cfg->fanout == CAPTURE_FANOUT_FLOW ? PACKET_FANOUT_HASH | PACKET_FANOUT_FLAG_DEFRAG
                                                  : PACKET_FANOUT_CBPF;
    int arg = (cfg->fanout_group & 0xffff) | (mode << 16);
    if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) {
        snprintf(buf, len, "%s: cannot join fanout group %d: %s", cfg->interface,
                 cfg->fanout_group, strerror(errno));
        return buf;
    }
    if (cfg->fanout == CAPTURE_FANOUT_HOST_PAIR) {
        struct sock_fprog prog = {
            .len = sizeof host_pair_prog / sizeof host_pair_prog[0],
            .filter = (struct sock_filter *)host_pair_prog,
        };
        if (setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof prog) < 0) {
            snprintf(buf, len, "%s: cannot set the fanout program: %s", cfg->interface,
                     strerror(errno));
            return buf;
        }
    }
    return NULL;
#else
    (void)p;
    snprintf(buf, len, "%s: PACKET_FANOUT is not available on this system", cfg->interface);
    return buf;
#endif
}

/* Applies the options and activates; returns NULL or an error text. */
static const char *live_activate(struct live_source *s, const struct capture_live_config *cfg, char *buf,
                                 size_t len)
{
    pcap_t *p = s->pcap;
    pcap_set_snaplen(p, cfg->snaplen > 0 ? cfg->snaplen : LIVE_DEFAULT_SNAPLEN);
    pcap_set_promisc(p, cfg->promisc);
    pcap_set_timeout(p, cfg->timeout_ms > 0 ? cfg->timeout_ms : LIVE_DEFAULT_TIMEOUT_MS);
    if (cfg->buffer_size > 0)
        pcap_set_buffer_size(p, cfg->buffer_size);
    if (cfg->immediate)
        pcap_set_immediate_mode(p, 1);
    int r = pcap_activate(p);
    if (r < 0) {
        const char *status = pcap_statustostr(r), *detail = pcap_geterr(p);
        if (!detail[0] || strcmp(status, detail) == 0)
            snprintf(buf, len, "%s: cannot capture: %s", cfg->interface, status);
        else
            snprintf(buf, len, "%s: cannot capture: %s (%s)", cfg->interface, status, detail);
        return buf;
    }
    if (r > 0)
        log_warning("%s: %s (%s)", cfg->interface, pcap_statustostr(r), pcap_geterr(p));
    if (cfg->fanout_group > 0) {
        const char *problem = live_join_fanout(p, cfg, buf, len);
        if (problem)
            return problem;
    }
    if (cfg->bpf && cfg->bpf[0]) {
        struct bpf_program prog;
        if (pcap_compile(p, &prog, cfg->bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
            snprintf(buf, len, "%s: bad BPF filter '%s': %s", cfg->interface, cfg->bpf, pcap_geterr(p));
            return buf;
        }
        r = pcap_setfilter(p, &prog);
        pcap_freecode(&prog);
        if (r < 0) {
            snprintf(buf, len, "%s: cannot set BPF filter: %s", cfg->interface, pcap_geterr(p));
            return buf;
        }
    }
    s->linktype = pcap_datalink(p);
    s->linktype_supported = decode_linktype_supported(s->linktype) != 0;
    s->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : LIVE_DEFAULT_TIMEOUT_MS;
    s->fd = pcap_get_selectable_fd(p);
    if (s->fd >= 0 && pcap_setnonblock(p, 1, buf) < 0)
        s->fd = -1;
    return NULL;
}

int capture_open_live(struct capture_source **out, const struct capture_live_config *cfg, char *err,
                      size_t errlen)
{
    *out = NULL;
    char msg[PCAP_ERRBUF_SIZE + 512];
    char pcap_err[PCAP_ERRBUF_SIZE] = "";
    struct live_source *s = calloc(1, sizeof *s);
    const char *problem = NULL;
    if (!s || !(s->interface = strdup(cfg->interface ? cfg->interface : ""))) {
        problem = "out of memory";
    } else {
        s->base.ops = &live_ops;
        s->pcap = pcap_create(cfg->interface, pcap_err);
        if (!s->pcap) {
            snprintf(msg, sizeof msg, "%s: cannot capture: %s", cfg->interface, pcap_err);
            problem = msg;
        } else {
            problem = live_activate(s, cfg, msg, sizeof msg);
        }
    }
    if (problem) {
        log_error("%s", problem);
        if (err && errlen)
            snprintf(err, errlen, "%s", problem);
        if (s)
            live_close(&s->base);
        return -1;
    }
    *out = &s->base;
    return 0;
}
