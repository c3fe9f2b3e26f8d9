/* Numbers with units: the one grammar of sizes, counts and durations. */
#include "util/units.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <strings.h>

struct unit {
    const char *name;
    double scale;
};

static const struct unit count_units[] = {
    { "", 1 }, { "k", 1e3 }, { "m", 1e6 }, { "g", 1e9 }, { NULL, 0 },
};
static const struct unit size_units[] = {
    { "", 1 }, { "b", 1 }, { "k", 1024.0 }, { "kb", 1024.0 }, { "m", 1048576.0 },
    { "mb", 1048576.0 }, { "g", 1073741824.0 }, { "gb", 1073741824.0 },
    { "t", 1099511627776.0 }, { "tb", 1099511627776.0 }, { NULL, 0 },
};
static const struct unit duration_units[] = {
    { "", 1e6 }, { "s", 1e6 }, { "ms", 1e3 }, { "us", 1 }, { "m", 60e6 }, { "min", 60e6 },
    { "h", 3600e6 }, { "d", 86400e6 }, { NULL, 0 },
};

static const struct {
    const struct unit *units;
    const char *names;
} kinds[] = {
    [UNITS_COUNT] = { count_units, "k, m, g" },
    [UNITS_SIZE] = { size_units, "b, kb, mb, gb, tb" },
    [UNITS_DURATION] = { duration_units, "us, ms, s, m, h, d" },
};

int units_parse(const char *text, enum units_kind kind, double *out)
{
    if ((unsigned)kind > UNITS_DURATION || !text)
        return -1;
    errno = 0;
    char *end;
    double v = strtod(text, &end);
    if (end == text || errno || !isfinite(v) || v < 0)
        return -1;
    while (*end == ' ' || *end == '\t')
        end++;
    for (const struct unit *u = kinds[kind].units; u->name; u++) {
        if (strcasecmp(end, u->name) == 0) {
            *out = v * u->scale;
            return 0;
        }
    }
    return -1;
}

const char *units_names(enum units_kind kind)
{
    return (unsigned)kind <= UNITS_DURATION ? kinds[kind].names : "";
}
