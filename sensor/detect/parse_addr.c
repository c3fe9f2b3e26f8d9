/* Rule header addresses and ports: lists, ranges, CIDR, negation, nested
 * groups and $VARIABLES from vars.address-groups / vars.port-groups, with
 * DESIGN.md's defaults.  Expressions are flattened into ranges, each carrying
 * the parity of the negations around it. */
#include "detect/rule.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>

#include "util/array.h"

#define VAR_DEPTH_MAX 8
#define SET_MAX_ENTRIES 4096

struct var_default {
    const char *name, *value;
};

static const struct var_default address_defaults[] = {
    { "HOME_NET", "[10.0.0.0/8,172.16.0.0/12,192.168.0.0/16]" },
    { "EXTERNAL_NET", "!$HOME_NET" },
    { "HTTP_SERVERS", "$HOME_NET" },
    { "SMTP_SERVERS", "$HOME_NET" },
    { "SQL_SERVERS", "$HOME_NET" },
    { "DNS_SERVERS", "$HOME_NET" },
    /* Government services that must speak TLCP (rules/extranet.rules 1100100):
     * no address until the operator lists them (every address negated, as
     * "!any" is refused), since not every server at home is one. */
    { "TLCP_SERVERS", "![0.0.0.0/0,::/0]" },
    { "TELNET_SERVERS", "$HOME_NET" },
    { "AIM_SERVERS", "$EXTERNAL_NET" },
    { "DC_SERVERS", "$HOME_NET" },
    { "DNP3_SERVER", "$HOME_NET" },
    { "DNP3_CLIENT", "$HOME_NET" },
    { "MODBUS_CLIENT", "$HOME_NET" },
    { "MODBUS_SERVER", "$HOME_NET" },
    { "ENIP_CLIENT", "$HOME_NET" },
    { "ENIP_SERVER", "$HOME_NET" },
};

static const struct var_default port_defaults[] = {
    { "HTTP_PORTS", "80" },
    { "SHELLCODE_PORTS", "!80" },
    { "ORACLE_PORTS", "1521" },
    { "SSH_PORTS", "22" },
    { "DNP3_PORTS", "20000" },
    { "MODBUS_PORTS", "502" },
    { "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
    { "FTP_PORTS", "21" },
    { "GENEVE_PORTS", "6081" },
    { "VXLAN_PORTS", "4789" },
    { "TEREDO_PORTS", "3544" },
    { "SMB_PORTS", "[139,445]" },
    { "DNS_PORTS", "53" },
    { "TLS_PORTS", "443" },
    { "RDP_PORTS", "3389" },
};

static const char *var_lookup(const struct config *cfg, bool ports, const char *name)
{
    char key[300];
    snprintf(key, sizeof key, "vars.%s.%.200s", ports ? "port-groups" : "address-groups", name);
    if (cfg && config_has(cfg, key))
        return config_get_str(cfg, key, NULL);
    const struct var_default *d = ports ? port_defaults : address_defaults;
    size_t n = ports ? sizeof port_defaults / sizeof *d : sizeof address_defaults / sizeof *d;
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i].name, name) == 0)
            return d[i].value;
    return NULL;
}

/* Shared by both parsers: a cursor over the expression text. */
struct expr {
    const struct config *cfg;
    bool ports;
    char *err;
    size_t errlen;
    /* output */
    void *v;
    size_t n, cap, elem;
    bool any_positive_any;  /* "any" seen with positive parity */
};

static void *expr_push(struct expr *e)
{
    if (e->n >= SET_MAX_ENTRIES)
        return NULL;
    if (e->n == e->cap) {
        void *nv = array_grow(e->v, &e->cap, e->elem, 8);
        if (!nv)
            return NULL;
        e->v = nv;
    }
    void *slot = (char *)e->v + e->n * e->elem;
    memset(slot, 0, e->elem);
    e->n++;
    return slot;
}

/* Fills lo/hi with the range a CIDR, single address or "a-b" denotes. */
static int parse_one_addr(const char *text, struct addr_range *r)
{
    char buf[128];
    if (strlen(text) >= sizeof buf)
        return -1;
    strcpy(buf, text);
    char *slash = strchr(buf, '/');
    char *dash = strchr(buf, '-');
    if (dash && !slash) {
        *dash = '\0';
        struct addr_range a, b;
        if (parse_one_addr(buf, &a) < 0 || parse_one_addr(dash + 1, &b) < 0 ||
            a.family != b.family)
            return -1;
        r->family = a.family;
        memcpy(r->lo, a.lo, 16);
        memcpy(r->hi, b.hi, 16);
        return memcmp(r->lo, r->hi, 16) <= 0 ? 0 : -1;
    }
    long bits = -1;
    if (slash) {
        *slash = '\0';
        char *end;
        bits = strtol(slash + 1, &end, 10);
        if (*end || end == slash + 1)
            return -1;
    }
    memset(r->lo, 0, 16);
    int width;
    if (inet_pton(AF_INET, buf, r->lo) == 1) {
        r->family = 4;
        width = 32;
    } else if (inet_pton(AF_INET6, buf, r->lo) == 1) {
        r->family = 6;
        width = 128;
    } else {
        return -1;
    }
    if (bits < 0)
        bits = width;
    if (bits > width)
        return -1;
    memcpy(r->hi, r->lo, 16);
    for (int i = 0; i < width; i++) {
        if (i < bits)
            continue;
        r->lo[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
        r->hi[i / 8] |= (uint8_t)(0x80u >> (i % 8));
    }
    return 0;
}

static int parse_one_port(const char *text, struct port_range *r)
{
    char *end;
    const char *colon = strchr(text, ':');
    long lo, hi;
    if (colon) {
        lo = colon == text ? 0 : strtol(text, &end, 10);
        if (colon != text && end != colon)
            return -1;
        hi = colon[1] ? strtol(colon + 1, &end, 10) : 65535;
        if (colon[1] && *end)
            return -1;
    } else {
        lo = hi = strtol(text, &end, 10);
        if (*end || end == text)
            return -1;
    }
    if (lo < 0 || hi > 65535 || lo > hi)
        return -1;
    r->lo = (uint16_t)lo;
    r->hi = (uint16_t)hi;
    return 0;
}

static int expr_parse(struct expr *e, const char *text, bool negated, int depth);

/* A variable given as a YAML list (--set 'vars.address-groups.X=[a,b]' or a
 * flow sequence in the file) reads as the group "[a,b]"; NULL when it is
 * not a list or does not fit. */
static const char *var_list(const struct config *cfg, bool ports, const char *name, char *buf,
                            size_t size)
{
    char key[300];
    snprintf(key, sizeof key, "vars.%s.%.200s", ports ? "port-groups" : "address-groups", name);
    size_t n = cfg ? config_list_count(cfg, key) : 0, used = 1;
    if (n == 0 || size < 3)
        return NULL;
    buf[0] = '[';
    for (size_t i = 0; i < n; i++) {
        const char *item = config_list_item(cfg, key, i);
        int w = item ? snprintf(buf + used, size - used, "%s%s", i ? "," : "", item) : -1;
        if (w < 0 || (size_t)w >= size - used - 1)
            return NULL;
        used += (size_t)w;
    }
    buf[used++] = ']';
    buf[used] = '\0';
    return buf;
}

static int expr_leaf(struct expr *e, const char *tok, bool negated, int depth)
{
    if (tok[0] == '$') {
        char joined[1024];
        const char *val = var_lookup(e->cfg, e->ports, tok + 1);
        if (!val)
            val = var_list(e->cfg, e->ports, tok + 1, joined, sizeof joined);
        if (!val) {
            snprintf(e->err, e->errlen, "undefined variable '%s'", tok);
            return -1;
        }
        if (depth >= VAR_DEPTH_MAX) {
            snprintf(e->err, e->errlen, "variable '%s' nests too deeply", tok);
            return -1;
        }
        return expr_parse(e, val, negated, depth + 1);
    }
    if (strcmp(tok, "any") == 0) {
        if (!negated)
            e->any_positive_any = true;
        else {
            snprintf(e->err, e->errlen, "'!any' matches nothing");
            return -1;
        }
        return 0;
    }
    void *slot = expr_push(e);
    if (!slot) {
        snprintf(e->err, e->errlen, "too many entries or out of memory");
        return -1;
    }
    if (e->ports) {
        struct port_range *r = slot;
        r->negated = negated;
        if (parse_one_port(tok, r) == 0)
            return 0;
        snprintf(e->err, e->errlen, "invalid port '%s'", tok);
    } else {
        struct addr_range *r = slot;
        r->negated = negated;
        if (parse_one_addr(tok, r) == 0)
            return 0;
        snprintf(e->err, e->errlen, "invalid address '%s'", tok);
    }
    return -1;
}

/* text: an element, a "!element" or a "[a,b,...]" group. */
static int expr_parse(struct expr *e, const char *text, bool negated, int depth)
{
    /* The analyzer does not follow memcpy + NUL into the group's sub[]. */
    // NOLINTNEXTLINE(clang-analyzer-core.uninitialized.ArraySubscript)
    while (isspace((unsigned char)*text))
        text++;
    while (*text == '!') {
        negated = !negated;
        text++;
        while (isspace((unsigned char)*text))
            text++;
    }
    size_t len = strlen(text);
    while (len && isspace((unsigned char)text[len - 1]))
        len--;
    if (len == 0) {
        snprintf(e->err, e->errlen, "empty %s", e->ports ? "port" : "address");
        return -1;
    }
    if (text[0] != '[') {
        char tok[256];
        if (len >= sizeof tok) {
            snprintf(e->err, e->errlen, "%s too long", e->ports ? "port" : "address");
            return -1;
        }
        memcpy(tok, text, len);
        tok[len] = '\0';
        if (strpbrk(tok, "[],")) {
            snprintf(e->err, e->errlen, "invalid %s '%s'", e->ports ? "port" : "address", tok);
            return -1;
        }
        return expr_leaf(e, tok, negated, depth);
    }
    if (text[len - 1] != ']') {
        snprintf(e->err, e->errlen, "unbalanced brackets in '%.*s'", (int)len, text);
        return -1;
    }
    /* Split the group's inside at top-level commas. */
    const char *p = text + 1, *end = text + len - 1;
    while (p <= end) {
        int nest = 0;
        const char *q = p;
        for (; q < end; q++) {
            if (*q == '[')
                nest++;
            else if (*q == ']' && --nest < 0)
                break;
            else if (*q == ',' && nest == 0)
                break;
        }
        if (nest != 0 || (q < end && *q == ']')) {
            snprintf(e->err, e->errlen, "unbalanced brackets in '%.*s'", (int)len, text);
            return -1;
        }
        char sub[1024];
        size_t sl = (size_t)(q - p);
        if (sl >= sizeof sub) {
            snprintf(e->err, e->errlen, "group too long");
            return -1;
        }
        memcpy(sub, p, sl);
        sub[sl] = '\0';
        if (expr_parse(e, sub, negated, depth) < 0)
            return -1;
        p = q + 1;
    }
    return 0;
}

/* Address and port sets have the same shape (any, n, npos, r[] of
 * elements with a negated flag), so one body parses either: elem is the
 * element's size, neg_off where its negated flag is.  "any" among the
 * positives leaves only the negations to restrict; no entry left is any. */
struct set_out {
    void *r;
    size_t n, npos;
};

static int parse_set(const struct config *cfg, const char *text, bool ports, size_t elem,
                     size_t neg_off, struct set_out *out, char *err, size_t errlen)
{
    struct expr e = { .cfg = cfg, .ports = ports, .err = err, .errlen = errlen, .elem = elem };
    if (expr_parse(&e, text, false, 0) < 0) {
        free(e.v);
        return -1;
    }
    char *v = e.v;
    size_t n = 0, npos = 0;
    for (size_t i = 0; i < e.n; i++) {
        bool negated = *(const bool *)(v + i * elem + neg_off);
        if (e.any_positive_any && !negated)
            continue;
        if (n != i)
            memcpy(v + n * elem, v + i * elem, elem);
        n++;
        npos += !negated;
    }
    if (n == 0) {
        free(v);
        v = NULL;
    }
    *out = (struct set_out){ v, n, npos };
    return 0;
}

static void addr_set_keys(struct addr_set *s);

int parse_addr_set(const struct config *cfg, const char *text, struct addr_set *out,
                   char *err, size_t errlen)
{
    struct set_out s;
    memset(out, 0, sizeof *out);
    if (parse_set(cfg, text, false, sizeof(struct addr_range), offsetof(struct addr_range, negated),
                  &s, err, errlen) < 0)
        return -1;
    *out = (struct addr_set){ .any = s.n == 0, .n = s.n, .npos = s.npos, .r = s.r };
    addr_set_keys(out);
    return 0;
}

int parse_port_set(const struct config *cfg, const char *text, struct port_set *out,
                   char *err, size_t errlen)
{
    struct set_out s;
    memset(out, 0, sizeof *out);
    if (parse_set(cfg, text, true, sizeof(struct port_range), offsetof(struct port_range, negated),
                  &s, err, errlen) < 0)
        return -1;
    *out = (struct port_set){ .any = s.n == 0, .n = s.n, .npos = s.npos, .r = s.r };
    return 0;
}

/* Network-order bytes as a big-endian number, so integers compare as the
 * addresses do (a memcmp of variable length is a library call per rule). */
static uint64_t be_load(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* An address as two big-endian words (IPv4: 0 and its 32 bits), which
 * compare as the addresses do. */
static void addr_key(const uint8_t *bytes, int family, uint64_t key[2])
{
    key[0] = family == 4 ? 0 : be_load(bytes, 8);
    key[1] = family == 4 ? be_load(bytes, 4) : be_load(bytes + 8, 8);
}

static bool key_below(const uint64_t a[2], const uint64_t b[2])
{
    return a[0] < b[0] || (a[0] == b[0] && a[1] < b[1]);
}

/* The ranges' bounds as keys, computed once here rather than per match. */
static void addr_set_keys(struct addr_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        addr_key(s->r[i].lo, s->r[i].family, s->r[i].lo_key);
        addr_key(s->r[i].hi, s->r[i].family, s->r[i].hi_key);
    }
}

bool addr_set_match(const struct addr_set *s, const struct ip_addr *a)
{
    if (s->any)
        return true;
    uint64_t key[2];
    addr_key(a->bytes, a->family, key);
    bool pos = s->npos == 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct addr_range *r = &s->r[i];
        if (r->family != a->family || key_below(key, r->lo_key) || key_below(r->hi_key, key))
            continue;
        if (r->negated)
            return false;
        pos = true;
    }
    return pos;
}

bool port_set_match(const struct port_set *s, uint16_t port)
{
    if (s->any)
        return true;
    bool pos = s->npos == 0;
    for (size_t i = 0; i < s->n; i++) {
        const struct port_range *r = &s->r[i];
        if (port < r->lo || port > r->hi)
            continue;
        if (r->negated)
            return false;
        pos = true;
    }
    return pos;
}
