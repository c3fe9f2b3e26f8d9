/* Where events go: the event lock and the outputs.  Each thread that writes
 * events does so through its event_port (sensor_int.h says why event_id
 * allocation and delivery share one lock); sensor_open_outputs opens the
 * outputs and the event_id sequence beside them. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "sensor_int.h"
#include "util/log.h"
#include "util/path.h"

static uint64_t port_next_seq(void *ctx)
{
    struct event_port *p = ctx;
    if (!p->holding) {
        pthread_mutex_lock(&p->sensor->event_lock);
        p->holding = true;
    }
    return event_sequence_next(p->sensor->sequence);
}

static void port_deliver(void *ctx, const struct event_record *record)
{
    struct event_port *p = ctx;
    outputs_write(p->sensor->outputs, record);
    if (p->holding) {
        p->holding = false;
        pthread_mutex_unlock(&p->sensor->event_lock);
    }
}

void sensor_port_release(struct event_port *p)
{
    if (p->holding) {
        p->holding = false;
        pthread_mutex_unlock(&p->sensor->event_lock);
    }
}

struct eve_sink sensor_port_sink(struct event_port *p)
{
    return (struct eve_sink){ .ctx = p, .next_seq = port_next_seq, .deliver = port_deliver };
}

int sensor_open_outputs(struct sensor *s)
{
    /* 0750 and files 0640: alerts name hosts, users and what they did. */
    if (mkdir(s->log_dir, 0750) < 0 && errno != EEXIST) {
        log_error("%s: cannot create log directory: %s", s->log_dir, strerror(errno));
        return -1;
    }
    /* event_id sequence state lives beside the events it numbers, so a
     * fresh log directory starts at 1 and a reused one keeps increasing. */
    const char *state = config_get_str(s->config, "sensor.state-file", "xiezhi.seq");
    char path[PATH_MAX + 64];
    if (path_join(path, sizeof path, s->log_dir, state) < 0) {
        diag_error(&s->diag, "sensor.state-file", 0, "path too long");
        return -1;
    }
    int lock_fd = event_sequence_lock(path, &s->diag);
    if (lock_fd < 0)
        return -1;
    s->sequence_lock_fd = lock_fd + 1;
    s->sequence = event_sequence_open(path, &s->diag);
    if (!s->sequence)
        return -1;
    s->first_seq = event_sequence_peek(s->sequence);
    struct outputs_env env = { .log_dir = s->log_dir, .sensor_id = s->sensor_id, .version = XIEZHI_VERSION,
                               .first_seq = s->first_seq, .segment = s->segment };
    s->outputs = outputs_open(s->config, &env, &s->diag);
    if (!s->outputs)
        return -1;
    /* Workers exist already (capture opens first); now they learn which
     * events anybody takes, so the rest are never formatted. */
    for (size_t i = 0; i < s->nworkers; i++)
        eve_writer_set_wanted(&s->workers[i].w.eve, outputs_type_mask(s->outputs));
    s->main_port.sensor = s;
    struct eve_sink sink = sensor_port_sink(&s->main_port);
    eve_writer_init(&s->stats_eve, s->sensor_id, s->segment, !s->live, NULL, s->geoip, &sink);
    s->stats_eve_ready = true;
    return 0;
}
