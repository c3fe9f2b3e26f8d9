/* Fuzz target: the DNS label judge (sensor/anomaly/dns_label.c), which any
 * DNS parser may feed with names off the wire.  The input is the name
 * itself, any bytes; the verdict must stay within its bounds: a known
 * alphabet, no more data characters than input, a finite non-negative
 * entropy no higher than log2 of the characters judged.
 * fuzz-needs: dns_label_judge dns_label_encoded dns_random_entropy */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "anomaly/dns_label.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

FUZZ_INITIALIZE_QUIET

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dns_label_verdict v;
    dns_label_judge((const char *)data, size, &v);
    FUZZ_CHECK(v.alphabet < DNS_ALPHA_COUNT, "alphabet %d", (int)v.alphabet);
    FUZZ_CHECK(v.data_len <= size, "data_len %u of %zu", v.data_len, size);
    FUZZ_CHECK(isfinite(v.entropy) && v.entropy >= 0, "entropy %f", v.entropy);
    FUZZ_CHECK(isfinite(v.ratio) && v.ratio >= 0, "ratio %f", v.ratio);
    if (v.data_len)
        FUZZ_CHECK(v.entropy <= log2((double)v.data_len) + 1e-9, "entropy %f over %u chars",
                   v.entropy, v.data_len);
    else
        FUZZ_CHECK(v.alphabet == DNS_ALPHA_NONE, "alphabet without data");
    (void)dns_label_encoded(&v, 20, 0.9);
    double e = dns_random_entropy(size % 300, (uint32_t)(size % 300));
    FUZZ_CHECK(isfinite(e) && e >= 0, "random entropy %f", e);
    return 0;
}
