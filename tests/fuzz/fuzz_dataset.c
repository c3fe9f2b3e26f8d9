/* Fuzz target: the dataset loader (Suricata's set files: base64 strings,
 * IPv4/IPv6 addresses, MD5/SHA-256 hex, optional ",reputation").  Byte 0
 * picks the type, the rest is the file.  Properties: a readable file always
 * loads (bad lines are messages, not failures); a saved set loads back to
 * the same size without a complaint; add/contains/remove agree for values
 * taken from the input.  The same text is also parsed as the value of
 * threshold: and detection_filter: (after enrichdata's first version of
 * this target).
 * fuzz-needs: dataset_registry_get dataset_save dataset_registry_set_memcap threshold_parse */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect/dataset.h"
#include "detect/threshold.h"
#include "util/log.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define CHECK FUZZ_CHECK

static const char *const type_names[] = { "string", "ipv4", "ipv6", "md5", "sha256" };
static const size_t value_lens[] = { 0, 4, 16, 16, 32 };   /* 0: any length */
static char workdir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    snprintf(workdir, sizeof workdir, "/dev/shm/xiezhi-fuzz-dataset.%d", (int)getpid());
    if (mkdir(workdir, 0700) != 0)
        snprintf(workdir, sizeof workdir, "/tmp");
    return 0;
}

static int memfd_with(const uint8_t *data, size_t size, char *path, size_t pathlen)
{
    int fd = memfd_create("fuzz-dataset", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, pathlen, "/proc/self/fd/%d", fd);
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t ti = data[0] % (sizeof type_names / sizeof type_names[0]);
    int type = dataset_type_from_name(type_names[ti]);
    CHECK(type >= 0, "type %s unknown", type_names[ti]);
    data++;
    size--;

    char path[64];
    int fd = memfd_with(data, size, path, sizeof path);
    struct dataset_registry *reg = dataset_registry_new();
    CHECK(reg != NULL, "no registry");
    dataset_registry_set_memcap(reg, 4u << 20);
    struct diag diag = { .quiet = 1 };
    /* No base directory: the harness's own path (a memfd under
     * /proc/self/fd, which path confinement cannot resolve), not a rule's. */
    struct dataset *ds = dataset_registry_get(reg, "fuzz", (enum dataset_type)type, path, NULL,
                                              &diag, "fuzz.rules", 1);
    close(fd);
    CHECK(ds != NULL, "a readable file did not load: %s", diag.last);
    size_t loaded = dataset_size(ds);
    bool capped = strstr(diag.last, "memory cap") != NULL;

    /* Save, load back: same size, no complaint. */
    char saved[128];
    snprintf(saved, sizeof saved, "%s/set", workdir);
    struct diag d2 = { .quiet = 1 };
    if (!capped && dataset_save(ds, saved, &d2) == 0) {
        struct dataset_registry *reg2 = dataset_registry_new();
        CHECK(reg2 != NULL, "no registry");
        struct dataset *back = dataset_registry_get(reg2, "back", (enum dataset_type)type, saved,
                                                    "/", &d2, "fuzz.rules", 2);
        CHECK(back != NULL, "saved set does not load: %s", d2.last);
        CHECK(d2.errors == 0, "saved set loads with an error: %s", d2.last);
        CHECK(dataset_size(back) == loaded, "saved %zu values, loaded back %zu", loaded,
              dataset_size(back));
        dataset_registry_free(reg2);
        unlink(saved);
    }

    /* add / contains / remove on values cut from the input. */
    size_t vlen = value_lens[ti];
    for (size_t off = 0, n = 0; off < size && n < 16; n++) {
        size_t len = vlen ? vlen : 1 + data[off] % 24;
        if (off + len > size)
            break;
        const uint8_t *v = data + off;
        off += len;
        int added = dataset_add(ds, v, len);
        if (added < 0)
            break;                          /* full */
        CHECK(dataset_contains(ds, v, len), "value just added is not contained");
        CHECK(dataset_remove(ds, v, len) == 1, "value just added cannot be removed");
        CHECK(!dataset_contains(ds, v, len), "removed value still contained");
        if (!added)                          /* it was there before: put it back */
            CHECK(dataset_add(ds, v, len) == 1, "value cannot be re-added");
    }
    CHECK(dataset_size(ds) == loaded, "add/remove pairs changed the size from %zu to %zu",
          loaded, dataset_size(ds));
    dataset_registry_free(reg);

    /* threshold: / detection_filter: values. */
    char text[600];
    size_t tl = size < sizeof text - 1 ? size : sizeof text - 1;
    memcpy(text, data, tl);
    text[tl] = '\0';
    for (int df = 0; df < 2; df++) {
        struct threshold_spec spec;
        char err[256];
        if (threshold_parse(text, df, &spec, err, sizeof err) == 0)
            CHECK(spec.count > 0 && spec.seconds_usec > 0, "accepted a zero count or window");
    }
    return 0;
}
