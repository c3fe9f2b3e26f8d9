/* xiezhi: network security monitoring sensor.  main only parses the
 * command line; the sensor module owns everything after that. */
#include <malloc.h>
#include <stdio.h>

#include "options.h"
#include "sensor.h"

int main(int argc, char **argv)
{
    /* No fastbins (tcache still serves small blocks).  With them, every
     * free that coalesces into 64 KiB or more (a flow's HTTP body, a chunk
     * next to the heap top) first merges every fastbin: on the bench
     * capture that was about 8% of the CPU time (tests/bench/bench_stream.sh). */
    mallopt(M_MXFAST, 0);
    struct sensor_options opts;
    int rc = options_parse(&opts, argc, argv);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return 2;
    return sensor_main(&opts);
}
