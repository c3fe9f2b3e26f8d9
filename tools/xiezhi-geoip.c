/* xiezhi-geoip: looks addresses up exactly as the sensor does (same schemas,
 * same fallbacks) and prints one JSON object per address, in the shape of
 * the EVE geoip block, so an operator can check a database before using it.
 * Usage: xiezhi-geoip [-c COUNTRY.mmdb] [-a ASN.mmdb] ADDRESS... */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "enrich/geoip.h"
#include "event/json.h"

static int usage(FILE *out)
{
    fprintf(out, "usage: xiezhi-geoip [-c COUNTRY.mmdb] [-a ASN.mmdb] ADDRESS...\n"
                 "Prints {\"ip\":...,\"country\":...,\"asn\":...,\"org\":...} per address.\n");
    return out == stdout ? 0 : 2;
}

static bool parse_addr(const char *text, struct ip_addr *a)
{
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, text, a->bytes) == 1) {
        a->family = 4;
        return true;
    }
    if (inet_pton(AF_INET6, text, a->bytes) == 1) {
        a->family = 6;
        return true;
    }
    return false;
}

int main(int argc, char **argv)
{
    const char *country_db = NULL, *asn_db = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "c:a:h")) != -1) {
        switch (opt) {
        case 'c':
            country_db = optarg;
            break;
        case 'a':
            asn_db = optarg;
            break;
        case 'h':
            return usage(stdout);
        default:
            return usage(stderr);
        }
    }
    if (optind >= argc || (!country_db && !asn_db))
        return usage(stderr);

    struct diag diag = {0};
    struct geoip *g = geoip_open(country_db, asn_db, &diag);
    if (!g)
        return 1;
    int status = 0;
    struct json_writer w;
    json_init(&w);
    for (int i = optind; i < argc; i++) {
        struct ip_addr a;
        if (!parse_addr(argv[i], &a)) {
            fprintf(stderr, "xiezhi-geoip: '%s' is not an IPv4 or IPv6 address\n", argv[i]);
            status = 2;
            continue;
        }
        struct geo_info info;
        bool found = geoip_lookup(g, &a, &info);
        json_reset(&w);
        json_object_begin(&w, NULL);
        json_string(&w, "ip", argv[i]);
        json_bool(&w, "found", found);
        if (info.country[0])
            json_string(&w, "country", info.country);
        if (info.asn)
            json_uint(&w, "asn", info.asn);
        if (info.org[0])
            json_string(&w, "org", info.org);
        json_object_end(&w);
        if (json_ok(&w))
            printf("%.*s\n", (int)w.len, w.buf);
    }
    json_free(&w);
    geoip_close(g);
    return status;
}
