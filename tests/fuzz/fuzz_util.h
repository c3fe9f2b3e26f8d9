/* What the fuzz targets share: the sensor's own logging is noise here, so
 * run.sh passes -close_fd_mask=2 (libFuzzer keeps a copy of stderr for its
 * own and the sanitizers' reports); a target's failed property check is
 * written to that same copy, taken in LLVMFuzzerInitialize before libFuzzer
 * closes stderr, then aborts so libFuzzer saves the input. */
#ifndef XIEZHI_FUZZ_UTIL_H
#define XIEZHI_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
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

/* LLVMFuzzerInitialize for a target that needs nothing but quiet logs. */
#define FUZZ_INITIALIZE_QUIET                                                           \
    int LLVMFuzzerInitialize(int *argc, char ***argv);                                  \
    int LLVMFuzzerInitialize(int *argc, char ***argv)                                   \
    {                                                                                   \
        (void)argc;                                                                     \
        (void)argv;                                                                     \
        fuzz_quiet_init();                                                              \
        return 0;                                                                       \
    }

/* The input as a file, for code that opens paths: a memfd holding the
 * bytes, and its /proc path in path[64].  Returns the fd to close. */
static inline int fuzz_input_file(const uint8_t *data, size_t size, const char *name,
                                  char path[64])
{
    int fd = memfd_create(name, 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, 64, "/proc/self/fd/%d", fd);
    return fd;
}

#endif
