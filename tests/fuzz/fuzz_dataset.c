/* Fuzz target: a dataset file of each type (Suricata's formats: base64,
 * hex, addresses) loaded through the registry from a memfd, then looked up,
 * set and unset with slices of the input; and the input as the value of
 * threshold: and detection_filter:.  Every bad line must become a message,
 * never a crash, and whatever loaded must be found again.
 * fuzz-needs: dataset_registry_get dataset_contains threshold_parse */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "detect/dataset.h"
#include "detect/threshold.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_set_level((enum log_level)-1);
    return 0;
}

static const enum dataset_type types[] = {DATASET_STRING, DATASET_IPV4, DATASET_IPV6,
                                          DATASET_MD5, DATASET_SHA256};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum dataset_type type = types[data[0] % 5];
    int fd = memfd_create("fuzz-dataset", 0);
    if (fd < 0)
        abort();
    if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1))
        abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);

    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    struct dataset *ds = dataset_registry_get(reg, "fuzz", type, path, NULL, &d, "fuzz.rules", 1);
    if (!ds)
        abort();    /* a readable regular file always loads, bad lines or not */
    size_t n = dataset_size(ds);
    /* slices of the input as raw values: add, find, remove, find again */
    for (size_t off = 0; off + 1 < size && off < 256; off += 7) {
        size_t len = (size - off) % 40;
        if (off + len > size)
            len = size - off;
        int added = dataset_add(ds, data + off, len);
        if (added == 1) {
            if (!dataset_contains(ds, data + off, len) || dataset_remove(ds, data + off, len) != 1)
                abort();
            if (dataset_contains(ds, data + off, len))
                abort();
        }
    }
    if (dataset_size(ds) != n)
        abort();
    dataset_registry_free(reg);
    close(fd);

    char text[600];
    size_t tl = size - 1 < sizeof text - 1 ? size - 1 : sizeof text - 1;
    memcpy(text, data + 1, tl);
    text[tl] = '\0';
    struct threshold_spec spec;
    char err[256];
    for (int df = 0; df < 2; df++)
        if (threshold_parse(text, df, &spec, err, sizeof err) == 0 &&
            (spec.count == 0 || spec.seconds_usec == 0))
            abort();
    return 0;
}
