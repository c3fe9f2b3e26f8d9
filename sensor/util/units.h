/* One grammar for the numbers people write in the config and in detector
 * options: a non-negative number, optional blanks, an optional unit
 * (case-insensitive).
 *   counts     k = 1000, m = 1000000, g = 10^9           (max-flows: 1m)
 *   sizes      b, k/kb, m/mb, g/gb, t/tb: powers of 1024  (memcap: 64mb)
 *   durations  us, ms, s (the default), m/min, h, d       (window: 90s)
 * Before this file "m" meant MiB in the config and 10^6 in anomaly options,
 * and "us" was accepted by one and refused by the other. */
#ifndef XIEZHI_UTIL_UNITS_H
#define XIEZHI_UTIL_UNITS_H

enum units_kind { UNITS_COUNT, UNITS_SIZE, UNITS_DURATION };

/* Parses text as a value of kind: counts as the number, sizes in bytes,
 * durations in microseconds.  Returns 0, or -1 when text is not one
 * (not a number, negative, not finite, or an unknown unit). */
int units_parse(const char *text, enum units_kind kind, double *out);

/* "k, m, g", "b, kb, mb, gb, tb", "us, ms, s, m, h, d": for messages. */
const char *units_names(enum units_kind kind);

#endif
