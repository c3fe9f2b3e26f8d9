/* Fuzz target: the HTTP/2 parser (frames, padding, CONTINUATION, SETTINGS,
 * HPACK through libnghttp2) and its hand-over from HTTP/1.1 (Upgrade: h2c,
 * 101) through the app-layer framework.  Properties: no crash or leak;
 * every sticky buffer of every transaction is readable and every EVE object
 * valid JSON; fed straight to the parser one byte at a time, the same bytes
 * give the same transactions (same EVE objects) as fed whole.
 * Input: records [u8 ctl][u16 big-endian length][bytes]; ctl bit 0 is the
 * direction (1 = to client), bit 1 asks for an EOF after the bytes.
 * fuzz-needs: applayer_new applayer_on_chunk http2_read */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "applayer/applayer.h"
#include "config/config.h"
#include "event/json.h"
#include "fuzz_util.h"
#include "json_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config *config;
static struct applayer *al;
static struct json_writer json;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    config = config_new();
    struct diag d = { .quiet = 1 };
    /* small limits so inputs reach them */
    config_set_override(config, "app-layer.protocols.http2.max-streams=8", &d);
    config_set_override(config, "app-layer.protocols.http2.max-reassembly-size=1kb", &d);
    config_set_override(config, "app-layer.protocols.http2.body-limit=512", &d);
    config_set_override(config, "app-layer.protocols.http2.max-table-size=4kb", &d);
    al = config ? applayer_new(config, NULL, &d) : NULL;
    json_init(&json);
    return al ? 0 : 1;
}

/* Reads every buffer, writes the EVE object into json (reset first). */
static void check_tx(const struct applayer_parser *p, void *state, const struct applayer_tx *tx)
{
    for (int b = 0; b < BUF_COUNT; b++)
        for (int d = 0; d < 2; d++) {
            const uint8_t *buf;
            uint32_t len;
            if (p->get_buffer(state, tx, (enum detect_buffer)b, (enum flow_direction)d, &buf, &len) &&
                len > 0) {
                volatile uint8_t sink = buf[0] ^ buf[len - 1];
                (void)sink;
            }
        }
    json_reset(&json);
    json_object_begin(&json, NULL);
    json_object_begin(&json, p->eve_object ? p->eve_object : p->name);
    p->eve_write(applayer_settings(al, p->proto), state, tx, &json);
    json_object_end(&json);
    json_object_end(&json);
    size_t bad;
    FUZZ_CHECK(json_ok(&json) && json_check_object(json.buf, json.len, &bad),
               "tx %llu: EVE object is not valid JSON: %.300s", (unsigned long long)tx->id,
               json.buf);
}

static void log_tx(void *ctx, const struct flow *flow, const struct applayer_parser *p,
                   void *state, const struct applayer_tx *tx)
{
    (void)ctx;
    (void)flow;
    check_tx(p, state, tx);
}

static void init_flow(struct flow *flow)
{
    memset(flow, 0, sizeof *flow);
    flow->proto = 6;
    flow->client.family = flow->server.family = 4;
    flow->client_port = 40000;
    flow->server_port = 80;
}

/* The framework's way in: probes, the HTTP parser's 101, the tunnel switch. */
static void via_framework(const uint8_t *data, size_t size)
{
    struct flow flow;
    init_flow(&flow);
    uint64_t offset[2] = { 0, 0 }, ts = 1700000000ull * 1000000;
    size_t pos = 0;
    while (pos + 3 <= size) {
        uint8_t ctl = data[pos];
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        enum flow_direction dir = (ctl & 1) ? FLOW_TOCLIENT : FLOW_TOSERVER;
        struct applayer_chunk c = { dir, data + pos, (uint32_t)len, offset[dir],
                                    (ctl & 2) ? APPLAYER_CHUNK_EOF : 0u };
        offset[dir] += len;
        pos += len;
        ts += 1000;
        applayer_on_chunk(al, &flow, &c, ts);
        applayer_after_detect(al, &flow, false, log_tx, NULL);
    }
    applayer_on_flow_end(al, &flow, ts);
    applayer_after_detect(al, &flow, true, log_tx, NULL);
    applayer_flow_free(al, &flow);
}

struct transcript {
    char *text;
    size_t len;
};

static void transcript_add(struct transcript *t, const char *s, size_t n)
{
    char *grown = realloc(t->text, t->len + n + 1);
    FUZZ_CHECK(grown != NULL, "out of memory");
    memcpy(grown + t->len, s, n);
    t->len += n;
    grown[t->len] = '\n';
    t->text = grown;
    t->len++;
}

/* The parser alone, whole chunks or one byte at a time: the EVE objects of
 * its transactions, in order, as text. */
static void direct(const uint8_t *data, size_t size, bool bytewise, struct transcript *t)
{
    const struct applayer_parser *p = &applayer_http2_parser;
    struct flow flow;
    init_flow(&flow);
    void *state = p->state_new(applayer_settings(al, p->proto), &flow, 0);
    FUZZ_CHECK(state != NULL, "state_new failed");
    uint64_t offset[2] = { 0, 0 };
    bool dead = false;
    size_t pos = 0;
    while (pos + 3 <= size && !dead) {
        uint8_t ctl = data[pos];
        size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos)
            len = size - pos;
        enum flow_direction dir = (ctl & 1) ? FLOW_TOCLIENT : FLOW_TOSERVER;
        size_t step = bytewise && len > 0 ? 1 : (len ? len : 1);
        for (size_t i = 0; i < (len ? len : 1) && !dead; i += step) {
            uint32_t n = len ? (uint32_t)(len - i < step ? len - i : step) : 0;
            bool last = i + step >= len;
            struct applayer_chunk c = { dir, data + pos + i, n, offset[dir],
                                        (ctl & 2) && last ? APPLAYER_CHUNK_EOF : 0u };
            offset[dir] += n;
            dead = p->on_data(state, &c, 0) < 0;
        }
        pos += len;
    }
    transcript_add(t, dead ? "dead" : "alive", dead ? 4 : 5);
    size_t n = p->tx_count(state);
    for (size_t i = 0; i < n; i++) {
        struct applayer_tx *tx = p->tx_at(state, i);
        check_tx(p, state, tx);
        transcript_add(t, json.buf, json.len);
    }
    p->state_free(state);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    via_framework(data, size);
    struct transcript whole = { NULL, 0 }, bytes = { NULL, 0 };
    direct(data, size, false, &whole);
    direct(data, size, true, &bytes);
    FUZZ_CHECK(whole.len == bytes.len && memcmp(whole.text, bytes.text, whole.len) == 0,
               "byte-at-a-time differs:\n%.*s\n---\n%.*s", (int)(whole.len < 2000 ? whole.len : 2000),
               whole.text, (int)(bytes.len < 2000 ? bytes.len : 2000), bytes.text);
    free(whole.text);
    free(bytes.text);
    return 0;
}
