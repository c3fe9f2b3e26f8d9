/* Classification with nDPI 4.2: one detection module per worker, one nDPI
 * flow state per flow, allocated when the flow first carries payload and
 * freed as soon as detection (and nDPI's extra dissection) is done. */
#ifndef XIEZHI_CLASSIFY_H
#define XIEZHI_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify/result.h"
#include "decode/packet.h"
#include "flow/flow.h"

struct classifier;

struct classify_stats {
    uint64_t states_allocated;     /* nDPI flow states ever allocated */
    uint64_t states_live;          /* currently allocated */
    uint64_t detected;             /* flows classified by dissection */
    uint64_t given_up;             /* flows decided by ndpi_detection_giveup */
    uint64_t unknown;              /* flows still unknown at their end */
    uint64_t meta_bytes;           /* bytes held in flow_meta blobs now */
    uint64_t meta_allocated;       /* flow_meta blobs ever made */
    uint64_t meta_bytes_total;     /* their total size (average = total / allocated) */
    uint64_t meta_pool_bytes;      /* interned values shared by all flows (bounded) */
};

/* Bytes the classifier holds for flows now: nDPI states and metadata. */
uint64_t classify_state_bytes(const struct classifier *c);

struct classifier *classifier_new(void);
void classifier_free(struct classifier *c);

/* Feeds one packet of the flow to nDPI while detection is not complete. */
void classify_packet(struct classifier *c, struct flow *flow, const struct packet *pkt,
                     enum flow_direction dir);
/* At flow end: give up on undetected flows, free the nDPI state. */
void classify_flow_end(struct classifier *c, struct flow *flow);
/* Frees what classify still holds on the flow (its metadata).  Metadata
 * strings may point into the classifier's pool: release every flow before
 * classifier_free. */
void classify_flow_release(struct flow *flow);

const struct classify_stats *classifier_stats(const struct classifier *c);

/* Names as ndpiReader prints them: "DNS.Google", "TLS", "Unknown". */
const char *classify_protocol_name(const struct classifier *c, const struct classify_result *r,
                                   char *buf, size_t len);
/* EVE app_proto: Suricata's names where they exist (http, tls, dns, ssh,
 * smb, ...), nDPI's name in lower case otherwise, "failed" when unknown. */
const char *classify_app_proto(const struct classifier *c, const struct classify_result *r);
const char *classify_category_name(const struct classifier *c, const struct classify_result *r);
const char *classify_confidence_name(const struct classify_result *r);
/* True once nDPI has detected, by inspection, a protocol that encrypts what
 * follows its handshake (TLS and protocols over it, DTLS, QUIC, SSH) and
 * detection is over: payload bytes from then on are ciphertext. */
bool classify_payload_encrypted(const struct classify_result *r);

/* Risk bits set in r->risk, as nDPI's enum names without prefix
 * (e.g. "TLS_SELFSIGNED_CERTIFICATE"): fills names, returns the count. */
size_t classify_risk_names(uint64_t risk, const char **names, size_t max);
/* For rule keywords: a protocol name ("TLS", "DNS", "Google") -> nDPI id,
 * and a risk name ("NDPI_TLS_SELFSIGNED_CERTIFICATE" or without NDPI_) -> bit
 * number; -1 when unknown. */
int classify_protocol_id(const struct classifier *c, const char *name);
int classify_risk_id(const char *name);

#endif
