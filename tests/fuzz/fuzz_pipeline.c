/* Fuzz target: the whole packet path as the sensor runs it -- one worker
 * (decode, flow, nDPI, detect with the repository's rule pack, EVE writer)
 * fed a burst of raw frames, then every flow ended and a stats event
 * written.  Every EVE line the worker hands out must be exactly one valid
 * JSON object (json_check.h): whatever the network sent, the output parses.
 * Input layout as fuzz_packet.c (frames.h): byte 0 picks the link type, then records
 * [u8 time step][u8 flags][u16 big-endian length][frame].
 * fuzz-needs: worker_init worker_process eve_write_flow detect_engine_load */
#include <glob.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "detect/detect.h"
#include "worker.h"
#include "frames.h"
#include "fuzz_util.h"
#include "json_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* The same table as fuzz_packet.c (make_corpus.py checks they agree). */

static struct config *config;
static struct detect_engine *engine;
static struct worker worker;
static uint64_t clock_usec = 1700000000ull * 1000000;
static uint64_t seq, lines;

static uint64_t next_seq(void *ctx)
{
    (void)ctx;
    return ++seq;
}

static void deliver(void *ctx, const struct event_record *r)
{
    (void)ctx;
    size_t bad;
    FUZZ_CHECK(r->json != NULL && strlen(r->json) == r->len, "event %llu: length or NUL",
               (unsigned long long)r->seq);
    FUZZ_CHECK(json_check_object(r->json, r->len, &bad),
               "event %llu is not one JSON object (offset %zu): %.300s",
               (unsigned long long)r->seq, bad, r->json);
    FUZZ_CHECK(memchr(r->json, '\n', r->len) == NULL, "event %llu spans lines",
               (unsigned long long)r->seq);
    FUZZ_CHECK(strstr(r->json, "\"event_type\":\"") != NULL, "event without event_type: %.300s",
               r->json);
    lines++;
}

/* The rule pack of the repository (every .rules file under rules/), as the default config
 * loads it; the fuzzer runs from the repository root (run.sh). */
static struct detect_engine *load_rules(void)
{
    glob_t g;
    if (glob("rules/*.rules", 0, NULL, &g) != 0 || g.gl_pathc == 0)
        return NULL;
    struct detect_engine_config dc = {
        .config = config,
        .rule_files = (const char *const *)g.gl_pathv,
        .nrule_files = g.gl_pathc,
        .classification_file = "rules/classification.config",
    };
    struct diag diag = { .quiet = 1 };
    struct detect_engine *de = detect_engine_load(&dc, &diag);
    globfree(&g);
    return de;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    config = config_new();
    struct diag diag = { .quiet = 1 };
    if (!config)
        abort();
    config_load_file(config, "etc/xiezhi.yaml", &diag);
    engine = load_rules();           /* NULL without rules: the path runs without */
    struct worker_shared shared = {
        .config = config,
        .detect = engine,
        .sink = { .ctx = NULL, .next_seq = next_seq, .deliver = deliver },
        .sensor_id = "fuzz-\xe7\x8d\xac\xe8\xb1\xb8",
        .segment = "seg\"ment",
        .offline = true,
        .decoder = { .frag_memcap = 256 * 1024, .frag_timeout_usec = 30ull * 1000000,
                     .max_tunnel_depth = 4 },
    };
    flow_table_config_defaults(&shared.flows);
    shared.flows.max_flows = 64;
    stream_config_load(&shared.stream, config, &diag);     /* reassembly on, as shipped */
    if (worker_init(&worker, 0, &shared) != 0)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_frames frames;
    if (!fuzz_frames_begin(&frames, data, size, &clock_usec))
        return 0;
    struct capture_packet cp;
    uint8_t *frame;
    while ((frame = fuzz_frames_next(&frames, &cp))) {
        worker_process(&worker, &cp);
        free(frame);
    }
    worker_finish(&worker);
    /* A stats event from this worker's counters, as the sensor writes it. */
    struct worker_snapshot snap;
    worker_snapshot(&worker, &snap);
    struct capture_stats cap = { .packets = frames.count };
    struct json_writer *j = eve_stats_begin(&worker.eve, clock_usec, 1);
    worker_stats_json(j, &snap, &cap);
    eve_stats_own(&worker.eve);
    worker_stats_own_json(j, &snap, &cap);
    eve_stats_end(&worker.eve);
    decoder_expire(worker.decoder, UINT64_MAX);
    /* The next input starts a day later: thresholds and anomaly trackers
     * expire by packet time, so (nearly) nothing carries over.  A fresh
     * detect_thread per input would be cleaner but costs 100x the run (its
     * threshold table is sized for production). */
    clock_usec += 86400ull * 1000000;
    return 0;
}
