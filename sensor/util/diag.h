/* Diagnostics for hostile input files (rules, config, datasets): every
 * problem is one line "file:line: what is wrong", logged and counted, so a
 * caller can report all of them at once (-T) and decide what is fatal. */
#ifndef XIEZHI_DIAG_H
#define XIEZHI_DIAG_H

#include <stddef.h>

struct diag {
    size_t errors;
    size_t warnings;
    int quiet;              /* count only; used by fuzzers and unit tests */
    char last[512];         /* the most recent message, for unit tests */
};

__attribute__((format(printf, 4, 5)))
void diag_error(struct diag *d, const char *file, unsigned line, const char *fmt, ...);
__attribute__((format(printf, 4, 5)))
void diag_warning(struct diag *d, const char *file, unsigned line, const char *fmt, ...);

#endif
