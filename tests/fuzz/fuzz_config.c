/* Fuzz target: the YAML config parser.  The input is a config file; lines
 * "#set key=value" (YAML comments) are also fed to config_set_override, and
 * every key found is read back through each typed getter, so the number,
 * duration and bool parsers see hostile text too.
 * fuzz-needs: config_load_buffer config_set_override */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "util/log.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct walk {
    const struct config *cfg;
    struct diag *diag;
    int depth;
};

static void read_key(struct walk *w, const char *key)
{
    (void)config_get_str(w->cfg, key, NULL);
    (void)config_get_int(w->cfg, key, 0, INT64_MIN, INT64_MAX, w->diag);
    (void)config_get_int(w->cfg, key, 7, 0, 65535, w->diag);
    (void)config_get_duration_usec(w->cfg, key, 1, w->diag);
    (void)config_get_bool(w->cfg, key, false, w->diag);
    size_t n = config_list_count(w->cfg, key);
    for (size_t i = 0; i <= n; i++)
        (void)config_list_item(w->cfg, key, i);
    unsigned line;
    (void)config_origin(w->cfg, key, &line);
}

static void visit(void *ctx, const char *child, const char *full_key)
{
    struct walk *w = ctx;
    (void)child;
    read_key(w, full_key);
    if (w->depth >= 40)
        return;
    w->depth++;
    config_foreach_child(w->cfg, full_key, visit, w);
    w->depth--;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_quiet_init();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config *cfg = config_new();
    if (!cfg)
        return 0;
    struct diag diag = { .quiet = 1 };
    config_load_buffer(cfg, "fuzz.yaml", (const char *)data, size, &diag);

    /* "#set key=value" lines: the --set path. */
    char *text = malloc(size + 1);
    if (text) {
        memcpy(text, data, size);
        text[size] = '\0';
        for (char *line = text; line && *line;) {
            char *next = strchr(line, '\n');
            if (next)
                *next++ = '\0';
            if (strncmp(line, "#set ", 5) == 0)
                config_set_override(cfg, line + 5, &diag);
            line = next;
        }
        free(text);
    }

    static const char *const roots[] = { "sensor", "vars", "capture", "rules", "geoip",
                                         "outputs", "flow", "decoder", "detect", "a", "" };
    struct walk w = { .cfg = cfg, .diag = &diag };
    for (size_t i = 0; i < sizeof roots / sizeof roots[0]; i++) {
        read_key(&w, roots[i]);
        config_foreach_child(cfg, roots[i], visit, &w);
    }
    config_free(cfg);
    return 0;
}
