/* Driver for bench_dataset.sh: loads a string dataset file and times it,
 * then times lookups of the base64 values in a query file (decoded first,
 * so only dataset_contains is measured).
 * Usage: bench_dataset SET_FILE QUERY_FILE ROUNDS */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detect/dataset.h"

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int b64(int c)
{
    const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(a, c) : NULL;
    return p ? (int)(p - a) : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: bench_dataset SET_FILE QUERY_FILE ROUNDS\n");
        return 2;
    }
    struct diag d = {.quiet = 1};
    struct dataset_registry *reg = dataset_registry_new();
    double t0 = now_sec();
    struct dataset *ds = dataset_registry_get(reg, "bench", DATASET_STRING, argv[1], NULL, &d, "bench", 1);
    double load = now_sec() - t0;
    if (!ds || d.errors) {
        fprintf(stderr, "bench_dataset: load failed: %s\n", d.last);
        return 1;
    }

    FILE *f = fopen(argv[2], "r");
    if (!f)
        return 1;
    size_t n = 0, cap = 1 << 20;
    char **q = malloc(cap * sizeof *q);
    size_t *ql = malloc(cap * sizeof *ql);
    char line[512];
    while (fgets(line, sizeof line, f)) {
        if (n == cap) {
            cap *= 2;
            q = realloc(q, cap * sizeof *q);
            ql = realloc(ql, cap * sizeof *ql);
        }
        char *out = malloc(sizeof line);
        size_t len = 0;
        unsigned acc = 0;
        int bits = 0;
        for (char *p = line; *p && *p != '\n' && *p != '='; p++) {
            int v = b64((unsigned char)*p);
            if (v < 0)
                break;
            acc = acc << 6 | (unsigned)v;
            if ((bits += 6) >= 8) {
                bits -= 8;
                out[len++] = (char)(acc >> bits);
            }
        }
        q[n] = out;
        ql[n++] = len;
    }
    fclose(f);

    long rounds = atol(argv[3]), hits = 0;
    t0 = now_sec();
    for (long r = 0; r < rounds; r++)
        for (size_t i = 0; i < n; i++)
            hits += dataset_contains(ds, (const uint8_t *)q[i], ql[i]);
    double look = now_sec() - t0;
    printf("entries=%zu load_s=%.3f memory_mb=%.1f lookups=%zu hits=%ld lookups_per_s=%.0f\n",
           dataset_size(ds), load, (double)dataset_memory(ds) / 1e6, n * (size_t)rounds, hits,
           (double)(n * (size_t)rounds) / look);
    for (size_t i = 0; i < n; i++)
        free(q[i]);
    free(q);
    free(ql);
    dataset_registry_free(reg);
    return 0;
}
