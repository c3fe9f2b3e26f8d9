/* Fuzz target: GeoIP databases.  A .mmdb file comes from a data directory
 * that an update job (or an intruder) writes, so xiezhi must survive any
 * bytes there.  The input is the file: written to a memfd, opened as both
 * the country and the ASN database, and looked up with addresses of both
 * families, some fixed and some taken from the input.  Every answer must
 * be clean: a country is "" or two capital letters, an organisation a
 * NUL-terminated UTF-8 string that fits its field.  Seeds are the tiny
 * databases tests/tools/make-test-mmdb.pl writes, one per schema.
 * fuzz-needs: geoip_open geoip_lookup */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich/geoip.h"
#include "fuzz_util.h"
#include "json_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_INITIALIZE_QUIET

static struct ip_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    struct ip_addr x = { .family = 4 };
    x.bytes[0] = a, x.bytes[1] = b, x.bytes[2] = c, x.bytes[3] = d;
    return x;
}

static void check_answer(const struct geo_info *g)
{
    const char *c = g->country;
    FUZZ_CHECK(c[0] == '\0' || (c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z' &&
                                c[2] == '\0'),
               "country is not two capital letters: %.3s", c);
    size_t n = strnlen(g->org, sizeof g->org);
    FUZZ_CHECK(n < sizeof g->org, "organisation is not NUL-terminated");
    for (size_t i = 0; i < n;) {
        size_t k = jc_utf8_len((const uint8_t *)g->org + i, n - i);
        FUZZ_CHECK(k > 0, "organisation is not UTF-8 at byte %zu", i);
        i += k;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_input_file(data, size, "mmdb", path);
    struct diag diag = { .quiet = 1 };
    struct geoip *g = geoip_open(path, path, &diag);
    if (g) {
        struct ip_addr addrs[8] = {
            v4(1, 0, 0, 1), v4(81, 2, 69, 160), v4(8, 8, 8, 8), v4(223, 5, 5, 5),
        };
        addrs[4].family = addrs[5].family = 6;
        memcpy(addrs[4].bytes, "\x20\x01\x02\x00\x01\xb9\0\0\0\0\0\0\0\0\0\x01", 16);
        memcpy(addrs[5].bytes, "\x2a\x00\x14\x50\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
        /* two more from the input itself, so lookups wander the whole tree */
        addrs[6].family = 4;
        addrs[7].family = 6;
        memcpy(addrs[6].bytes, data + (size > 4 ? size - 4 : 0), size < 4 ? size : 4);
        memcpy(addrs[7].bytes, data + (size > 16 ? size - 16 : 0), size < 16 ? size : 16);
        for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
            struct geo_info info;
            geoip_lookup(g, &addrs[i], &info);
            check_answer(&info);
        }
        geoip_close(g);
    }
    close(fd);
    return 0;
}
