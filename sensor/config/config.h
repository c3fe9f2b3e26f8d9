/* The configuration: a YAML file (libyaml) flattened into dotted key paths
 * ("outputs.redis.port"), with --set overrides on top.  Every stage reads its
 * own keys with a default, so `xiezhi -r x.pcap` runs with no file at all.
 * A YAML sequence becomes a list under its key; a mapping inside a sequence
 * gets its index as a path element ("capture.interfaces.0.name"). */
#ifndef XIEZHI_CONFIG_H
#define XIEZHI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

struct config;

struct config *config_new(void);
void config_free(struct config *cfg);

/* Loads a YAML file; problems go to diag as "file:line: ...".  Returns 0 on
 * success, -1 if the file could not be read or parsed. */
int config_load_file(struct config *cfg, const char *path, struct diag *diag);
/* Same, from memory (fuzzing, tests); name is used in messages. */
int config_load_buffer(struct config *cfg, const char *name, const char *text, size_t len,
                       struct diag *diag);

/* "key=value" from the command line.  A value "[a, b]" sets a list. */
int config_set_override(struct config *cfg, const char *assignment, struct diag *diag);

bool config_has(const struct config *cfg, const char *key);
const char *config_get_str(const struct config *cfg, const char *key, const char *def);
/* Numbers follow util/units.h.  Counts take k/m/g (powers of 1000); sizes
 * take b/kb/mb/gb/tb (powers of 1024).  A value that is not a whole number
 * of its kind or is out of [min,max] is reported and def is returned. */
int64_t config_get_int(const struct config *cfg, const char *key, int64_t def,
                       int64_t min, int64_t max, struct diag *diag);
int64_t config_get_size(const struct config *cfg, const char *key, int64_t def,
                        int64_t min, int64_t max, struct diag *diag);
/* Durations take us, ms, s (the default), m/min, h, d; in microseconds. */
int64_t config_get_duration_usec(const struct config *cfg, const char *key, int64_t def_usec,
                                 struct diag *diag);
bool config_get_bool(const struct config *cfg, const char *key, bool def, struct diag *diag);
/* One of n names (case-insensitive); returns its index, def when absent or
 * not one of them (the latter reported). */
size_t config_get_choice(const struct config *cfg, const char *key, const char *const *names,
                         size_t n, size_t def, struct diag *diag);

/* List values: count, and item i (NULL past the end).  A scalar counts as a
 * one-element list, so "types: alert" and "types: [alert]" read alike. */
size_t config_list_count(const struct config *cfg, const char *key);
const char *config_list_item(const struct config *cfg, const char *key, size_t index);

/* Calls fn for each direct child name of prefix ("vars.address-groups" ->
 * "HOME_NET", ...), in file order, each name once. */
void config_foreach_child(const struct config *cfg, const char *prefix,
                          void (*fn)(void *ctx, const char *child, const char *full_key),
                          void *ctx);

/* The keys xiezhi reads, as patterns ('*' is one path element): keys.c. */
extern const char *const config_known_keys[];
extern const size_t config_known_key_count;

/* Reports every key (file or --set) that matches none of the n patterns:
 * "file:line: unknown key 'a.b' (did you mean 'a.c'?)", as an error when
 * as_error (-T) and a warning otherwise.  Returns how many were reported. */
size_t config_check_keys(const struct config *cfg, const char *const *known, size_t n,
                         bool as_error, struct diag *diag);

/* Where a key came from, for messages: "file:line" or "--set". */
const char *config_origin(const struct config *cfg, const char *key, unsigned *line);

#endif
