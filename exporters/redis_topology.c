/* Redis topologies for the exporter: the settings and their consistency
 * checks (for -T and for open), asking sentinels for the primary, and the
 * ROLE check that a data node really is a primary. */
#include "exporters/redis_topology.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/log.h"

static const char *const topology_names[] = {
    [REDIS_STANDALONE] = "standalone", [REDIS_SENTINEL] = "sentinel", [REDIS_CLUSTER] = "cluster",
};

/* A reply string of at most size-1 bytes, copied; -1 if it is none. */
static int reply_str(const redisReply *r, char *out, size_t size)
{
    if (!r || (r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) || r->len >= size)
        return -1;
    memcpy(out, r->str, r->len);
    out[r->len] = '\0';
    return 0;
}

static void key_error(const struct config *cfg, const char *key, struct diag *diag,
                      const char *what)
{
    unsigned line = 0;
    const char *origin = config_origin(cfg, key, &line);
    diag_error(diag, origin ? origin : "outputs.redis", line, "%s: %s", key, what);
}

/* "host:port" or "[v6]:port"; the port is required. */
static int parse_node(const char *text, struct redis_node *node)
{
    const char *colon = strrchr(text, ':');
    if (!colon || colon == text)
        return -1;
    const char *host = text, *host_end = colon;
    if (text[0] == '[') {
        if (colon[-1] != ']')
            return -1;
        host = text + 1;
        host_end = colon - 1;
    }
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (!end || *end || end == colon + 1 || port < 1 || port > 65535 || host_end <= host ||
        host_end - host > 255)
        return -1;
    node->host = strndup(host, (size_t)(host_end - host));
    node->port = (int)port;
    return node->host ? 0 : -1;
}

static int read_secret(const char *file, const char *env, char **out, struct diag *diag)
{
    if (file && file[0]) {
        FILE *f = fopen(file, "re");
        if (!f) {
            diag_error(diag, file, 0, "cannot read the sentinel password file: %s", strerror(errno));
            return -1;
        }
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0004))
            log_warning("%s: the sentinel password file is readable by everyone", file);
        char line[1024] = { 0 };
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        *out = strdup(line);
        explicit_bzero(line, sizeof line);
        return *out ? 0 : -1;
    }
    const char *value = getenv(env);
    if (value && value[0])
        *out = strdup(value);
    return 0;
}

int redis_topology_read(struct redis_topology *t, const struct config *cfg, const char *prefix,
                        struct diag *diag)
{
    memset(t, 0, sizeof *t);
    size_t errors = diag->errors;
    char key[256];
#define KEY(name) (snprintf(key, sizeof key, "%s%s", prefix, name), key)
    t->kind = (enum redis_topology_kind)config_get_choice(cfg, KEY("topology"), topology_names, 3,
                                                          REDIS_STANDALONE, diag);
    char topo_key[256];
    snprintf(topo_key, sizeof topo_key, "%s", key);
    t->wait_replicas = (int)config_get_int(cfg, KEY("wait-replicas"), 0, 0, 64, diag);
    size_t n = config_list_count(cfg, KEY("nodes"));
    char nodes_key[256];
    snprintf(nodes_key, sizeof nodes_key, "%s", key);
    if (n) {
        t->nodes = calloc(n, sizeof *t->nodes);
        if (!t->nodes)
            return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const char *item = config_list_item(cfg, nodes_key, i);
        if (!item || parse_node(item, &t->nodes[t->nnodes]) != 0) {
            char what[400];
            snprintf(what, sizeof what, "'%.200s' is not host:port", item ? item : "");
            key_error(cfg, nodes_key, diag, what);
            continue;
        }
        t->nnodes++;
    }
    const char *master = config_get_str(cfg, KEY("sentinel.master"), "");
    t->master = master[0] ? strdup(master) : NULL;
    const char *user = config_get_str(cfg, KEY("sentinel.username"), "");
    t->sentinel_user = user[0] ? strdup(user) : NULL;
    const char *sock = config_get_str(cfg, KEY("unix-socket"), "");
    int64_t db = config_get_int(cfg, KEY("db"), 0, 0, 1 << 20, diag);
    if (t->kind != REDIS_STANDALONE && n == 0)
        key_error(cfg, topo_key, diag, t->kind == REDIS_SENTINEL
                  ? "sentinel needs outputs.redis.nodes: the sentinels, as [\"host:port\", ...]"
                  : "cluster needs outputs.redis.nodes: seed nodes, as [\"host:port\", ...]");
    if (t->kind == REDIS_SENTINEL && !t->master)
        key_error(cfg, topo_key, diag, "sentinel needs outputs.redis.sentinel.master (the name "
                  "the sentinels monitor)");
    if (t->kind != REDIS_STANDALONE && sock[0])
        key_error(cfg, KEY("unix-socket"), diag, "a unix socket reaches one server; it cannot be "
                  "used with topology sentinel or cluster");
    if (t->kind == REDIS_CLUSTER && db != 0)
        key_error(cfg, KEY("db"), diag, "Redis Cluster has database 0 only");
    if (t->kind == REDIS_CLUSTER)
        key_error(cfg, topo_key, diag, "topology cluster is not supported by this version "
                  "(standalone and sentinel are)");
    if (t->kind == REDIS_STANDALONE && n)
        key_error(cfg, nodes_key, diag, "nodes are for topology sentinel or cluster; "
                  "standalone uses server and port");
    read_secret(config_get_str(cfg, KEY("sentinel.password-file"), ""), "XIEZHI_SENTINEL_PASSWORD",
                &t->sentinel_password, diag);
#undef KEY
    return diag->errors > errors ? -1 : 0;
}

void redis_topology_free(struct redis_topology *t)
{
    for (size_t i = 0; i < t->nnodes; i++)
        free(t->nodes[i].host);
    free(t->nodes);
    free(t->master);
    free(t->sentinel_user);
    if (t->sentinel_password) {
        explicit_bzero(t->sentinel_password, strlen(t->sentinel_password));
        free(t->sentinel_password);
    }
    memset(t, 0, sizeof *t);
}

/* One sentinel: its answer for the master name, or -1 (err says why). */
static int ask_sentinel(const struct redis_topology *t, const struct redis_node *s,
                        struct timeval tv, char *host, size_t size, int *port, char *err,
                        size_t errsize)
{
    redisContext *c = redisConnectWithTimeout(s->host, s->port, tv);
    if (!c || c->err) {
        snprintf(err, errsize, "sentinel %s:%d: %s", s->host, s->port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return -1;
    }
    redisSetTimeout(c, tv);
    int rc = -1;
    redisReply *r = NULL;
    if (t->sentinel_password) {
        const char *argv[3] = { "AUTH" };
        int argc = 1;
        if (t->sentinel_user)
            argv[argc++] = t->sentinel_user;
        argv[argc++] = t->sentinel_password;
        r = redisCommandArgv(c, argc, argv, NULL);
        if (!r || r->type == REDIS_REPLY_ERROR) {
            snprintf(err, errsize, "sentinel %s:%d: authentication failed: %s", s->host, s->port,
                     r ? r->str : c->errstr);
            goto out;
        }
        freeReplyObject(r);
    }
    const char *argv[3] = { "SENTINEL", "get-master-addr-by-name", t->master };
    r = redisCommandArgv(c, 3, argv, NULL);
    if (!r) {
        snprintf(err, errsize, "sentinel %s:%d: %s", s->host, s->port, c->errstr);
        goto out;
    }
    char portstr[16];
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
        reply_str(r->element[0], host, size) != 0 || !host[0] ||
        reply_str(r->element[1], portstr, sizeof portstr) != 0) {
        snprintf(err, errsize, "sentinel %s:%d does not know a primary named '%s'%s%s", s->host,
                 s->port, t->master, r->type == REDIS_REPLY_ERROR ? ": " : "",
                 r->type == REDIS_REPLY_ERROR ? r->str : "");
        goto out;
    }
    char *end = NULL;
    long p = strtol(portstr, &end, 10);
    if (!end || *end || p < 1 || p > 65535) {
        snprintf(err, errsize, "sentinel %s:%d: bad port in its answer", s->host, s->port);
        goto out;
    }
    *port = (int)p;
    rc = 0;
out:
    if (r)
        freeReplyObject(r);
    redisFree(c);
    return rc;
}

int redis_topology_primary(struct redis_topology *t, struct timeval tv, char *host, size_t size,
                           int *port, char *err, size_t errsize)
{
    snprintf(err, errsize, "no sentinel configured");
    for (size_t k = 0; k < t->nnodes; k++) {
        size_t i = (t->next + k) % t->nnodes;
        if (ask_sentinel(t, &t->nodes[i], tv, host, size, port, err, errsize) == 0) {
            t->next = i;           /* ask the one that answered first next time */
            return 0;
        }
    }
    t->next = (t->next + 1) % (t->nnodes ? t->nnodes : 1);
    return -1;
}

int redis_topology_is_primary(redisContext *c, char *err, size_t errsize)
{
    redisReply *r = redisCommand(c, "ROLE");
    if (!r) {
        snprintf(err, errsize, "%s", c->errstr);
        return -1;
    }
    char role[32] = "";
    int rc = 1;
    if (r->type == REDIS_REPLY_ARRAY && r->elements >= 1 &&
        reply_str(r->element[0], role, sizeof role) == 0 && strcmp(role, "master") == 0)
        rc = 0;
    else
        snprintf(err, errsize, "the server is not a primary (ROLE: %s)",
                 role[0] ? role : (r->type == REDIS_REPLY_ERROR ? r->str : "?"));
    freeReplyObject(r);
    return rc;
}
