/* Where the Redis exporter writes: one server (standalone), the primary that
 * Sentinel names (sentinel), or a cluster (not yet supported: refused with a
 * clear message).  Reads and checks outputs.redis.topology, .nodes,
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
int redis_topology_read(struct redis_topology *t, const struct config *cfg, const char *prefix,
                        struct diag *diag);
void redis_topology_free(struct redis_topology *t);

/* Sentinel: asks the sentinels in turn for the primary's address.  0 and
 * host/port filled, or -1 with why in err. */
int redis_topology_primary(struct redis_topology *t, struct timeval tv, char *host, size_t size,
                           int *port, char *err, size_t errsize);

/* ROLE on a connected data node: 0 when it is a primary, 1 when it is not
 * (err says what it is), -1 when the connection failed (err). */
int redis_topology_is_primary(redisContext *c, char *err, size_t errsize);

#endif
