/* What the fuzz targets share: the sensor's own logging is noise here, so
 * run.sh passes -close_fd_mask=2 (libFuzzer keeps a copy of stderr for its
 * own and the sanitizers' reports); a target's failed property check is
 * written to that same copy, taken in LLVMFuzzerInitialize before libFuzzer
 * closes stderr, then aborts so libFuzzer saves the input. */
#ifndef XIEZHI_FUZZ_UTIL_H
#define XIEZHI_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/log.h"

static FILE *fuzz_report;

static inline void fuzz_quiet_init(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    int fd = dup(2);
    fuzz_report = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!fuzz_report)
        fuzz_report = stderr;
}

#define FUZZ_CHECK(cond, ...)                                                           \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            FILE *out_ = fuzz_report ? fuzz_report : stderr;                            \
            fprintf(out_, "%s: check failed: %s: ", __FILE__, #cond);                   \
            fprintf(out_, __VA_ARGS__);                                                 \
            fputc('\n', out_);                                                          \
            fflush(out_);                                                               \
            abort();                                                                    \
        }                                                                               \
    } while (0)

#endif
