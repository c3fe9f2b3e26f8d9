/* Does a DNS name carry encoded data?  A query name's subdomain is judged
 * against the alphabet its characters use (hex, base32, base36, base64,
 * binary): the entropy it measures against the entropy random data of the
 * same length over that alphabet would have.  Takes a name, not a packet,
 * so any DNS parser can feed it. */
#ifndef XIEZHI_DNS_LABEL_H
#define XIEZHI_DNS_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The smallest alphabet holding every character, case folded (resolvers
 * randomise the case of names, "0x20 encoding", so case carries nothing). */
enum dns_alphabet {
    DNS_ALPHA_NONE,       /* nothing to judge */
    DNS_ALPHA_HEX,        /* 0-9 a-f: 16 symbols, 4 bits at most */
    DNS_ALPHA_BASE32,     /* a-z 2-7, a-z 0-5 (iodine) or 0-9 a-v: 32, 5 bits */
    DNS_ALPHA_BASE36,     /* a-z 0-9: 36 symbols */
    DNS_ALPHA_BASE64,     /* a-z 0-9 - _ (base64 with DNS-safe symbols, folded): 38 */
    DNS_ALPHA_BINARY,     /* anything else (base128, raw bytes): judged on 128 */
    DNS_ALPHA_COUNT
};

struct dns_label_verdict {
    enum dns_alphabet alphabet;
    uint32_t symbols;      /* size of that alphabet */
    uint32_t data_len;     /* characters judged: the data labels without dots */
    bool digits_and_letters;   /* both kinds occur (encoded data almost always) */
    double entropy;        /* measured, bits per character */
    double expected;       /* of random data of data_len characters over the alphabet */
    double ratio;          /* entropy / expected: about 1 for random data */
};

/* Judges the len characters of sub (labels joined by dots, any case): the
 * labels of at least 10 characters and half as long as the longest, joined
 * without dots;
 * underscored service labels (_dmarc, _domainkey) are left out. */
void dns_label_judge(const char *sub, size_t len, struct dns_label_verdict *v);

/* Encoded data: at least min_length characters, digits and letters both,
 * and entropy at least min_ratio of what random data would have. */
bool dns_label_encoded(const struct dns_label_verdict *v, uint32_t min_length, double min_ratio);

/* "hex", "base32", ... for evidence and logs. */
const char *dns_alphabet_name(enum dns_alphabet a);

/* Expected Shannon entropy (bits per character) of n characters drawn
 * uniformly from k symbols: log2(n) - (k/n) * sum_c P(Bin(n,1/k)=c) c log2 c. */
double dns_random_entropy(uint32_t k, uint32_t n);

#endif
