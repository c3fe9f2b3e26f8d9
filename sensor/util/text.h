/* Small text helpers shared by the parsers of hostile input (config, rules,
 * classification, datasets, detector options, EVE): one definition each, so
 * every parser agrees on what blank and a hex digit are. */
#ifndef XIEZHI_UTIL_TEXT_H
#define XIEZHI_UTIL_TEXT_H

/* Cuts leading and trailing white space (isspace: blanks, tabs, CR, LF, VT,
 * FF) in place; returns the first kept character of s. */
char *text_trim(char *s);

/* The value of a hex digit (0-9, a-f, A-F), or -1 for any other byte. */
int text_hex_digit(int c);
/* The value of a base64 digit (A-Z, a-z, 0-9, +, /), or -1 for any other
 * byte (padding included). */
int text_base64_digit(int c);
/* The value of exactly n (1..9) decimal digits at *p, which moves past
 * them; -1 when a byte among them is not a digit (the end of the string
 * included).  Dates and times in EVE and in rule options use it. */
int text_decimal_digits(const char **p, int n);

#endif
