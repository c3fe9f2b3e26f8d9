/* The sensor's stats: each worker copies its counters out under its own
 * lock; the main thread sums them into stats events (with the exporters'
 * queue and spool depths) and into the outputs' heartbeats. */
#include <string.h>

#include "sensor_int.h"

/* Copies the worker's counters out for the main thread (stats, heartbeat). */
void sensor_worker_publish(struct sensor_worker *sw)
{
    pthread_mutex_lock(&sw->snap_lock);
    worker_snapshot(&sw->w, &sw->snap);
    if (sw->src)
        capture_get_stats(sw->src, &sw->cap);
    pthread_mutex_unlock(&sw->snap_lock);
}

struct stats_totals {
    struct worker_snapshot snap;
    struct capture_stats cap;
};

static void add_capture_stats(struct capture_stats *sum, const struct capture_stats *one)
{
    sum->packets += one->packets;
    sum->bytes += one->bytes;
    sum->kernel_drops += one->kernel_drops;
    sum->interface_drops += one->interface_drops;
    sum->files_read += one->files_read;
    sum->files_failed += one->files_failed;
    sum->unsupported_linktype += one->unsupported_linktype;
}

static void sensor_totals(struct sensor *s, struct stats_totals *t)
{
    memset(t, 0, sizeof *t);
    for (size_t i = 0; i < s->nworkers; i++) {
        struct sensor_worker *sw = &s->workers[i];
        pthread_mutex_lock(&sw->snap_lock);
        worker_snapshot_add(&t->snap, &sw->snap);
        add_capture_stats(&t->cap, &sw->cap);
        pthread_mutex_unlock(&sw->snap_lock);
    }
}

/* The exporters' side of a stats event: queue and spool depths. */
static void write_output_stats(struct json_writer *j, const struct output_set *outputs)
{
    struct outputs_stats o;
    outputs_get_stats(outputs, &o);
    json_object_begin(j, "outputs");
    json_uint(j, "written", o.written);
    json_uint(j, "write_errors", o.write_errors);
    json_uint(j, "queued", o.queued);
    json_uint(j, "queue_depth", o.queue_depth);
    json_uint(j, "delivered", o.delivered);
    json_uint(j, "duplicates_skipped", o.duplicates_skipped);
    json_uint(j, "spooled", o.spooled);
    json_uint(j, "spool_depth", o.spool_depth);
    json_uint(j, "spool_bytes", o.spool_bytes);
    json_uint(j, "dropped", o.dropped);
    json_uint(j, "reconnects", o.reconnects);
    json_uint(j, "redis_errors", o.redis_errors);
    json_bool(j, "redis_connected", o.redis_connected);
    json_object_end(j);
}

/* Packets per worker show how evenly the fanout spreads the traffic. */
static void write_worker_packets(struct json_writer *j, struct sensor *s)
{
    json_array_begin(j, "worker_packets");
    for (size_t i = 0; i < s->nworkers; i++) {
        pthread_mutex_lock(&s->workers[i].snap_lock);
        json_uint(j, NULL, s->workers[i].snap.decode.packets);
        pthread_mutex_unlock(&s->workers[i].snap_lock);
    }
    json_array_end(j);
}

/* One stats event over all workers.  Offline its time is packet time (so
 * the output is deterministic); live it is the wall clock. */
void sensor_write_stats(struct sensor *s)
{
    struct stats_totals t;
    sensor_totals(s, &t);
    uint64_t now = s->live ? wall_usec() : t.snap.now_usec;
    uint64_t first = s->live ? s->start_wall_usec : t.snap.first_usec;
    uint64_t uptime = now > first ? (now - first) / 1000000 : 0;
    struct json_writer *j = eve_stats_begin(&s->stats_eve, now, uptime);
    worker_stats_json(j, &t.snap, &t.cap);
    eve_stats_own(&s->stats_eve);
    json_uint(j, "workers", s->nworkers);
    write_worker_packets(j, s);
    worker_stats_own_json(j, &t.snap, &t.cap);
    write_output_stats(j, s->outputs);
    eve_stats_end(&s->stats_eve);
    sensor_port_release(&s->main_port);
}

void sensor_heartbeat(struct sensor *s)
{
    struct stats_totals t;
    sensor_totals(s, &t);
    struct sensor_health h = {
        .packets = t.cap.packets,
        .drops = t.cap.kernel_drops + t.cap.interface_drops,
        .flows = t.snap.flows.created,
        .alerts = t.snap.counters.alerts + t.snap.counters.anomalies,
        .events = event_sequence_peek(s->sequence) - s->first_seq,
        .start_time = (int64_t)(s->start_wall_usec / 1000000),
        .last_event_time = (int64_t)(t.snap.counters.last_event_usec / 1000000),
    };
    pthread_mutex_lock(&s->event_lock);
    outputs_heartbeat(s->outputs, &h);
    pthread_mutex_unlock(&s->event_lock);
}
