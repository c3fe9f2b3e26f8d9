/* Path joining, written once: a name relative to a directory (the config
 * file's, the rules dir, the log dir) or absolute, as every caller wants it. */
#ifndef XIEZHI_UTIL_PATH_H
#define XIEZHI_UTIL_PATH_H

#include <stddef.h>

/* Writes name into out when it is absolute or dir is NULL or "", else
 * "dir/name" (no second '/' when dir ends in one).  Returns 0, or -1 when
 * out (len bytes) is too small; out then holds a truncated path. */
int path_join(char *out, size_t len, const char *dir, const char *name);

/* The same in a malloc'd string; NULL when out of memory. */
char *path_join_alloc(const char *dir, const char *name);

#endif
