/* Fuzz target: the app-layer framework and the HTTP parser over LibHTP,
 * bytes of both directions of one TCP flow as the stream layer would hand
 * them over, including gzip/deflate bodies (decompression bombs, broken
 * streams), CONNECT tunnels and EOFs.  After every chunk every HTTP sticky
 * buffer of every transaction is read from both directions and each
 * transaction's EVE object must be valid JSON.
 * Input: records [u8 ctl][u16 big-endian length][bytes]; ctl bit 0 is the
 * direction (1 = to client), bit 1 asks for an EOF after the bytes.
 * fuzz-needs: applayer_new applayer_on_chunk http_get_buffer */
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
    /* small limits so bodies reach them */
    config_set_override(config, "app-layer.protocols.http.libhtp.default-config.response-body-limit=2kb", &d);
    config_set_override(config, "app-layer.protocols.http.libhtp.default-config.request-body-minimal-inspect-size=64", &d);
    config_set_override(config, "app-layer.protocols.http.libhtp.default-config.max-tx=16", &d);
    config_set_override(config, "outputs.eve.http.custom=[X-Forwarded-For, Cookie]", &d);
    al = config ? applayer_new(config, NULL, &d) : NULL;
    json_init(&json);
    return al ? 0 : 1;
}

static void check_tx(const struct flow *flow, const struct applayer_parser *p, void *state,
                     const struct applayer_tx *tx)
{
    for (int b = 0; b < BUF_COUNT; b++)
        for (int d = 0; d < 2; d++) {
            const uint8_t *buf;
            uint32_t len;
            if (p->get_buffer(state, tx, (enum detect_buffer)b, (enum flow_direction)d, &buf, &len)) {
                FUZZ_CHECK(len > 0 && buf != NULL, "buffer %d: empty but present", b);
                volatile uint8_t sink = buf[0] ^ buf[len - 1];
                (void)sink;
            }
        }
    /* multi-buffers: every instance, each byte readable */
    for (int b = BUF_HTTP_REQUEST_HEADER; b <= BUF_HTTP_RESPONSE_HEADER; b++)
        for (uint32_t i = 0; p->get_buffer_at; i++) {
            const uint8_t *buf;
            uint32_t len;
            if (!p->get_buffer_at(state, tx, (enum detect_buffer)b, FLOW_TOSERVER, i, &buf, &len))
                break;
            FUZZ_CHECK(len >= 2 && buf != NULL, "header line %u: shorter than \": \"", i);
            volatile uint8_t sink = buf[0] ^ buf[len - 1];
            (void)sink;
        }
    json_reset(&json);
    json_object_begin(&json, NULL);
    json_uint(&json, "tx_id", applayer_tx_id(flow, tx));
    json_object_begin(&json, p->name);
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
    check_tx(flow, p, state, tx);
}

static void check_all(struct flow *flow)
{
    struct applayer_flow *af = flow->applayer;
    if (!af || !af->parser)
        return;
    size_t n = af->parser->tx_count(af->state);
    for (size_t i = 0; i < n; i++)
        check_tx(flow, af->parser, af->state, af->parser->tx_at(af->state, i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct flow flow;
    memset(&flow, 0, sizeof flow);
    flow.proto = 6;
    flow.client.family = flow.server.family = 4;
    flow.client.bytes[0] = 10, flow.client.bytes[3] = 1;
    flow.server.bytes[0] = 10, flow.server.bytes[3] = 2;
    flow.client_port = 40000;
    flow.server_port = 80;
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
        check_all(&flow);
        applayer_after_detect(al, &flow, false, log_tx, NULL);
    }
    applayer_on_flow_end(al, &flow, ts);
    check_all(&flow);
    applayer_after_detect(al, &flow, true, log_tx, NULL);
    applayer_flow_free(al, &flow);
    return 0;
}
