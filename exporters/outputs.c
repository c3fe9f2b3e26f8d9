/* The output set: every enabled exporter from the table below, each with the
 * event types it wants.  A new exporter is one file plus one line here. */
#include "exporters/exporter.h"
#include "util/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct exporter_ops *const exporter_table[] = {
    &exporter_file,
    &exporter_stdout,
    &exporter_redis,
};

#define EXPORTER_COUNT (sizeof exporter_table / sizeof exporter_table[0])

struct output {
    const struct exporter_ops *ops;
    void *state;
    unsigned types;
};

struct output_set {
    struct output out[EXPORTER_COUNT];
    size_t count;
    unsigned types;
    int64_t heartbeat_usec;
};

unsigned exporter_types(const struct config *cfg, const char *prefix, unsigned def,
                        struct diag *diag)
{
    char key[256];
    snprintf(key, sizeof key, "%stypes", prefix);
    size_t n = config_list_count(cfg, key);
    if (n == 0)
        return def;
    unsigned mask = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = config_list_item(cfg, key, i);
        int t = name ? event_type_from_name(name) : -1;
        if (t < 0) {
            unsigned line = 0;
            const char *origin = config_origin(cfg, key, &line);
            diag_error(diag, origin, line, "%s: unknown event type '%s' "
                       "(known: alert, behavior, flow, stats)", key, name ? name : "");
            continue;
        }
        mask |= EVENT_TYPE_MASK(t);
    }
    return mask;
}

char *exporter_path(const char *dir, const char *name)
{
    return path_join_alloc(dir, name);
}

struct output_set *outputs_open(const struct config *cfg, const struct outputs_env *env,
                                struct diag *diag)
{
    struct output_set *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    size_t errors_before = diag->errors;
    struct outputs_env stage_env = *env;
    stage_env.heartbeat_usec = config_get_duration_usec(cfg, "outputs.redis.heartbeat-interval",
                                                        5000000, diag);
    set->heartbeat_usec = stage_env.heartbeat_usec;
    for (size_t i = 0; i < EXPORTER_COUNT; i++) {
        const struct exporter_ops *ops = exporter_table[i];
        char prefix[128], key[160];
        snprintf(prefix, sizeof prefix, "outputs.%s.", ops->name);
        snprintf(key, sizeof key, "%senabled", prefix);
        if (!config_get_bool(cfg, key, ops->default_enabled, diag))
            continue;
        unsigned types = exporter_types(cfg, prefix, ops->default_types, diag);
        void *state = ops->open(cfg, prefix, &stage_env, diag);
        if (!state)
            continue;
        set->out[set->count++] = (struct output){ ops, state, types };
        set->types |= types;
    }
    if (diag->errors > errors_before) {
        outputs_close(set);
        return NULL;
    }
    return set;
}

void outputs_check(const struct config *cfg, struct diag *diag)
{
    for (size_t i = 0; i < EXPORTER_COUNT; i++) {
        const struct exporter_ops *ops = exporter_table[i];
        char prefix[128], key[160];
        snprintf(prefix, sizeof prefix, "outputs.%s.", ops->name);
        snprintf(key, sizeof key, "%senabled", prefix);
        struct diag quiet = { .quiet = 1 };       /* -T reports a bad boolean elsewhere */
        if (ops->check && config_get_bool(cfg, key, ops->default_enabled, &quiet))
            ops->check(cfg, prefix, diag);
    }
}

void outputs_write(struct output_set *set, const struct event_record *ev)
{
    unsigned bit = EVENT_TYPE_MASK(ev->type);
    for (size_t i = 0; i < set->count; i++)
        if (set->out[i].types & bit)
            set->out[i].ops->write(set->out[i].state, ev);
}

void outputs_reopen(struct output_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->out[i].ops->reopen)
            set->out[i].ops->reopen(set->out[i].state);
}

void outputs_flush(struct output_set *set)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->out[i].ops->flush)
            set->out[i].ops->flush(set->out[i].state);
}

void outputs_get_stats(const struct output_set *set, struct outputs_stats *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < set->count; i++)
        if (set->out[i].ops->stats)
            set->out[i].ops->stats(set->out[i].state, out);
}

void outputs_heartbeat(struct output_set *set, const struct sensor_health *h)
{
    for (size_t i = 0; i < set->count; i++)
        if (set->out[i].ops->heartbeat)
            set->out[i].ops->heartbeat(set->out[i].state, h);
}

int64_t outputs_heartbeat_interval_usec(const struct output_set *set)
{
    return set->heartbeat_usec;
}

unsigned outputs_type_mask(const struct output_set *set)
{
    return set->types;
}

void outputs_close(struct output_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++)
        set->out[i].ops->close(set->out[i].state);
    free(set);
}
