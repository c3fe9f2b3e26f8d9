/* The sensor's lifecycle: configuration, the stages of the packet path, the
 * exporters, signals, and the run loop over capture sources. */
#ifndef XIEZHI_SENSOR_H
#define XIEZHI_SENSOR_H

#include "options.h"

/* Returns the process exit code: 0 ok, 1 runtime failure, 2 config/rule error. */
int sensor_main(const struct sensor_options *opts);

#endif
