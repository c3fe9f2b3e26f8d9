/* The sensor's lifecycle.  (The packet path is wired in as stages land.) */
#include "sensor.h"

#include <stdio.h>

#include "config/config.h"
#include "util/log.h"

int sensor_main(const struct sensor_options *opts)
{
    log_set_level((enum log_level)(LOG_LEVEL_NOTICE + opts->verbosity));
    struct diag diag = { 0 };
    struct config *cfg = config_new();
    if (!cfg)
        return 1;
    if (opts->config_file)
        config_load_file(cfg, opts->config_file, &diag);
    for (size_t i = 0; i < opts->noverrides; i++)
        config_set_override(cfg, opts->overrides[i], &diag);
    int rc = diag.errors ? 2 : 0;
    config_free(cfg);
    return rc;
}
