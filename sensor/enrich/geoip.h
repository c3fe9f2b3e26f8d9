/* GeoIP and ASN enrichment with libmaxminddb.  Both the GeoIP2/GeoLite2
 * schema (country.iso_code, autonomous_system_number/_organization) and the
 * ip-location-db schema (country_code) are read.  Lookups are read-only and
 * safe to share between worker threads. */
#ifndef XIEZHI_GEOIP_H
#define XIEZHI_GEOIP_H

#include <stdbool.h>
#include <stdint.h>

#include "decode/packet.h"
#include "flow/flow.h"
#include "util/diag.h"

struct geo_info {
    char country[3];        /* ISO 3166 alpha-2, "" if unknown */
    uint32_t asn;           /* 0 if unknown */
    char org[128];          /* AS organisation, "" if unknown */
};

struct geoip;

/* Either path may be NULL or "" (not configured).  Returns NULL and reports
 * through diag when a configured file cannot be opened. */
struct geoip *geoip_open(const char *country_db, const char *asn_db, struct diag *diag);
void geoip_close(struct geoip *g);
bool geoip_has_country(const struct geoip *g);
bool geoip_has_asn(const struct geoip *g);

/* Addition (enrichdata): private, loopback, link-local, CGN, multicast and
 * reserved addresses, which geoip_lookup never looks up (no country). */
bool geoip_is_local_address(const struct ip_addr *addr);

/* Fills *out; returns true when anything was found. */
bool geoip_lookup(const struct geoip *g, const struct ip_addr *addr, struct geo_info *out);
/* Copies country codes and ASNs of both endpoints onto a new flow. */
void geoip_enrich_flow(const struct geoip *g, struct flow *flow);

#endif
