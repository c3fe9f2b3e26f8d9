/* UTF-8 as RFC 3629 defines it, for the places that hand attacker-chosen
 * bytes on as text: the JSON writer and the GeoIP organisation names. */
#ifndef XIEZHI_UTIL_UTF8_H
#define XIEZHI_UTIL_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one.
 * Overlong forms, surrogates and code points above U+10FFFF are invalid. */
size_t utf8_sequence_length(const unsigned char *s, size_t avail);

#endif
