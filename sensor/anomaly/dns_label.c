/* Judging a DNS subdomain for encoded data (dns_label.h).  Entropy alone
 * cannot work across encodings: hex never exceeds 4 bits per character and
 * base32 never 5, while a short random-looking CDN label can.  So the
 * measured entropy is compared with what random data over the same alphabet
 * and of the same length would reach (short strings reach less than the
 * alphabet's log2: 20 hex characters about 3.6 bits, not 4). */
#include "anomaly/dns_label.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

struct alphabet_def {
    enum dns_alphabet id;
    const char *name;
    uint32_t symbols;
    const char *chars;     /* NULL: the fallback, every byte */
};

/* Smallest first: a name is judged against the first that holds it. */
static const struct alphabet_def alphabets[] = {
    { DNS_ALPHA_HEX, "hex", 16, "0123456789abcdef" },
    { DNS_ALPHA_BASE32, "base32", 32, "abcdefghijklmnopqrstuvwxyz234567" },
    { DNS_ALPHA_BASE32, "base32", 32, "abcdefghijklmnopqrstuvwxyz012345" },
    { DNS_ALPHA_BASE32, "base32", 32, "0123456789abcdefghijklmnopqrstuv" },
    { DNS_ALPHA_BASE36, "base36", 36, "abcdefghijklmnopqrstuvwxyz0123456789" },
    { DNS_ALPHA_BASE64, "base64", 38, "abcdefghijklmnopqrstuvwxyz0123456789-_" },
    { DNS_ALPHA_BINARY, "binary", 128, NULL },
};

const char *dns_alphabet_name(enum dns_alphabet a)
{
    for (size_t i = 0; i < sizeof alphabets / sizeof alphabets[0]; i++)
        if (alphabets[i].id == a)
            return alphabets[i].name;
    return "none";
}

double dns_random_entropy(uint32_t k, uint32_t n)
{
    if (k < 2 || n < 2)
        return 0;
    /* The count of one symbol is Binomial(n, 1/k); its pmf is walked up
     * from c = 0 by the ratio of neighbours. */
    double p = 1.0 / k, q = 1.0 - p;
    double pmf = pow(q, n), sum = 0;
    for (uint32_t c = 1; c <= n; c++) {
        pmf *= (double)(n - c + 1) / c * p / q;
        sum += pmf * c * log2(c);
    }
    double h = log2(n) - (double)k * sum / n;
    return h > 0 ? h : 0;
}

static bool within(const bool *used, const char *chars)
{
    bool allowed[256] = { false };
    for (const char *c = chars; *c; c++)
        allowed[(unsigned char)*c] = true;
    for (int i = 0; i < 256; i++)
        if (used[i] && !allowed[i])
            return false;
    return true;
}

/* Underscored labels (_dmarc, _domainkey, _tcp: RFC 8552) name a service,
 * they never carry data. */
static bool service_label(const char *label, size_t n)
{
    return n > 0 && label[0] == '_';
}

/* Shortest label taken for data: encoders fill labels (iodine and dnscat2
 * up to 63 characters); words and host numbers are shorter. */
#define DATA_LABEL_MIN 10

/* The labels that carry the data: at least DATA_LABEL_MIN characters and
 * half as long as the longest.  Tunnels put fixed short labels of their own
 * beside the data ("dnscat.", "t.tunnel." under the registered domain);
 * those would otherwise decide the alphabet and dilute the entropy. */
static size_t data_label_min(const char *sub, size_t len)
{
    size_t longest = 0;
    for (size_t start = 0, i = 0; i <= len; i++) {
        if (i < len && sub[i] != '.')
            continue;
        if (!service_label(sub + start, i - start) && i - start > longest)
            longest = i - start;
        start = i + 1;
    }
    size_t half = (longest + 1) / 2;
    return half > DATA_LABEL_MIN ? half : DATA_LABEL_MIN;
}

void dns_label_judge(const char *sub, size_t len, struct dns_label_verdict *v)
{
    memset(v, 0, sizeof *v);
    v->alphabet = DNS_ALPHA_NONE;
    if (!sub)
        return;
    unsigned counts[256] = { 0 };
    bool used[256] = { false };
    bool digit = false, letter = false;
    uint32_t n = 0;
    size_t min_label = data_label_min(sub, len);
    for (size_t start = 0, i = 0; i <= len; i++) {
        if (i < len && sub[i] != '.')
            continue;
        bool data = i - start >= min_label && !service_label(sub + start, i - start);
        for (size_t j = start; data && j < i; j++) {
            unsigned char c = (unsigned char)tolower((unsigned char)sub[j]);
            counts[c]++;
            used[c] = true;
            digit |= isdigit(c) != 0;
            letter |= islower(c) != 0;
            n++;
        }
        start = i + 1;
    }
    if (n == 0)
        return;
    const struct alphabet_def *a = &alphabets[sizeof alphabets / sizeof alphabets[0] - 1];
    for (size_t i = 0; alphabets[i].chars; i++)
        if (within(used, alphabets[i].chars)) {
            a = &alphabets[i];
            break;
        }
    double h = 0;
    for (int i = 0; i < 256; i++) {
        if (!counts[i])
            continue;
        double pr = (double)counts[i] / n;
        h -= pr * log2(pr);
    }
    v->alphabet = a->id;
    v->symbols = a->symbols;
    v->data_len = n;
    v->digits_and_letters = digit && letter;
    v->entropy = h;
    v->expected = dns_random_entropy(a->symbols, n);
    v->ratio = v->expected > 0 ? h / v->expected : 0;
}

bool dns_label_encoded(const struct dns_label_verdict *v, uint32_t min_length, double min_ratio)
{
    return v->alphabet != DNS_ALPHA_NONE && v->data_len >= min_length &&
           v->digits_and_letters && v->ratio >= min_ratio;
}
