/* Datasets: named sets of IOCs (strings, IPv4/IPv6 addresses, MD5/SHA-256
 * hashes) for the `dataset` rule keyword, loaded from files in Suricata's
 * formats and shared by every rule that names them.  Lookups are lock-free
 * reads; `set` adds under a lock so that several workers can share one. */
#ifndef XIEZHI_DATASET_H
#define XIEZHI_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/diag.h"

enum dataset_type { DATASET_STRING, DATASET_IPV4, DATASET_IPV6, DATASET_MD5, DATASET_SHA256 };

struct dataset;
struct dataset_registry;

/* "string", "ipv4", "ipv6", "ip" (= ipv6, Suricata's name), "md5", "sha256"
 * -> type; -1 if unknown.  An ipv6 set also holds IPv4 addresses, stored as
 * struct ip_addr keeps them (4 bytes, then 12 zero bytes); a 4-byte value
 * given to an ipv6 set is widened that way, so either form matches. */
int dataset_type_from_name(const char *name);

struct dataset_registry *dataset_registry_new(void);
void dataset_registry_free(struct dataset_registry *reg);

/* A second directory (besides each rule file's own) that set files may be
 * loaded from: config datasets.dir.  NULL or "": none.  -1: out of memory. */
int dataset_registry_set_data_dir(struct dataset_registry *reg, const char *dir);

/* Returns the dataset called name, creating it (and loading load_path, if
 * not NULL, relative paths resolved against base_dir) on first use.
 * load_path must resolve (after "..", symlinks) under base_dir or the data
 * directory; a file elsewhere is refused.  A second
 * use with another type is an error.  Problems are reported through diag as
 * file:line.  NULL on error. */
struct dataset *dataset_registry_get(struct dataset_registry *reg, const char *name,
                                     enum dataset_type type, const char *load_path,
                                     const char *base_dir, struct diag *diag,
                                     const char *rule_file, unsigned rule_line);

/* A rule reload: each set of `to` (freshly loaded from its file) that has
 * a namesake of the same type in `from` gets what rules changed in that one
 * at run time: values added by `set`, file values removed by `unset`. */
void dataset_registry_carry(struct dataset_registry *to, struct dataset_registry *from);

/* Values are raw: strings as bytes, IPv4 as 4 bytes, IPv6 as 16 bytes,
 * hashes as 16 or 32 bytes (not hex). */
bool dataset_contains(const struct dataset *ds, const uint8_t *value, size_t len);
/* Adds value; returns 1 if it was new, 0 if present, -1 when full/out of memory. */
int dataset_add(struct dataset *ds, const uint8_t *value, size_t len);
/* Removes value (for `unset`); returns 1 if it was present. */
int dataset_remove(struct dataset *ds, const uint8_t *value, size_t len);
size_t dataset_size(const struct dataset *ds);
enum dataset_type dataset_get_type(const struct dataset *ds);

/* Additions (enrichdata) for `save`/`state`, `memcap` and stats. */
const char *dataset_get_name(const struct dataset *ds);
/* Looks a dataset up by name without creating it; NULL if unknown. */
struct dataset *dataset_registry_find(struct dataset_registry *reg, const char *name);
/* Memory cap for datasets created after the call (default 512 MiB each);
 * dataset_add returns -1 once a set would exceed it. */
void dataset_registry_set_memcap(struct dataset_registry *reg, size_t bytes);
void dataset_set_memcap(struct dataset *ds, size_t bytes);
/* Bytes held: entries (removed ones too, which stay until the set is
 * freed so that readers never need a lock), and hash tables. */
size_t dataset_memory(const struct dataset *ds);
/* Writes the set in the load format, in insertion order (deterministic),
 * through path.tmp and a rename.  -1 with a diag message on failure. */
int dataset_save(struct dataset *ds, const char *path, struct diag *diag);

#endif
