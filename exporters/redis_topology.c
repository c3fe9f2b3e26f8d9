/* Redis topologies for the exporter: the settings and their consistency
 * checks (for -T and for open), asking sentinels for the primary, and the
 * ROLE check that a data node really is a primary. */
#include "exporters/redis_topology.h"

#include <errno.h>
#include <stdint.h>
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

int redis_node_parse(const char *text, struct redis_node *node)
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

int redis_read_secret(const char *file, const char *env, const char *what, char **out,
                      struct diag *diag)
{
    if (file && file[0]) {
        FILE *f = fopen(file, "re");
        if (!f) {
            diag_error(diag, file, 0, "cannot read the %s password file: %s", what,
                       strerror(errno));
            return -1;
        }
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && (st.st_mode & 0004))
            log_warning("%s: the %s password file is readable by everyone", file, what);
        char line[1024] = { 0 };
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        *out = strdup(line);
        explicit_bzero(line, sizeof line);
        return *out ? 0 : -1;
    }
    char *value = getenv(env);
    if (value && value[0]) {
        *out = strdup(value);
        /* Out of /proc/PID/environ: that shows the original environment
         * block, which unsetenv() alone leaves in place. */
        explicit_bzero(value, strlen(value));
        unsetenv(env);
        return *out ? 0 : -1;
    }
    return 0;
}

/* Cluster: every key of a batch must hash to one slot, so braces in the key
 * template are hash tags: the sensor placeholder there is %{sensor}. */
static void check_cluster_keys(const struct config *cfg, const char *prefix, struct diag *diag)
{
    char key[256];
    snprintf(key, sizeof key, "%skey", prefix);
    const char *tmpl = config_get_str(cfg, key, REDIS_CLUSTER_DEFAULT_KEY);
    for (const char *p = strstr(tmpl, "{sensor}"); p; p = strstr(p + 1, "{sensor}"))
        if (p == tmpl || p[-1] != '%') {
            key_error(cfg, key, diag, "in a cluster, braces are a hash tag: write the sensor "
                      "placeholder as %{sensor} (e.g. \"xiezhi:{%{sensor}}:alerts\")");
            break;
        }
    /* the placeholder aside, braces must form a hash tag */
    char probe[512];
    size_t w = 0;
    for (const char *p = tmpl; *p && w + 2 < sizeof probe;) {
        if (strncmp(p, "%{sensor}", 9) == 0) {
            probe[w++] = 'x';
            p += 9;
        } else {
            probe[w++] = *p++;
        }
    }
    probe[w] = '\0';
    const char *tag;
    size_t taglen;
    if (redis_key_tag(probe, &tag, &taglen) < 0)
        key_error(cfg, key, diag, "in a cluster, braces in the key must form one hash tag, "
                  "as in \"xiezhi:{%{sensor}}:alerts\"");
    const char *id = config_get_str(cfg, "sensor.id", "");
    if (strchr(id, '{') || strchr(id, '}')) {
        unsigned line = 0;
        const char *origin = config_origin(cfg, "sensor.id", &line);
        diag_error(diag, origin ? origin : "sensor.id", line,
                   "sensor.id: braces are hash tags in a Redis Cluster; use an id without them");
    }
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
        if (!item || redis_node_parse(item, &t->nodes[t->nnodes]) != 0) {
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
        check_cluster_keys(cfg, prefix, diag);
    if (t->kind == REDIS_STANDALONE && n)
        key_error(cfg, nodes_key, diag, "nodes are for topology sentinel or cluster; "
                  "standalone uses server and port");
    redis_read_secret(config_get_str(cfg, KEY("sentinel.password-file"), ""),
                      "XIEZHI_SENTINEL_PASSWORD", "sentinel", &t->sentinel_password, diag);
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

/* ---- cluster ---- */

/* CRC16-CCITT (XMODEM), as Redis Cluster uses for key slots. */
static uint16_t crc16(const char *buf, size_t len)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < len; i++) {
        crc ^= (uint16_t)((unsigned char)buf[i] << 8);
        for (int k = 0; k < 8; k++)
            crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

int redis_key_tag(const char *key, const char **tag, size_t *taglen)
{
    const char *open = strchr(key, '{');
    if (!open)
        return strchr(key, '}') ? -1 : 0;
    const char *close = strchr(open + 1, '}');
    if (!close || close == open + 1)
        return -1;
    *tag = open + 1;
    *taglen = (size_t)(close - open - 1);
    return 1;
}

unsigned redis_key_slot(const char *key, size_t len)
{
    /* Redis's rule: the part between the first '{' and the next '}', if
     * that part is not empty; otherwise the whole key */
    for (size_t s = 0; s < len; s++) {
        if (key[s] != '{')
            continue;
        for (size_t e = s + 1; e < len; e++)
            if (key[e] == '}') {
                if (e > s + 1)
                    return crc16(key + s + 1, e - s - 1) & 16383;
                break;
            }
        break;
    }
    return crc16(key, len) & 16383;
}

redisContext *redis_node_connect(const char *host, int port, struct timeval tv, const char *user,
                                 const char *password, char *err, size_t errsize)
{
    redisContext *c = redisConnectWithTimeout(host, port, tv);
    if (!c || c->err) {
        snprintf(err, errsize, "%s:%d: %s", host, port, c ? c->errstr : "out of memory");
        if (c)
            redisFree(c);
        return NULL;
    }
    redisSetTimeout(c, tv);
    if (!password)
        return c;
    const char *argv[3] = { "AUTH" };
    int argc = 1;
    if (user)
        argv[argc++] = user;
    argv[argc++] = password;
    redisReply *r = redisCommandArgv(c, argc, argv, NULL);
    if (!r || r->type == REDIS_REPLY_ERROR) {
        snprintf(err, errsize, "%s:%d: authentication failed: %s", host, port, r ? r->str : c->errstr);
        if (r)
            freeReplyObject(r);
        redisFree(c);
        return NULL;
    }
    freeReplyObject(r);
    return c;
}

/* One CLUSTER SLOTS reply: the primary of the range holding slot. */
static int slots_owner(const redisReply *r, unsigned slot, char *host, size_t size, int *port)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return -1;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *range = r->element[i];
        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3 ||
            range->element[0]->type != REDIS_REPLY_INTEGER ||
            range->element[1]->type != REDIS_REPLY_INTEGER)
            continue;
        if ((long long)slot < range->element[0]->integer || (long long)slot > range->element[1]->integer)
            continue;
        const redisReply *node = range->element[2];
        if (node->type != REDIS_REPLY_ARRAY || node->elements < 2 ||
            node->element[1]->type != REDIS_REPLY_INTEGER || node->element[1]->integer < 1 ||
            node->element[1]->integer > 65535 || reply_str(node->element[0], host, size) != 0 ||
            !host[0])
            return -1;
        *port = (int)node->element[1]->integer;
        return 0;
    }
    return -1;
}

int redis_topology_slot_owner(struct redis_topology *t, unsigned slot, struct timeval tv,
                              const char *user, const char *password, char *host, size_t size,
                              int *port, char *err, size_t errsize)
{
    snprintf(err, errsize, "no seed node configured");
    for (size_t k = 0; k < t->nnodes; k++) {
        size_t i = (t->next + k) % t->nnodes;
        const struct redis_node *n = &t->nodes[i];
        redisContext *c = redis_node_connect(n->host, n->port, tv, user, password, err, errsize);
        if (!c)
            continue;
        redisReply *r = redisCommand(c, "CLUSTER SLOTS");
        int rc = r ? slots_owner(r, slot, host, size, port) : -1;
        if (rc != 0)
            snprintf(err, errsize, "%s:%d: %s", n->host, n->port,
                     !r ? c->errstr : r->type == REDIS_REPLY_ERROR ? r->str : "no node serves the slot");
        if (r)
            freeReplyObject(r);
        redisFree(c);
        if (rc == 0) {
            t->next = i;
            return 0;
        }
    }
    t->next = (t->next + 1) % (t->nnodes ? t->nnodes : 1);
    return -1;
}

int redis_parse_redirect(const char *err, bool *ask, char *host, size_t size, int *port)
{
    if (!err)
        return 0;
    if (strncmp(err, "MOVED ", 6) == 0)
        *ask = false;
    else if (strncmp(err, "ASK ", 4) == 0)
        *ask = true;
    else
        return 0;
    const char *slot = strchr(err, ' ');          /* "<verb> <slot> <host:port>" */
    const char *addr = slot ? strchr(slot + 1, ' ') : NULL;
    if (!addr)
        return 0;
    addr++;
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= size)
        return 0;
    char *end = NULL;
    long p = strtol(colon + 1, &end, 10);
    if (!end || (*end && *end != ' ' && *end != '@') || p < 1 || p > 65535)
        return 0;
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    *port = (int)p;
    return 1;
}
