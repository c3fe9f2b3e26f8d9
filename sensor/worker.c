/* The packet path of one worker, in order: decode -> flow -> stream (TCP
 * reassembly) -> classify -> enrich (once per flow) -> app-layer -> detect
 * -> events.  Flow ends run the same stages' end hooks, then the flow event
 * is written. */
#include "worker.h"

#include <netinet/in.h>
#include <string.h>

#include "util/log.h"

/* Flow timeouts are checked at most this often (packet time). */
#define WORKER_EXPIRE_INTERVAL_USEC 1000000u

static void worker_emit_alert(void *ctx, const struct flow *flow, const struct packet *pkt,
                              const struct rule_info *rule, const struct anomaly_info *anomaly)
{
    struct worker *w = ctx;
    if (anomaly)
        w->counters.anomalies++;
    else
        w->counters.alerts++;
    int severity = rule->severity >= 1 && rule->severity <= 4 ? rule->severity : 0;
    w->counters.alerts_by_severity[severity]++;
    w->counters.last_event_usec = pkt ? pkt->ts_usec : flow->last_usec;
    eve_write_alert(&w->eve, flow, pkt, rule, anomaly);
}

static void worker_emit_tx_alert(void *ctx, const struct flow *flow, const struct packet *pkt,
                                 const struct rule_info *rule, const struct applayer_tx *tx)
{
    struct worker *w = ctx;
    w->counters.alerts++;
    int severity = rule->severity >= 1 && rule->severity <= 4 ? rule->severity : 0;
    w->counters.alerts_by_severity[severity]++;
    w->counters.last_event_usec = pkt ? pkt->ts_usec : flow->last_usec;
    const struct applayer_flow *af = flow->applayer;
    struct eve_tx etx = { af->parser, applayer_settings(w->applayer, af->parser->proto),
                          af->state, tx, applayer_tx_id(flow, tx) };
    eve_write_alert_tx(&w->eve, flow, pkt, rule, &etx);
}

/* Protocol events: one per transaction, when it is complete (or at flow end). */
static void worker_log_tx(void *ctx, const struct flow *flow, const struct applayer_parser *parser,
                          void *state, const struct applayer_tx *tx)
{
    struct worker *w = ctx;
    struct eve_tx etx = { parser, applayer_settings(w->applayer, parser->proto), state, tx,
                          applayer_tx_id(flow, tx) };
    eve_write_tx(&w->eve, flow, w->now_usec > flow->last_usec ? flow->last_usec : w->now_usec,
                 w->pcap_cnt, &etx);
}

/* The stream's chunks as the app-layer framework takes them (the same
 * fields; the flags are mapped by name). */
static void worker_feed_chunks(struct worker *w, struct flow *flow,
                               const struct stream_chunk *chunks, size_t n, uint64_t ts_usec)
{
    for (size_t i = 0; i < n; i++) {
        const struct stream_chunk *sc = &chunks[i];
        unsigned flags = ((sc->flags & STREAM_CHUNK_GAP) ? APPLAYER_CHUNK_GAP : 0u) |
                         ((sc->flags & STREAM_CHUNK_EOF) ? APPLAYER_CHUNK_EOF : 0u);
        struct applayer_chunk c = { sc->dir, sc->data, sc->len, sc->offset, flags };
        applayer_on_chunk(w->applayer, flow, &c, ts_usec);
    }
}

static void worker_on_flow_end(void *ctx, struct flow *flow)
{
    struct worker *w = ctx;
    /* What the stream still held (after GAP marks) and each direction's EOF. */
    const struct stream_chunk *chunks;
    struct stream_view views[2];
    size_t nchunks = stream_flow_end(w->stream, flow, &chunks, views);
    /* app-layer: those last chunks, then an EOF for any direction still open */
    worker_feed_chunks(w, flow, chunks, nchunks, flow->last_usec);
    if (flow->applayer)
        applayer_on_flow_end(w->applayer, flow, flow->last_usec);
    classify_flow_end(w->classifier, flow);
    if (w->detect) {
        detect_stream_end(w->detect, flow, views, &w->alerts);
        size_t held = detect_flow_memory(flow);
        detect_flow_end(w->detect, flow, &w->alerts);
        w->detect_flow_bytes -= held - detect_flow_memory(flow);
    }
    if (flow->applayer)
        applayer_after_detect(w->applayer, flow, true, worker_log_tx, w);
    eve_write_flow(&w->eve, flow);
    applayer_flow_free(w->applayer, flow);
    stream_flow_release(w->stream, flow);
    classify_flow_release(flow);
}

/* What the stages hold per flow, for the flow table's byte cap. */
static uint64_t worker_flow_state_bytes(void *ctx)
{
    struct worker *w = ctx;
    return classify_state_bytes(w->classifier) + stream_engine_stats(w->stream)->memory +
           applayer_stats(w->applayer)->memory + w->detect_flow_bytes;
}

int worker_init(struct worker *w, int id, const struct worker_shared *shared)
{
    memset(w, 0, sizeof *w);
    w->id = id;
    w->geoip = shared->geoip;
    w->alerts.ctx = w;
    w->alerts.emit = worker_emit_alert;
    w->alerts.emit_tx = worker_emit_tx_alert;
    w->decoder = decoder_new(&shared->decoder);
    w->classifier = classifier_new();
    struct diag quiet = { .quiet = 1 };     /* the sensor reported the settings once */
    w->applayer = w->classifier ? applayer_new(shared->config, w->classifier, &quiet) : NULL;
    w->flows = flow_table_new(&shared->flows, worker_on_flow_end, w);
    w->stream = stream_engine_new(&shared->stream);
    if (!w->decoder || !w->classifier || !w->flows || !w->stream || !w->applayer) {
        log_error("worker %d: out of memory", id);
        worker_free(w);
        return -1;
    }
    flow_table_set_state_probe(w->flows, worker_flow_state_bytes, w);
    if (shared->detect && worker_set_detect(w, shared->detect) < 0) {
        worker_free(w);
        return -1;
    }
    eve_writer_init(&w->eve, shared->sensor_id, shared->segment, shared->offline,
                    w->classifier, shared->geoip, &shared->sink);
    w->eve.legacy_anomaly_names = shared->legacy_anomaly_names;
    return 0;
}

int worker_set_detect(struct worker *w, const struct detect_engine *de)
{
    struct detect_thread *dt = de ? detect_thread_new(de) : NULL;
    /* Trackers of rules that did not change go on counting (a brute force
     * paced across rule updates must not start from zero). */
    if (dt && w->detect)
        detect_thread_carry_state(dt, w->detect);
    /* The old state goes in every case: after a failed swap the worker runs
     * without rules rather than on an engine the sensor is about to free. */
    if (w->detect)
        detect_thread_free(w->detect);
    w->detect = dt;
    if (de && !dt) {
        log_error("worker %d: cannot create detection state; running without rules", w->id);
        return -1;
    }
    return 0;
}

static void worker_advance_time(struct worker *w, uint64_t now_usec)
{
    if (now_usec <= w->now_usec)
        return;
    w->now_usec = now_usec;
    if (!w->first_usec)
        w->first_usec = now_usec;
    if (now_usec < w->next_expire_usec)
        return;
    w->next_expire_usec = now_usec + WORKER_EXPIRE_INTERVAL_USEC;
    flow_table_expire(w->flows, now_usec);
    decoder_expire(w->decoder, now_usec);
    if (w->detect)
        detect_thread_expire(w->detect, now_usec);
}

void worker_tick(struct worker *w, uint64_t now_usec)
{
    worker_advance_time(w, now_usec);
}

void worker_process(struct worker *w, const struct capture_packet *frame)
{
    struct packet pkt;
    worker_advance_time(w, frame->ts_usec);
    if (decode_packet(w->decoder, frame, &pkt) != DECODE_PACKET)
        return;
    enum flow_direction dir;
    bool created;
    struct flow *flow = flow_table_lookup(w->flows, &pkt, &dir, &created);
    if (!flow)
        return;
    if (created && w->geoip)
        geoip_enrich_flow(w->geoip, flow);
    const struct stream_chunk *chunks;
    size_t nchunks = stream_packet(w->stream, flow, &pkt, dir, &chunks);
    classify_packet(w->classifier, flow, &pkt, dir);
    w->pcap_cnt = pkt.pcap_cnt;
    applayer_on_packet(flow, dir, pkt.tcp_flags);
    /* app-layer: the in-order chunks this packet released (TCP), or the
     * datagram (UDP) */
    worker_feed_chunks(w, flow, chunks, nchunks, pkt.ts_usec);
    if (pkt.payload_len && pkt.proto == IPPROTO_UDP)
        applayer_on_datagram(w->applayer, flow, dir, pkt.payload, pkt.payload_len, pkt.ts_usec);
    if (w->detect) {
        size_t held = detect_flow_memory(flow);
        detect_packet_stream(w->detect, flow, &pkt, dir, stream_packet_view(w->stream),
                             &w->alerts);
        w->detect_flow_bytes += detect_flow_memory(flow) - held;
    }
    if (flow->applayer)
        applayer_after_detect(w->applayer, flow, false, worker_log_tx, w);
}

void worker_finish(struct worker *w)
{
    flow_table_flush(w->flows, FLOW_END_SHUTDOWN);
}

/* Stats events keep to Suricata's schema inside "stats": a counter goes
 * there under Suricata's name when it means what Suricata's means, and
 * under "xiezhi_stats" otherwise (Suricata's schema allows no other names). */
static void write_decoder_stats(struct json_writer *j, const struct decode_stats *d)
{
    json_object_begin(j, "decoder");
    json_uint(j, "pkts", d->packets);
    json_uint(j, "bytes", d->bytes);
    json_uint(j, "ipv4", d->ipv4);
    json_uint(j, "ipv6", d->ipv6);
    json_uint(j, "tcp", d->tcp);
    json_uint(j, "udp", d->udp);
    json_uint(j, "icmpv4", d->icmp);
    json_uint(j, "icmpv6", d->icmpv6);
    json_uint(j, "sctp", d->sctp);
    json_uint(j, "vlan", d->vlan);
    json_uint(j, "mpls", d->mpls);
    json_uint(j, "pppoe", d->pppoe);
    json_object_end(j);
}

static void write_decoder_own_stats(struct json_writer *j, const struct decode_stats *d)
{
    json_object_begin(j, "decoder");
    json_uint(j, "other_ip", d->other_ip);
    json_uint(j, "non_ip", d->non_ip);
    json_uint(j, "tunnels", d->tunnels);
    json_uint(j, "fragments", d->fragments);
    json_uint(j, "reassembled", d->reassembled);
    json_uint(j, "truncated", d->truncated);
    json_uint(j, "tunnel_outer_kept", d->tunnel_outer_kept);
    json_object_begin(j, "errors");
    for (int i = 0; i < DECODE_ERROR_COUNT; i++)
        json_uint(j, decode_error_name((enum decode_error)i), d->errors[i]);
    json_object_end(j);
    json_object_end(j);
}

static void write_flow_stats(struct json_writer *j, const struct flow_table_stats *f)
{
    json_object_begin(j, "flow");
    json_uint(j, "total", f->created);
    json_uint(j, "active", f->active);
    json_uint(j, "tcp", f->tcp);
    json_uint(j, "udp", f->udp);
    json_uint(j, "memuse", f->memory_bytes);
    json_object_end(j);
}

static void write_flow_own_stats(struct json_writer *j, const struct flow_table_stats *f,
                                 const struct classify_stats *c)
{
    json_object_begin(j, "flow");
    json_uint(j, "ended", f->ended);
    json_uint(j, "timeout", f->timed_out);
    json_uint(j, "active_timeout", f->active_timeouts);
    json_uint(j, "evicted", f->evicted);
    json_uint(j, "memcap_evicted", f->memcap_evicted);
    json_uint(j, "icmp", f->icmp);
    json_uint(j, "other", f->other);
    json_object_end(j);
    json_object_begin(j, "ndpi");
    json_uint(j, "states_allocated", c->states_allocated);
    json_uint(j, "states_live", c->states_live);
    json_uint(j, "detected", c->detected);
    json_uint(j, "given_up", c->given_up);
    json_uint(j, "unknown", c->unknown);
    json_object_end(j);
}

/* Reassembly counters that mean what Suricata's stats.tcp ones do go there
 * under its names; the rest are xiezhi's (xiezhi_stats.reassembly). */
static void write_stream_stats(struct json_writer *j, const struct stream_stats *s)
{
    json_object_begin(j, "tcp");
    json_uint(j, "midstream_pickups", s->midstream);
    json_uint(j, "overlap", s->overlaps);
    json_uint(j, "overlap_diff_data", s->overlaps_different);
    json_uint(j, "reassembly_gap", s->gaps);
    json_uint(j, "stream_depth_reached", s->depth_reached);
    json_uint(j, "segment_memcap_drop", s->memcap_drops);
    json_uint(j, "reassembly_memuse", s->memory);
    json_object_end(j);
}

static void write_stream_own_stats(struct json_writer *j, const struct stream_stats *s)
{
    json_object_begin(j, "reassembly");
    json_uint(j, "streams", s->streams);
    json_uint(j, "midstream_refused", s->midstream_refused);
    json_uint(j, "bytes", s->bytes);
    json_uint(j, "segments", s->segments);
    json_uint(j, "out_of_order", s->out_of_order);
    json_uint(j, "retransmissions", s->retransmissions);
    json_uint(j, "gap_bytes", s->gap_bytes);
    json_uint(j, "gaps_timeout", s->gaps_timeout);
    json_uint(j, "gaps_acked", s->gaps_acked);
    json_uint(j, "gaps_held_cap", s->gaps_held_cap);
    json_uint(j, "gaps_flushed", s->gaps_flushed);
    json_uint(j, "encrypted_released", s->encrypted_released);
    json_uint(j, "eof", s->eof);
    json_uint(j, "memory_peak", s->memory_peak);
    json_object_end(j);
}

/* Suricata's names for a parser that serves both transports. */
static const struct {
    const char *parser, *name[APPLAYER_TRANSPORTS];
} split_stats_names[] = {
    { "dns", { "dns_tcp", "dns_udp" } },
};

/* Suricata's per-transport stats names of parser, or NULL (one name). */
static const char *const *split_names(const struct applayer_parser *parser)
{
    for (size_t i = 0; i < sizeof split_stats_names / sizeof split_stats_names[0]; i++)
        if (strcmp(split_stats_names[i].parser, parser->name) == 0)
            return split_stats_names[i].name;
    return NULL;
}

/* Writes one counter per Suricata stats name of parser p: one summed over
 * the transports, or one per transport where Suricata splits them. */
static void write_applayer_counts(struct json_writer *j, const struct applayer_parser *parser,
                                  const uint64_t count[APPLAYER_TRANSPORTS])
{
    const char *const *names = split_names(parser);
    uint64_t sum = 0;
    for (int t = 0; t < APPLAYER_TRANSPORTS; t++)
        sum += count[t];
    for (int t = 0; t < (names ? APPLAYER_TRANSPORTS : 1); t++)
        json_uint(j, names ? names[t] : parser->name, names ? count[t] : sum);
}

/* The parser's counters of the transports one stats name covers (both, or
 * transport t where Suricata splits them). */
static struct applayer_counts applayer_counts_of(const struct applayer_stats *s, int p, int t,
                                                 uint64_t *given_up)
{
    struct applayer_counts sum = { 0 };
    *given_up = 0;
    for (int u = 0; u < APPLAYER_TRANSPORTS; u++) {
        if (t >= 0 && u != t)
            continue;
        const struct applayer_counts *c = &s->counts[p][u];
        sum.parser += c->parser;
        sum.gap += c->gap;
        sum.alloc += c->alloc;
        for (int i = 0; i < APPLAYER_OWN_COUNTERS; i++)
            sum.own[i] += c->own[i];
        *given_up += s->parse_errors[p][u];
    }
    return sum;
}

/* stats.app_layer.error.<name>: Suricata's parser, gap and alloc errors
 * (own == false); or xiezhi_stats.app_layer.<name>: the flows the parser
 * gave up on and its own counters (own == true). */
static void write_applayer_errors(struct json_writer *j, const struct applayer_stats *s, bool own)
{
    for (int p = 0; p < APPLAYER_PROTO_COUNT; p++) {
        const struct applayer_parser *parser = applayer_parser_of((enum applayer_proto)p);
        if (!parser)
            continue;
        const char *const *names = split_names(parser);
        for (int t = 0; t < (names ? APPLAYER_TRANSPORTS : 1); t++) {
            uint64_t given_up;
            struct applayer_counts c = applayer_counts_of(s, p, names ? t : -1, &given_up);
            json_object_begin(j, names ? names[t] : parser->name);
            if (!own) {
                json_uint(j, "parser", c.parser);
                json_uint(j, "gap", c.gap);
                json_uint(j, "alloc", c.alloc);
            } else {
                json_uint(j, "given_up", given_up);
                for (int i = 0; parser->counter_names && parser->counter_names[i] &&
                                i < APPLAYER_OWN_COUNTERS; i++)
                    json_uint(j, parser->counter_names[i], c.own[i]);
            }
            json_object_end(j);
        }
    }
}

/* Suricata's stats.app_layer: flows and transactions per parser, and the
 * errors the parsers met (counted when a flow's parser state is freed). */
static void write_applayer_stats(struct json_writer *j, const struct applayer_stats *s)
{
    static const char *const members[] = { "flow", "tx" };
    json_object_begin(j, "app_layer");
    for (size_t m = 0; m < 2; m++) {
        json_object_begin(j, members[m]);
        for (int p = 0; p < APPLAYER_PROTO_COUNT; p++) {
            const struct applayer_parser *parser = applayer_parser_of((enum applayer_proto)p);
            if (parser)
                write_applayer_counts(j, parser, m == 0 ? s->flows[p] : s->tx[p]);
        }
        json_object_end(j);
    }
    json_object_begin(j, "error");
    write_applayer_errors(j, s, false);
    json_object_end(j);
    json_object_end(j);
}

void worker_snapshot(const struct worker *w, struct worker_snapshot *out)
{
    out->decode = *decoder_stats(w->decoder);
    out->flows = *flow_table_stats(w->flows);
    out->classify = *classifier_stats(w->classifier);
    out->stream = *stream_engine_stats(w->stream);
    out->applayer = *applayer_stats(w->applayer);
    out->counters = w->counters;
    memset(&out->anomaly, 0, sizeof out->anomaly);
    memset(&out->inspect, 0, sizeof out->inspect);
    if (w->detect) {
        detect_thread_anomaly_stats(w->detect, &out->anomaly);
        detect_thread_stats(w->detect, &out->inspect);
    }
    out->first_usec = w->first_usec;
    out->now_usec = w->now_usec;
}

/* The stage counter structs are plain uint64_t fields, so they add up
 * field by field without naming each one. */
static void add_counters(void *sum, const void *one, size_t size)
{
    uint64_t *a = sum;
    const uint64_t *b = one;
    for (size_t i = 0; i < size / sizeof(uint64_t); i++)
        a[i] += b[i];
}

_Static_assert(sizeof(struct decode_stats) % sizeof(uint64_t) == 0, "decode_stats: uint64_t only");
_Static_assert(sizeof(struct flow_table_stats) % sizeof(uint64_t) == 0, "flow stats: uint64_t only");
_Static_assert(sizeof(struct classify_stats) % sizeof(uint64_t) == 0, "classify_stats: uint64_t only");
_Static_assert(sizeof(struct worker_counters) % sizeof(uint64_t) == 0, "counters: uint64_t only");
_Static_assert(sizeof(struct anomaly_stats) % sizeof(uint64_t) == 0, "anomaly_stats: uint64_t only");
_Static_assert(sizeof(struct detect_thread_stats) % sizeof(uint64_t) == 0, "detect stats: uint64_t only");
_Static_assert(sizeof(struct stream_stats) % sizeof(uint64_t) == 0, "stream_stats: uint64_t only");
_Static_assert(sizeof(struct applayer_stats) % sizeof(uint64_t) == 0, "applayer_stats: uint64_t only");

void worker_snapshot_add(struct worker_snapshot *sum, const struct worker_snapshot *one)
{
    uint64_t last_event = sum->counters.last_event_usec > one->counters.last_event_usec
                              ? sum->counters.last_event_usec : one->counters.last_event_usec;
    add_counters(&sum->decode, &one->decode, sizeof sum->decode);
    add_counters(&sum->flows, &one->flows, sizeof sum->flows);
    add_counters(&sum->classify, &one->classify, sizeof sum->classify);
    add_counters(&sum->counters, &one->counters, sizeof sum->counters);
    add_counters(&sum->anomaly, &one->anomaly, sizeof sum->anomaly);
    add_counters(&sum->inspect, &one->inspect, sizeof sum->inspect);
    add_counters(&sum->stream, &one->stream, sizeof sum->stream);
    add_counters(&sum->applayer, &one->applayer, sizeof sum->applayer);
    sum->counters.last_event_usec = last_event;
    if (one->first_usec && (!sum->first_usec || one->first_usec < sum->first_usec))
        sum->first_usec = one->first_usec;
    if (one->now_usec > sum->now_usec)
        sum->now_usec = one->now_usec;
}

void worker_stats_json(struct json_writer *j, const struct worker_snapshot *snap,
                       const struct capture_stats *capture)
{
    json_object_begin(j, "capture");
    json_uint(j, "kernel_packets", capture->packets);
    json_uint(j, "kernel_drops", capture->kernel_drops);
    json_uint(j, "kernel_ifdrops", capture->interface_drops);
    json_object_end(j);
    write_decoder_stats(j, &snap->decode);
    write_flow_stats(j, &snap->flows);
    write_stream_stats(j, &snap->stream);
    write_applayer_stats(j, &snap->applayer);
    json_object_begin(j, "detect");
    json_uint(j, "alert", snap->counters.alerts);
    json_object_end(j);
}

void worker_stats_own_json(struct json_writer *j, const struct worker_snapshot *snap,
                           const struct capture_stats *capture)
{
    json_object_begin(j, "capture");
    json_uint(j, "files_failed", capture->files_failed);
    json_object_end(j);
    write_decoder_own_stats(j, &snap->decode);
    write_flow_own_stats(j, &snap->flows, &snap->classify);
    write_stream_own_stats(j, &snap->stream);
    json_object_begin(j, "app_layer");
    write_applayer_errors(j, &snap->applayer, true);
    json_object_end(j);
    json_object_begin(j, "detect");
    json_uint(j, "alerts", snap->counters.alerts);
    json_uint(j, "behavior", snap->counters.anomalies);
    json_object_begin(j, "severity");
    static const char *const names[5] = { "other", "1", "2", "3", "4" };
    for (int i = 0; i < 5; i++)
        json_uint(j, names[i], snap->counters.alerts_by_severity[i]);
    json_object_end(j);
    json_object_begin(j, "payload");
    json_uint(j, "bytes_inspected", snap->inspect.payload_bytes_inspected);
    json_uint(j, "stream_bytes_inspected", snap->inspect.stream_bytes_inspected);
    json_uint(j, "encrypted_packets_skipped", snap->inspect.encrypted_packets_skipped);
    json_uint(j, "encrypted_bytes_skipped", snap->inspect.encrypted_bytes_skipped);
    json_object_end(j);
    json_uint(j, "pcre_match_limit", snap->inspect.pcre_match_limit);
    json_uint(j, "pcre_errors", snap->inspect.pcre_errors);
    json_object_begin(j, "anomaly");
    json_uint(j, "tracked", snap->anomaly.tracked_entries);
    json_uint(j, "memory", snap->anomaly.memory_bytes);
    json_uint(j, "evicted", snap->anomaly.evictions);
    json_uint(j, "dropped", snap->anomaly.dropped);
    json_uint(j, "alerts", snap->anomaly.alerts);
    json_uint(j, "suppressed", snap->anomaly.suppressed);
    json_object_end(j);
    json_object_end(j);
}

void worker_free(struct worker *w)
{
    if (w->detect)
        detect_thread_free(w->detect);
    if (w->flows)
        flow_table_free(w->flows);
    stream_engine_free(w->stream);
    applayer_free(w->applayer);
    if (w->classifier)
        classifier_free(w->classifier);
    if (w->decoder)
        decoder_free(w->decoder);
    eve_writer_free(&w->eve);
    memset(w, 0, sizeof *w);
}
