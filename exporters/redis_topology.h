/* Where the Redis exporter writes: one server (standalone), the primary that
 * Sentinel names (sentinel), or the primary that owns the key's slot in a
 * Redis Cluster (cluster).  Reads and checks outputs.redis.topology, .nodes,
 * .sentinel.*, .wait-replicas; finds the primary through the sentinels and
 * verifies with ROLE that a data node is a primary.  The exporter thread is
 * the only user: no locking. */
#ifndef XIEZHI_REDIS_TOPOLOGY_H
#define XIEZHI_REDIS_TOPOLOGY_H

#include <hiredis.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/time.h>

#include "config/config.h"
#include "util/diag.h"

enum redis_topology_kind { REDIS_STANDALONE, REDIS_SENTINEL, REDIS_CLUSTER };

/* The key when outputs.redis.key is not set: one stream per sensor, hash
 * tagged so that its delivered marker shares its slot (%{sensor} = id). */
#define REDIS_DEFAULT_KEY         "xiezhi:alerts"
#define REDIS_CLUSTER_DEFAULT_KEY "xiezhi:{%{sensor}}:alerts"

struct redis_node {
    char *host;
    int port;
};

struct redis_topology {
    enum redis_topology_kind kind;
    struct redis_node *nodes;      /* sentinels (sentinel) or seed nodes (cluster) */
    size_t nnodes;
    size_t next;                   /* the sentinel asked first next time */
    char *master;                  /* sentinel.master */
    char *sentinel_user, *sentinel_password;
    int wait_replicas;             /* WAIT after each batch; 0 = no */
};

/* Reads and checks the settings under prefix ("outputs.redis.").  Errors go
 * to diag as "file:line: ..." (also used by -T).  0 ok, -1 on an error. */
/* A secret: the first line of file when one is set, else the environment
 * variable env, which is then wiped and unset so that it does not stay in
 * /proc/PID/environ.  *out stays NULL when neither is set; what names the
 * secret in messages ("Redis", "sentinel"). */
int redis_read_secret(const char *file, const char *env, const char *what, char **out,
                      struct diag *diag);
int redis_topology_read(struct redis_topology *t, const struct config *cfg, const char *prefix,
                        struct diag *diag);
void redis_topology_free(struct redis_topology *t);

/* Sentinel: asks the sentinels in turn for the primary's address.  0 and
 * host/port filled, or -1 with why in err. */
int redis_topology_primary(struct redis_topology *t, struct timeval tv, char *host, size_t size,
                           int *port, char *err, size_t errsize);

/* "host:port" or "[v6]:port" (port required) into node (host malloc'd).
 * 0, or -1 when it is not that. */
int redis_node_parse(const char *text, struct redis_node *node);

/* Cluster: the hash slot of a key (CRC16 of its hash tag, or of the whole
 * key), 0..16383. */
unsigned redis_key_slot(const char *key, size_t len);
/* The key's hash tag: 1 and tag, taglen set when it has one ("{...}", non
 * empty), 0 when it has no brace at all, -1 when braces do not form one. */
int redis_key_tag(const char *key, const char **tag, size_t *taglen);

/* Connects to host:port and authenticates (user may be NULL; password NULL
 * = no AUTH).  NULL with err set on failure. */
redisContext *redis_node_connect(const char *host, int port, struct timeval tv, const char *user,
                                 const char *password, char *err, size_t errsize);

/* Cluster: asks the seed nodes (CLUSTER SLOTS) which primary owns slot.
 * 0 and host/port filled, or -1 with err. */
int redis_topology_slot_owner(struct redis_topology *t, unsigned slot, struct timeval tv,
                              const char *user, const char *password, char *host, size_t size,
                              int *port, char *err, size_t errsize);

/* "MOVED <slot> <host:port>" or "ASK <slot> <host:port>": 1 (and *ask,
 * host, port set) when err is one of them, 0 otherwise. */
int redis_parse_redirect(const char *err, bool *ask, char *host, size_t size, int *port);

/* ROLE on a connected data node: 0 when it is a primary, 1 when it is not
 * (err says what it is), -1 when the connection failed (err). */
int redis_topology_is_primary(redisContext *c, char *err, size_t errsize);

#endif
