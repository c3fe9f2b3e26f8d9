/* zone_policy: the extranet's planes must stay apart.  Zones are named CIDR
 * lists in the config (anomaly.zones.<name>: "[10.1.0.0/16, ...]"); an
 * address belongs to the zone of its longest matching prefix, or to none.
 * anomaly.zone-policy.allow lists the permitted directions ("a->b", "a<->b",
 * "*" for any zone); traffic inside one zone is always allowed and
 * addresses outside every zone are not judged.  The first client packet of a
 * flow from one zone to another that the matrix does not allow raises an
 * alert with the two zone names as evidence.  Without any anomaly.zones the
 * rule loads and stays inert, so the default pack loads with any config. */
#include "anomaly/anomaly_int.h"
#include "util/array.h"
#include "util/text.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ZONE_NAME_MAX 64
#define MAX_ZONES 64
#define ZONE_ANY (-2)

struct cidr {
    struct ip_addr net;
    uint8_t bits;
    uint16_t zone;
};

struct zone_set {
    char names[MAX_ZONES][ZONE_NAME_MAX];
    size_t nzones;
    struct cidr *cidrs;
    size_t ncidrs, cap;
    uint8_t allow[MAX_ZONES][MAX_ZONES];
};

static void release(struct anomaly_params *p)
{
    if (p->zones)
        free(p->zones->cidrs);
    free(p->zones);
    p->zones = NULL;
}

static int parse_cidr(const char *text, struct cidr *out)
{
    char buf[80];
    if (strlen(text) >= sizeof buf)
        return -1;
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    if (slash)
        *slash++ = '\0';
    memset(out, 0, sizeof *out);
    int maxbits;
    if (inet_pton(AF_INET, buf, out->net.bytes) == 1) {
        out->net.family = 4;
        maxbits = 32;
    } else if (inet_pton(AF_INET6, buf, out->net.bytes) == 1) {
        out->net.family = 6;
        maxbits = 128;
    } else {
        return -1;
    }
    long bits = maxbits;
    if (slash) {
        char *end;
        bits = strtol(slash, &end, 10);
        if (end == slash || *end || bits < 0 || bits > maxbits)
            return -1;
    }
    out->bits = (uint8_t)bits;
    for (int i = (int)bits; i < maxbits; i++)   /* clear host bits */
        out->net.bytes[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
    return 0;
}

static bool cidr_match(const struct cidr *c, const struct ip_addr *a)
{
    if (c->net.family != (a->family == 6 ? 6 : 4))
        return false;
    unsigned full = c->bits / 8u, rest = c->bits % 8u;
    if (memcmp(c->net.bytes, a->bytes, full) != 0)
        return false;
    if (!rest)
        return true;
    uint8_t mask = (uint8_t)(0xFFu << (8 - rest));
    return (c->net.bytes[full] & mask) == (a->bytes[full] & mask);
}

static int zone_of(const struct zone_set *z, const struct ip_addr *a)
{
    int best = -1, best_bits = -1;
    for (size_t i = 0; i < z->ncidrs; i++) {
        if (z->cidrs[i].bits > best_bits && cidr_match(&z->cidrs[i], a)) {
            best = z->cidrs[i].zone;
            best_bits = z->cidrs[i].bits;
        }
    }
    return best;
}

static int find_zone(const struct zone_set *z, const char *name)
{
    if (strcmp(name, "*") == 0)
        return ZONE_ANY;
    for (size_t i = 0; i < z->nzones; i++)
        if (strcmp(z->names[i], name) == 0)
            return (int)i;
    return -1;
}

struct load {
    const struct config *cfg;
    struct zone_set *z;
    char *err;                 /* the rule's error message; the first problem wins */
    size_t errlen;
    int failed;
};

/* A mistake in the config names its own place there, after the rule's. */
__attribute__((format(printf, 4, 5)))
static void load_error(struct load *l, const char *origin, unsigned line, const char *fmt, ...)
{
    if (l->err[0])
        return;
    int n = line ? snprintf(l->err, l->errlen, "anomaly: zone_policy: %s:%u: ", origin, line)
                 : snprintf(l->err, l->errlen, "anomaly: zone_policy: %s: ", origin);
    if (n < 0 || (size_t)n >= l->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
    va_end(ap);
}

static int add_cidr(struct load *l, const char *text, uint16_t zone, const char *key)
{
    struct zone_set *z = l->z;
    unsigned line;
    const char *origin = config_origin(l->cfg, key, &line);
    struct cidr c;
    if (parse_cidr(text, &c) < 0) {
        load_error(l, origin, line, "%s: '%s' is not an address or CIDR", key, text);
        return -1;
    }
    c.zone = zone;
    if (z->ncidrs == z->cap) {
        struct cidr *grown = array_grow(z->cidrs, &z->cap, sizeof *grown, 16);
        if (!grown)
            return -1;
        z->cidrs = grown;
    }
    z->cidrs[z->ncidrs++] = c;
    return 0;
}

/* One list item: "10.0.0.0/8", or a whole "[a, b, ...]" string. */
static int add_item(struct load *l, const char *item, uint16_t zone, const char *key)
{
    char buf[4096];
    if (strlen(item) >= sizeof buf)
        return -1;
    strcpy(buf, item);
    char *s = text_trim(buf);
    size_t n = strlen(s);
    if (n && s[0] == '[' && s[n - 1] == ']') {
        s[n - 1] = '\0';
        s++;
    }
    for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        tok = text_trim(tok);
        if (*tok && add_cidr(l, tok, zone, key) < 0)
            return -1;
    }
    return 0;
}

static void load_zone(void *ctx, const char *name, const char *full_key)
{
    struct load *l = ctx;
    struct zone_set *z = l->z;
    unsigned line;
    const char *origin = config_origin(l->cfg, full_key, &line);
    if (z->nzones == MAX_ZONES || strlen(name) >= ZONE_NAME_MAX || strcmp(name, "*") == 0) {
        load_error(l, origin, line, "%s: too many zones (max %d) or bad zone name",
                   full_key, MAX_ZONES);
        l->failed = 1;
        return;
    }
    uint16_t zone = (uint16_t)z->nzones;
    snprintf(z->names[z->nzones++], ZONE_NAME_MAX, "%s", name);
    size_t n = config_list_count(l->cfg, full_key);
    if (n == 0) {
        load_error(l, origin, line, "%s: a zone needs a list of CIDRs", full_key);
        l->failed = 1;
    }
    for (size_t i = 0; i < n; i++)
        if (add_item(l, config_list_item(l->cfg, full_key, i), zone, full_key) < 0)
            l->failed = 1;
}

static void allow_pair(struct zone_set *z, int from, int to)
{
    for (size_t i = 0; i < z->nzones; i++)
        for (size_t j = 0; j < z->nzones; j++)
            if ((from == ZONE_ANY || (size_t)from == i) && (to == ZONE_ANY || (size_t)to == j))
                z->allow[i][j] = 1;
}

static int load_allow(struct load *l, const char *item)
{
    static const char key[] = "anomaly.zone-policy.allow";
    unsigned line;
    const char *origin = config_origin(l->cfg, key, &line);
    char buf[2 * ZONE_NAME_MAX + 8];
    if (strlen(item) >= sizeof buf) {
        load_error(l, origin, line, "%s: '%s' is too long", key, item);
        return -1;
    }
    strcpy(buf, item);
    bool both = strstr(buf, "<->") != NULL;
    char *arrow = strstr(buf, both ? "<->" : "->");
    if (!arrow) {
        load_error(l, origin, line, "%s: '%s' is not 'from->to' or 'a<->b'", key, item);
        return -1;
    }
    *arrow = '\0';
    char *from = text_trim(buf), *to = text_trim(arrow + (both ? 3 : 2));
    int a = find_zone(l->z, from), b = find_zone(l->z, to);
    if (a == -1 || b == -1) {
        load_error(l, origin, line, "%s: '%s': unknown zone '%s'", key, item,
                   a == -1 ? from : to);
        return -1;
    }
    allow_pair(l->z, a, b);
    if (both)
        allow_pair(l->z, b, a);
    return 0;
}

static void defaults(struct anomaly_params *p)
{
    p->window_usec = 0;        /* each flow is judged alone: EVE window 0 */
}

static int prepare(struct anomaly_params *p, const struct config *cfg, char *err,
                   size_t errlen)
{
    struct zone_set *z = calloc(1, sizeof *z);
    if (!z) {
        snprintf(err, errlen, "anomaly: out of memory");
        return -1;
    }
    p->zones = z;
    struct load l = { cfg, z, err, errlen, 0 };
    if (!cfg)
        return 0;
    config_foreach_child(cfg, "anomaly.zones", load_zone, &l);
    if (l.failed)
        return -1;
    if (z->nzones == 0)
        return 0;              /* no zones configured: the rule stays inert */
    if (z->nzones < 2) {
        snprintf(err, errlen, "anomaly: zone_policy needs at least two zones in anomaly.zones");
        return -1;
    }
    size_t n = config_list_count(cfg, "anomaly.zone-policy.allow");
    for (size_t i = 0; i < n; i++) {
        const char *item = config_list_item(cfg, "anomaly.zone-policy.allow", i);
        char buf[4096];
        if (strlen(item) >= sizeof buf)
            return -1;
        strcpy(buf, item);      /* a "[a->b, c->d]" string is a list too */
        char *s = text_trim(buf);
        size_t len = strlen(s);
        if (len && s[0] == '[' && s[len - 1] == ']') {
            s[len - 1] = '\0';
            s++;
        }
        for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok;
             tok = strtok_r(NULL, ",", &save)) {
            tok = text_trim(tok);
            if (*tok && load_allow(&l, tok) < 0)
                return -1;
        }
    }
    return 0;
}

static void on_packet(struct anomaly_ctx *c, enum flow_direction dir)
{
    const struct flow *f = c->flow;
    if (!f || dir != FLOW_TOSERVER || f->pkts[FLOW_TOSERVER] != 1)
        return;            /* judge each flow once, at its first packet */
    const struct zone_set *z = c->params->zones;
    if (z->nzones == 0)
        return;
    int from = zone_of(z, &f->client), to = zone_of(z, &f->server);
    if (from < 0 || to < 0 || from == to || z->allow[from][to])
        return;
    const char *evidence[2] = { z->names[from], z->names[to] };
    anomaly_emit(c, "zone_policy", 1, 0, evidence, 2);
}

const struct anomaly_detector anomaly_zone_policy = {
    .name = "zone_policy",
    .options = NULL,
    .defaults = defaults,
    .prepare = prepare,
    .on_packet = on_packet,
    .release = release,
};
