/* SSH parser: the version banners ("SSH-2.0-OpenSSH_9.2p1 Debian") and each
 * side's KEXINIT, for ssh.proto/ssh.software and the HASSH fingerprints
 * (Salesforce: MD5 of "kex;ciphers;macs;compression" as the side offers
 * them).  Hand-written because no Debian library parses SSH passively
 * (libssh parses only as an endpoint).  After NEWKEYS a direction is
 * ciphertext and is no longer read.  Bounded: lines of 255 bytes, packets of
 * 35000 bytes (RFC 4253 6.1), malformed input counted. */
#ifndef XIEZHI_APPLAYER_SSH_H
#define XIEZHI_APPLAYER_SSH_H

#include <stdbool.h>
#include <stdint.h>

#include "applayer/pdu_buf.h"
#include "flow/flow.h"

#define SSH_LINE_MAX 255
#define SSH_PACKET_MAX 35000u
#define SSH_HASSH_MAX 2048
#define SSH_MAX_PRE_BANNER_LINES 32

struct ssh_side {
    bool banner, kexinit, newkeys;
    char proto_version[32];         /* "2.0" */
    char software_version[SSH_LINE_MAX + 1];   /* "OpenSSH_9.2p1" (no comment) */
    char comment[SSH_LINE_MAX + 1];
    char hassh_string[SSH_HASSH_MAX], hassh[33];
};

enum ssh_malformed {
    SSH_BAD_BANNER,         /* line too long, no "SSH-" banner, bad version field */
    SSH_BAD_PACKET,         /* packet or padding length out of range */
    SSH_BAD_KEXINIT,        /* name-lists past the payload */
    SSH_GAP,
    SSH_MALFORMED_KINDS
};

struct ssh_counters {
    uint64_t banners, packets, kexinits;
    uint64_t malformed[SSH_MALFORMED_KINDS];
};

enum ssh_progress { SSH_BANNER = 1, SSH_KEXINIT = 2, SSH_NEWKEYS = 3 };

struct ssh_state;
struct ssh_sink {
    void (*progress)(void *ctx, const struct ssh_state *s, enum ssh_progress what,
                     enum flow_direction dir);
    void *ctx;
};

struct ssh_state {
    struct ssh_sink sink;
    struct ssh_side side[2];        /* [FLOW_TOSERVER] client, [FLOW_TOCLIENT] server */
    struct pdu_buf buf[2];
    unsigned pre_banner_lines[2];
    bool dead[2];
    struct ssh_counters counters;
};

void ssh_state_init(struct ssh_state *s, const struct ssh_sink *sink);
void ssh_state_free(struct ssh_state *s);
/* 0, or -1 once the direction is no longer parsed (counted). */
int ssh_parse(struct ssh_state *s, enum flow_direction dir, const uint8_t *data, uint32_t len,
              unsigned flags);
static inline bool ssh_encrypted(const struct ssh_state *s, enum flow_direction dir)
{
    return s->side[dir == FLOW_TOCLIENT].newkeys;
}

#endif
