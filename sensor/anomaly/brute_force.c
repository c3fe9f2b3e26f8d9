/* brute_force: many short or failed sessions from one source to one
 * authentication service (the rule header scopes which: SSH, RDP, SMB...).
 * At flow end an established TCP session counts when it failed (RST either
 * way, HTTP 401/403/407) or was short and small (max-duration, max-bytes);
 * `count` such sessions within the window raise one alert, with the first
 * sessions described as evidence. */
#include "anomaly/anomaly_int.h"

#include <netinet/in.h>
#include <inttypes.h>
#include <stdio.h>

#define SESSION_WIDTH 64

enum { SESSION_FAILED = 1, SESSION_SHORT = 2 };

static const struct opt_word session_words[] = {
    { "failed", SESSION_FAILED }, { "short", SESSION_SHORT }, { NULL, 0 },
};

#define P(field) offsetof(struct anomaly_params, field)
static const struct anomaly_option options[] = {
    { "count", OPT_COUNT, P(threshold), 2, 1 << 16, NULL, 0 },
    { "max-duration", OPT_DURATION, P(max_duration_usec), 0, 86400e6, NULL, 0 },
    { "max-bytes", OPT_SIZE, P(max_bytes), 0, 1e12, NULL, 0 },
    { "sessions", OPT_WORD, P(probes), 0, 0, session_words, 4 },
    { NULL, 0, 0, 0, 0, NULL, 0 },
};
#undef P

static void defaults(struct anomaly_params *p)
{
    p->threshold = 10;
    p->window_usec = 300 * 1000000ull;
    p->max_duration_usec = 30 * 1000000ull;
    p->max_bytes = 20 * 1024;
    p->probes = SESSION_FAILED | SESSION_SHORT;
}

static size_t ring_bytes(const struct anomaly_params *p)
{
    return anomaly_align8(ring_size(p->threshold));
}

static size_t data_size(const struct anomaly_params *p)
{
    return ring_bytes(p) + evlist_size(p->evidence, SESSION_WIDTH);
}

static bool established(const struct flow *f)
{
    uint8_t c = f->tcp_flags_seen[FLOW_TOSERVER], s = f->tcp_flags_seen[FLOW_TOCLIENT];
    return f->proto == IPPROTO_TCP && (c & TCP_SYN) && (c & TCP_ACK) && (s & TCP_SYN) && (s & TCP_ACK);
}

/* "" when the session does not count, else why it counts. */
static const char *session_verdict(const struct flow *f, const struct anomaly_params *p)
{
    uint16_t code = f->app.http_response_code;
    if (p->probes & SESSION_FAILED) {
        if ((f->tcp_flags_seen[0] | f->tcp_flags_seen[1]) & TCP_RST)
            return "rst";
        if (code == 401 || code == 403 || code == 407)
            return code == 401 ? "http-401" : code == 403 ? "http-403" : "http-407";
    }
    if (p->probes & SESSION_SHORT) {
        uint64_t duration = f->last_usec > f->start_usec ? f->last_usec - f->start_usec : 0;
        if (duration <= p->max_duration_usec && f->bytes[0] + f->bytes[1] <= p->max_bytes)
            return "short";
    }
    return "";
}

static void on_flow_end(struct anomaly_ctx *c)
{
    const struct flow *f = c->flow;
    const struct anomaly_params *p = c->params;
    if (!established(f))
        return;
    const char *why = session_verdict(f, p);
    if (!*why)
        return;
    struct anomaly_key key;
    anomaly_key_init(&key);
    key.a = f->client;
    key.b = f->server;
    key.extra = (uint32_t)f->server_port | (uint32_t)f->proto << 16;
    bool created;
    struct tracker *t = tracker_get(c, &key, &created);
    if (!t)
        return;
    struct ring *ring = tracker_part(t, 0);
    struct evlist *ev = tracker_part(t, ring_bytes(p));
    if (created) {
        ring_init(ring, p->threshold);
        evlist_init(ev, p->evidence, SESSION_WIDTH);
    }
    ring_push(ring, f->start_usec);
    uint64_t duration = f->last_usec > f->start_usec ? f->last_usec - f->start_usec : 0;
    char text[SESSION_WIDTH];
    snprintf(text, sizeof text, "sport=%u dur=%.3fs bytes=%" PRIu64 " %s",
             (unsigned)f->client_port, (double)duration / 1e6, f->bytes[0] + f->bytes[1], why);
    evlist_add(ev, text);
    if (ring->n < ring->cap || ring_span(ring) > p->window_usec) {
        if (ring->n == ring->cap && ev->n == ev->max) {
            /* Window slid on: keep the evidence about recent sessions. */
            evlist_clear(ev);
            evlist_add(ev, text);
        }
        return;
    }
    const char *evidence[ANOMALY_MAX_EVIDENCE];
    size_t n = evlist_view(ev, evidence, ANOMALY_MAX_EVIDENCE);
    anomaly_emit(c, "brute_force", ring->n, 0, evidence, n);
    ring_clear(ring);
    evlist_clear(ev);
}

const struct anomaly_detector anomaly_brute_force = {
    .name = "brute_force",
    .options = options,
    .defaults = defaults,
    .data_size = data_size,
    .on_flow_end = on_flow_end,
};
