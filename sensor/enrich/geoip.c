/* GeoIP and ASN lookups with libmaxminddb.  Each field is read through a
 * table of the paths the common schemas use (GeoIP2/GeoLite2/DB-IP,
 * ip-location-db, ipinfo), first hit wins, so one code path serves every
 * database; the databases are mmap'ed read-only and shared by all workers. */
#include "enrich/geoip.h"

#include "util/utf8.h"

#include <arpa/inet.h>
#include <errno.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

struct geoip_db {
    MMDB_s mmdb;
    bool open;
};

struct geoip {
    struct geoip_db country, asn;
};

/* Lookup paths, NULL-terminated, tried in order. */
static const char *const country_paths[][3] = {
    {"country", "iso_code", NULL},              /* GeoIP2/GeoLite2 Country and City, DB-IP */
    {"registered_country", "iso_code", NULL},   /* GeoIP2: anycast/satellite ranges */
    {"country_code", NULL, NULL},               /* ip-location-db, ipinfo */
};
static const char *const asn_number_paths[][2] = {
    {"autonomous_system_number", NULL},         /* GeoLite2-ASN, ip-location-db asn */
    {"as_number", NULL},
    {"asn", NULL},                              /* ipinfo: "AS13335" */
};
static const char *const asn_org_paths[][2] = {
    {"autonomous_system_organization", NULL},
    {"as_organization", NULL},
    {"as_name", NULL},
};

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static int db_open(struct geoip_db *db, const char *path, const char *what, struct diag *diag)
{
    if (!path || !*path)
        return 0;
    int status = MMDB_open(path, MMDB_MODE_MMAP, &db->mmdb);
    if (status != MMDB_SUCCESS) {
        if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR)
            diag_error(diag, path, 0, "cannot open %s database: %s (%s)", what,
                       MMDB_strerror(status), strerror(errno));
        else
            diag_error(diag, path, 0, "cannot open %s database: %s", what, MMDB_strerror(status));
        return -1;
    }
    db->open = true;
    return 0;
}

/* A hint, not an error: a country database configured as the ASN one (or
 * the reverse) opens fine and then finds nothing. */
static void check_kind(const struct geoip_db *db, const char *path, bool want_asn,
                       struct diag *diag)
{
    if (!db->open || !db->mmdb.metadata.database_type)
        return;
    const char *type = db->mmdb.metadata.database_type;
    bool says_asn = strstr(type, "ASN") || strstr(type, "asn");
    bool says_country = strstr(type, "Country") || strstr(type, "country") || strstr(type, "City");
    if (want_asn && says_country && !says_asn)
        diag_warning(diag, path, 0, "database type '%s' looks like a country database, configured as the ASN one", type);
    if (!want_asn && says_asn && !says_country)
        diag_warning(diag, path, 0, "database type '%s' looks like an ASN database, configured as the country one", type);
}

struct geoip *geoip_open(const char *country_db, const char *asn_db, struct diag *diag)
{
    struct geoip *g = calloc(1, sizeof *g);
    if (!g) {
        diag_error(diag, "geoip", 0, "out of memory");
        return NULL;
    }
    if (db_open(&g->country, country_db, "GeoIP country", diag) < 0 ||
        db_open(&g->asn, asn_db, "GeoIP ASN", diag) < 0) {
        geoip_close(g);
        return NULL;
    }
    check_kind(&g->country, country_db, false, diag);
    check_kind(&g->asn, asn_db, true, diag);
    return g;
}

void geoip_close(struct geoip *g)
{
    if (!g)
        return;
    if (g->country.open)
        MMDB_close(&g->country.mmdb);
    if (g->asn.open)
        MMDB_close(&g->asn.mmdb);
    free(g);
}

bool geoip_has_country(const struct geoip *g)
{
    return g && g->country.open;
}

bool geoip_has_asn(const struct geoip *g)
{
    return g && g->asn.open;
}

/* Addresses that are nobody's in particular: private, loopback, link-local,
 * shared (CGN), multicast, reserved.  They are never looked up, so a
 * database that (wrongly) places them in a country -- the npm
 * geo-whois-asn-country data puts 172.16/12 and 192.168/16 in AU -- cannot
 * make internal traffic look foreign.  Documentation ranges stay
 * lookupable: crafted captures and test databases use them. */
static const struct {
    uint8_t family, bits;
    uint8_t prefix[16];
} local_nets[] = {
    {4, 8, {0}},                    /* "this network" */
    {4, 8, {10}},
    {4, 10, {100, 64}},
    {4, 8, {127}},
    {4, 16, {169, 254}},
    {4, 12, {172, 16}},
    {4, 16, {192, 168}},
    {4, 4, {224}},                  /* multicast */
    {4, 4, {240}},                  /* reserved and broadcast */
    {6, 128, {0}},                  /* :: */
    {6, 128, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
    {6, 10, {0xfe, 0x80}},
    {6, 7, {0xfc}},                 /* unique local */
    {6, 8, {0xff}},                 /* multicast */
};

static bool prefix_match(const uint8_t *a, const uint8_t *prefix, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, prefix, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[full] & mask) == (prefix[full] & mask);
}

bool geoip_is_local_address(const struct ip_addr *addr)
{
    for (size_t i = 0; i < LEN(local_nets); i++)
        if (local_nets[i].family == addr->family &&
            prefix_match(addr->bytes, local_nets[i].prefix, local_nets[i].bits))
            return true;
    return false;
}

/* The database's record for addr, or found=false. */
static MMDB_lookup_result_s db_lookup(const struct geoip_db *db, const struct ip_addr *addr)
{
    MMDB_lookup_result_s none = {.found_entry = false};
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (addr->family == 4) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        memcpy(&sin->sin_addr, addr->bytes, 4);
    } else if (addr->family == 6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        memcpy(&sin6->sin6_addr, addr->bytes, 16);
    } else {
        return none;
    }
    int mmdb_error = MMDB_SUCCESS;
    /* libmaxminddb takes a non-const MMDB_s but only reads it. */
    MMDB_lookup_result_s r =
        MMDB_lookup_sockaddr((MMDB_s *)&db->mmdb, (const struct sockaddr *)&ss, &mmdb_error);
    if (mmdb_error != MMDB_SUCCESS)     /* e.g. an IPv6 address in an IPv4-only database */
        return none;
    return r;
}

static bool get_value(MMDB_lookup_result_s *r, const char *const *path, MMDB_entry_data_s *out)
{
    return MMDB_aget_value(&r->entry, out, path) == MMDB_SUCCESS && out->has_data;
}

static bool read_country(MMDB_lookup_result_s *r, char country[3])
{
    for (size_t i = 0; i < LEN(country_paths); i++) {
        MMDB_entry_data_s d;
        if (!get_value(r, country_paths[i], &d) || d.type != MMDB_DATA_TYPE_UTF8_STRING ||
            d.data_size != 2)
            continue;
        char a = d.utf8_string[0], b = d.utf8_string[1];
        if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z')
            continue;
        country[0] = a;
        country[1] = b;
        country[2] = '\0';
        return true;
    }
    return false;
}

/* "13335", "AS13335" or "as13335" -> 13335; 0 when not a number. */
static uint32_t parse_asn_string(const char *s, uint32_t len)
{
    if (len >= 2 && (s[0] == 'A' || s[0] == 'a') && (s[1] == 'S' || s[1] == 's')) {
        s += 2;
        len -= 2;
    }
    uint64_t v = 0;
    if (len == 0 || len > 10)
        return 0;
    for (uint32_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v <= UINT32_MAX ? (uint32_t)v : 0;
}

static uint32_t read_asn(MMDB_lookup_result_s *r)
{
    for (size_t i = 0; i < LEN(asn_number_paths); i++) {
        MMDB_entry_data_s d;
        if (!get_value(r, asn_number_paths[i], &d))
            continue;
        switch (d.type) {
        case MMDB_DATA_TYPE_UINT16:
            return d.uint16;
        case MMDB_DATA_TYPE_UINT32:
            return d.uint32;
        case MMDB_DATA_TYPE_UINT64:
            return d.uint64 <= UINT32_MAX ? (uint32_t)d.uint64 : 0;
        case MMDB_DATA_TYPE_INT32:
            return d.int32 > 0 ? (uint32_t)d.int32 : 0;
        case MMDB_DATA_TYPE_UTF8_STRING:
            return parse_asn_string(d.utf8_string, d.data_size);
        default:
            continue;
        }
    }
    return 0;
}

/* Copies the string into out as clean UTF-8: a byte that does not start a
 * valid sequence becomes '?', a sequence that does not fit is dropped, and
 * a NUL ends it.  The database's "utf8_string" type is whatever its writer
 * put there. */
static void copy_utf8(char *out, size_t outlen, const char *s, uint32_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = 0;
    for (size_t i = 0; i < len && u[i] != '\0';) {
        size_t k = utf8_sequence_length(u + i, len - i);
        if (n + (k ? k : 1) + 1 > outlen)
            break;
        if (k == 0) {
            out[n++] = '?';
            i++;
            continue;
        }
        memcpy(out + n, u + i, k);
        n += k;
        i += k;
    }
    out[n] = '\0';
}

static void read_org(MMDB_lookup_result_s *r, char *org, size_t orglen)
{
    for (size_t i = 0; i < LEN(asn_org_paths); i++) {
        MMDB_entry_data_s d;
        if (get_value(r, asn_org_paths[i], &d) && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
            copy_utf8(org, orglen, d.utf8_string, d.data_size);
            return;
        }
    }
}

bool geoip_lookup(const struct geoip *g, const struct ip_addr *addr, struct geo_info *out)
{
    memset(out, 0, sizeof *out);
    if (!g || !addr || geoip_is_local_address(addr))
        return false;
    bool found = false;
    if (g->country.open) {
        MMDB_lookup_result_s r = db_lookup(&g->country, addr);
        if (r.found_entry)
            found |= read_country(&r, out->country);
    }
    if (g->asn.open) {
        MMDB_lookup_result_s r = db_lookup(&g->asn, addr);
        if (r.found_entry) {
            out->asn = read_asn(&r);
            read_org(&r, out->org, sizeof out->org);
            found |= out->asn != 0 || out->org[0] != '\0';
        }
    }
    return found;
}

void geoip_enrich_flow(const struct geoip *g, struct flow *flow)
{
    if (!flow)
        return;
    memset(&flow->geo, 0, sizeof flow->geo);
    if (!g || (!g->country.open && !g->asn.open))
        return;
    const struct ip_addr *ends[2] = {&flow->client, &flow->server};
    for (int i = 0; i < 2; i++) {
        struct geo_info info;
        if (!geoip_lookup(g, ends[i], &info))
            continue;
        flow->geo.country[i][0] = info.country[0];
        flow->geo.country[i][1] = info.country[1];
        flow->geo.asn[i] = info.asn;
    }
}
