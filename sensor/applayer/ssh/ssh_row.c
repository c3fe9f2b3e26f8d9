/* The SSH parser's row in the app-layer registry: one transaction per
 * connection, complete when both sides sent their KEXINIT (or at flow end).
 * Progress per direction: 1 = banner, 2 = KEXINIT, 3 = NEWKEYS. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "applayer/applayer.h"
#include "applayer/one_tx.h"
#include "applayer/ssh/ssh.h"
#include "applayer/ssh/ssh_eve.h"
#include "applayer/ssh/ssh_row.h"

struct ssh_row {
    struct one_tx tx;               /* first: the row is found from its transaction */
    struct ssh_state ssh;
};

static void *ssh_row_new(const void *settings, const struct flow *flow, uint64_t ts_usec)
{
    (void)settings;
    (void)flow;
    (void)ts_usec;
    struct ssh_row *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    ssh_state_init(&r->ssh, NULL);
    return r;
}

static void ssh_row_free(void *state)
{
    struct ssh_row *r = state;
    ssh_state_free(&r->ssh);
    free(r);
}

static void update(struct ssh_row *r)
{
    if (r->tx.done)
        return;
    uint8_t p[2];
    for (int d = 0; d < 2; d++) {
        const struct ssh_side *s = &r->ssh.side[d];
        p[d] = s->newkeys ? 3 : s->kexinit ? 2 : s->banner ? 1 : 0;
        if (p[d])
            r->tx.live = true;
    }
    one_tx_set_progress(&r->tx, p);
    one_tx_set_events(&r->tx, r->ssh.counters.malformed, SSH_MALFORMED_KINDS);
}

static int ssh_row_data(void *state, const struct applayer_chunk *c, uint64_t ts_usec)
{
    (void)ts_usec;
    struct ssh_row *r = state;
    int rc = ssh_parse(&r->ssh, c->dir, c->data, c->len, c->flags);
    update(r);
    return rc < 0 && r->ssh.dead[c->dir == FLOW_TOSERVER] ? -1 : 0;
}

const struct ssh_state *ssh_row_state(const struct applayer_tx *base)
{
    const struct ssh_row *r = (const struct ssh_row *)base;
    return &r->ssh;
}

static void ssh_row_eve(const void *settings, void *state, const struct applayer_tx *base,
                        struct json_writer *j)
{
    (void)settings;
    (void)state;
    ssh_eve_members(j, ssh_row_state(base));
}

static bool text(const char *s, const uint8_t **data, uint32_t *len)
{
    if (!s[0])
        return false;
    *data = (const uint8_t *)s;
    *len = (uint32_t)strlen(s);
    return true;
}

/* ssh.proto and ssh.software by direction (the client's to the server);
 * the HASSH buffers name their side. */
static bool ssh_row_buffer(void *state, const struct applayer_tx *base, enum detect_buffer buffer,
                           enum flow_direction dir, const uint8_t **data, uint32_t *len)
{
    (void)state;
    const struct ssh_state *s = ssh_row_state(base);
    const struct ssh_side *own = &s->side[dir == FLOW_TOCLIENT];
    const struct ssh_side *client = &s->side[FLOW_TOSERVER], *server = &s->side[FLOW_TOCLIENT];
    switch (buffer) {
    case BUF_SSH_PROTO:
        return own->banner && text(own->proto_version, data, len);
    case BUF_SSH_SOFTWARE:
        return own->banner && text(own->software_version, data, len);
    case BUF_SSH_HASSH:
        return client->kexinit && text(client->hassh, data, len);
    case BUF_SSH_HASSH_STRING:
        return client->kexinit && text(client->hassh_string, data, len);
    case BUF_SSH_HASSH_SERVER:
        return server->kexinit && text(server->hassh, data, len);
    case BUF_SSH_HASSH_SERVER_STRING:
        return server->kexinit && text(server->hassh_string, data, len);
    default:
        return false;
    }
}

static enum applayer_probe_result ssh_probe(const uint8_t *data, uint32_t len,
                                            enum flow_direction dir)
{
    (void)dir;
    uint32_t n = len < 4 ? len : 4;
    if (memcmp(data, "SSH-", n) != 0)
        return APPLAYER_PROBE_NO;
    return len < 4 ? APPLAYER_PROBE_MORE : APPLAYER_PROBE_YES;
}

/* Stats: the parser's counters of the flow; a gap is error.ssh.gap, the
 * other malformed kinds parser errors. */
static const char *const ssh_counter_names[] = {
    "banners", "packets", "kexinits", "malformed_banner", "malformed_packet",
    "malformed_kexinit", NULL
};

static void ssh_row_counts(const void *state, struct applayer_counts *sum)
{
    const struct ssh_counters *c = &((const struct ssh_row *)state)->ssh.counters;
    const uint64_t own[] = { c->banners, c->packets, c->kexinits, c->malformed[SSH_BAD_BANNER],
                             c->malformed[SSH_BAD_PACKET], c->malformed[SSH_BAD_KEXINIT] };
    _Static_assert(sizeof own / sizeof own[0] == sizeof ssh_counter_names / sizeof ssh_counter_names[0] - 1,
                   "a name per counter");
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        sum->own[i] += own[i];
    for (int k = 0; k < SSH_MALFORMED_KINDS; k++)
        if (k != SSH_GAP)
            sum->parser += c->malformed[k];
    sum->gap += c->malformed[SSH_GAP];
}

static const char *const ssh_ndpi_names[] = { "SSH", NULL };
/* bit i = enum ssh_malformed i */
static const char *const ssh_event_names[] = { "invalid_banner", "invalid_packet",
                                               "invalid_kexinit", "stream_gap", NULL };

const struct applayer_parser applayer_ssh_parser = {
    .proto = APPLAYER_SSH,
    .name = "ssh",
    .ndpi_names = ssh_ndpi_names,
    .state_size = sizeof(struct ssh_row),
    .tcp = true,
    .progress_done = { 2, 2 },
    .probe = ssh_probe,
    .state_new = ssh_row_new,
    .state_free = ssh_row_free,
    .on_data = ssh_row_data,
    .tx_count = one_tx_count,
    .tx_at = one_tx_at,
    .tx_free = one_tx_free,
    .eve_write = ssh_row_eve,
    .get_buffer = ssh_row_buffer,
    .event_names = ssh_event_names,
    .counts_add = ssh_row_counts,
    .counter_names = ssh_counter_names,
};
