/* xiezhi: network security monitoring sensor.  main only parses the
 * command line; the sensor module owns everything after that. */
#include <stdio.h>

#include "options.h"
#include "sensor.h"

int main(int argc, char **argv)
{
    struct sensor_options opts;
    int rc = options_parse(&opts, argc, argv);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return 2;
    return sensor_main(&opts);
}
