/* The sensor's run loops.  Live: one thread per worker, each reading its
 * own capture handle, while the main thread acts on signals (reload, stats,
 * stop) and timers (stats, heartbeat, flush).  Offline: the one worker runs
 * on the main thread and stats follow packet time. */
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sensor_int.h"
#include "util/log.h"

/* Signal handlers may only set flags; the main loop acts on them. */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;
static volatile sig_atomic_t stats_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload_requested = 1;
    else if (sig == SIGUSR1)
        stats_requested = 1;
    else
        stop_requested = 1;
}

void sensor_install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* SIGHUP: a reload that has to wait for the previous swap stays requested. */
static void sensor_on_reload_request(struct sensor *s)
{
    reload_requested = 0;
    if (!sensor_reload(s))
        reload_requested = 1;
}

/* ---- workers ---------------------------------------------------------- */

int sensor_init_workers(struct sensor *s, size_t n)
{
    s->workers = calloc(n, sizeof *s->workers);
    if (!s->workers)
        return 1;
    s->nworkers = n;
    struct worker_shared shared = s->stage;     /* read in sensor_prepare */
    shared.config = s->config;
    shared.geoip = s->geoip;
    shared.detect = s->detect;
    shared.sensor_id = s->sensor_id;
    shared.segment = s->segment;
    shared.offline = !s->live;
    for (size_t i = 0; i < n; i++) {
        struct sensor_worker *sw = &s->workers[i];
        sw->sensor = s;
        sw->port.sensor = s;
        pthread_mutex_init(&sw->snap_lock, NULL);
        shared.sink = sensor_port_sink(&sw->port);
        if (worker_init(&sw->w, (int)i, &shared) < 0)
            return 1;
        sw->ready = true;
    }
    return 0;
}

static void *worker_thread(void *arg)
{
    struct sensor_worker *sw = arg;
    struct sensor *s = sw->sensor;
    struct capture_packet frame;
    unsigned since_clock = 0;
    while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
        sensor_worker_sync_detect(sw);
        enum capture_status st = capture_next(sw->src, &frame);
        if (st == CAPTURE_OK) {
            worker_process(&sw->w, &frame);
            sensor_port_release(&sw->port);
        } else if (st == CAPTURE_TIMEOUT) {
            worker_tick(&sw->w, wall_usec());
            sensor_port_release(&sw->port);
            since_clock = UINT_MAX - 1;
        } else {
            sw->failed = st == CAPTURE_ERROR;
            break;
        }
        if (++since_clock < 256)
            continue;
        since_clock = 0;
        uint64_t now = wall_usec();
        if (now >= sw->next_publish_usec) {
            sw->next_publish_usec = now + PUBLISH_INTERVAL_USEC;
            sensor_worker_publish(sw);
        }
    }
    worker_finish(&sw->w);
    sensor_port_release(&sw->port);
    sensor_worker_publish(sw);
    atomic_store(&sw->exited, true);
    return NULL;
}

/* ---- live capture ------------------------------------------------------ */

static const char *const *sensor_interfaces(struct sensor *s, size_t *n)
{
    const char **from_config = s->config_interfaces;
    if (s->opts->ninterfaces) {
        *n = s->opts->ninterfaces;
        return s->opts->interfaces;
    }
    *n = config_list_count(s->config, "capture.interfaces");
    if (*n > OPTIONS_MAX_LIST)
        *n = OPTIONS_MAX_LIST;
    for (size_t i = 0; i < *n; i++)
        from_config[i] = config_list_item(s->config, "capture.interfaces", i);
    return from_config;
}

/* One handle per worker; several workers on an interface share its flows
 * through a PACKET_FANOUT group of their own. */
int sensor_open_live(struct sensor *s)
{
    size_t nif;
    const char *const *ifaces = sensor_interfaces(s, &nif);
    if (!nif) {
        log_error("no interface to capture on: give -i IFACE or capture.interfaces");
        return 2;
    }
    size_t per = s->set.nworkers;
    if (nif * per > SENSOR_MAX_WORKERS)
        per = SENSOR_MAX_WORKERS / nif ? SENSOR_MAX_WORKERS / nif : 1;
    int rc = sensor_init_workers(s, nif * per);
    if (rc)
        return rc;
    for (size_t i = 0; i < nif; i++) {
        struct capture_live_config lc;
        capture_live_config_load(&lc, s->config, ifaces[i], &s->diag);
        if (s->opts->bpf)
            lc.bpf = s->opts->bpf;
        lc.fanout_group = per > 1 ? (int)(((unsigned)getpid() + i) & 0xffff) : 0;
        if (per > 1 && lc.fanout_group == 0)
            lc.fanout_group = 0x8000 + (int)i;
        for (size_t k = 0; k < per; k++)
            if (capture_open_live(&s->workers[i * per + k].src, &lc, NULL, 0) < 0)
                return 1;
        log_notice("%s: capturing with %zu worker(s)%s", ifaces[i], per,
                   per == 1 ? "" : lc.fanout == CAPTURE_FANOUT_FLOW ? " (PACKET_FANOUT by flow)"
                                                                    : " (PACKET_FANOUT by host pair)");
    }
    return 0;
}

static int sensor_start_threads(struct sensor *s)
{
    /* Workers never see signals: the main thread handles them all. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = 0;
    for (size_t i = 0; i < s->nworkers && !rc; i++) {
        struct sensor_worker *sw = &s->workers[i];
        if (pthread_create(&sw->thread, NULL, worker_thread, sw) != 0) {
            log_error("cannot start worker thread %zu", i);
            rc = -1;
            break;
        }
        sw->started = true;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

static void sensor_stop_threads(struct sensor *s)
{
    atomic_store(&s->stop, true);
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].src)
            capture_interrupt(s->workers[i].src);
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].started) {
            pthread_join(s->workers[i].thread, NULL);
            s->workers[i].started = false;
        }
}

static bool any_worker_exited(struct sensor *s)
{
    for (size_t i = 0; i < s->nworkers; i++)
        if (atomic_load(&s->workers[i].exited))
            return true;
    return false;
}

/* Timers of the main loop, on the wall clock. */
struct main_timers {
    uint64_t next_stats, next_heartbeat, next_flush;
    uint64_t heartbeat_interval;
};

static void sensor_on_timers(struct sensor *s, struct main_timers *t, uint64_t now)
{
    if (stats_requested || (s->set.stats_interval_usec && now >= t->next_stats)) {
        stats_requested = 0;
        t->next_stats = now + s->set.stats_interval_usec;
        sensor_write_stats(s);
    }
    if (t->heartbeat_interval && now >= t->next_heartbeat) {
        t->next_heartbeat = now + t->heartbeat_interval;
        sensor_heartbeat(s);
    }
    if (now >= t->next_flush) {
        t->next_flush = now + FLUSH_INTERVAL_USEC;
        pthread_mutex_lock(&s->event_lock);
        outputs_flush(s->outputs);
        pthread_mutex_unlock(&s->event_lock);
    }
}

int sensor_run_live(struct sensor *s)
{
    if (sensor_start_threads(s) < 0) {
        sensor_stop_threads(s);
        return 1;
    }
    int64_t hb = outputs_heartbeat_interval_usec(s->outputs);
    uint64_t now = wall_usec();
    struct main_timers t = {
        .next_stats = now + s->set.stats_interval_usec,
        .next_heartbeat = now,
        .next_flush = now + FLUSH_INTERVAL_USEC,
        .heartbeat_interval = hb > 0 ? (uint64_t)hb : 0,
    };
    while (!stop_requested && !any_worker_exited(s)) {
        struct timespec tick = { 0, MAIN_TICK_NSEC };
        nanosleep(&tick, NULL);
        if (reload_requested)
            sensor_on_reload_request(s);
        sensor_reap_engine(s);
        sensor_on_timers(s, &t, wall_usec());
    }
    if (stop_requested)
        log_notice("stopping: flushing flows and outputs");
    sensor_stop_threads(s);
    sensor_reap_engine(s);
    sensor_write_stats(s);
    int rc = 0;
    for (size_t i = 0; i < s->nworkers; i++)
        if (s->workers[i].failed)
            rc = 1;
    return rc;
}

/* ---- offline ----------------------------------------------------------- */

/* Offline the one worker runs on the main thread; stats follow packet time. */
static void offline_periodic(struct sensor *s, struct main_timers *t)
{
    struct sensor_worker *sw = &s->workers[0];
    if (reload_requested) {
        sensor_on_reload_request(s);
        sensor_worker_sync_detect(sw);
        sensor_reap_engine(s);
    }
    uint64_t pkt_now = sw->w.now_usec;
    if (s->set.stats_interval_usec && pkt_now) {
        if (!s->next_stats_usec)
            s->next_stats_usec = pkt_now + s->set.stats_interval_usec;
        if (pkt_now >= s->next_stats_usec) {
            s->next_stats_usec = pkt_now + s->set.stats_interval_usec;
            sensor_worker_publish(sw);
            sensor_write_stats(s);
        }
    }
    uint64_t now = wall_usec();
    if (t->heartbeat_interval && now >= t->next_heartbeat) {
        t->next_heartbeat = now + t->heartbeat_interval;
        sensor_worker_publish(sw);
        sensor_heartbeat(s);
    }
}

int sensor_run_offline(struct sensor *s)
{
    if (capture_open_offline(&s->offline, s->opts->read_paths, s->opts->nread_paths) < 0)
        return 1;
    struct sensor_worker *sw = &s->workers[0];
    sw->src = s->offline;
    int64_t hb = outputs_heartbeat_interval_usec(s->outputs);
    struct main_timers t = { .heartbeat_interval = hb > 0 ? (uint64_t)hb : 0 };
    struct capture_packet frame;
    enum capture_status st;
    unsigned polls = 0;
    while (!stop_requested && (st = capture_next(s->offline, &frame)) != CAPTURE_END) {
        if (st == CAPTURE_ERROR)
            break;
        if (st == CAPTURE_OK)
            worker_process(&sw->w, &frame);
        sensor_port_release(&sw->port);
        if (reload_requested || sw->w.now_usec >= s->next_stats_usec || (++polls & 1023) == 0)
            offline_periodic(s, &t);
    }
    worker_finish(&sw->w);
    sensor_port_release(&sw->port);
    sensor_worker_publish(sw);
    sensor_write_stats(s);
    return capture_had_errors(s->offline) ? 1 : 0;
}
