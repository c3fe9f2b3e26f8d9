/* Path joining: one rule for absolute names, empty directories and the
 * separator, shared by the sensor, the exporters and the datasets. */
#include "util/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int path_join(char *out, size_t len, const char *dir, const char *name)
{
    int n;
    if (name[0] == '/' || !dir || !dir[0])
        n = snprintf(out, len, "%s", name);
    else
        n = snprintf(out, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

char *path_join_alloc(const char *dir, const char *name)
{
    size_t len = (dir ? strlen(dir) : 0) + strlen(name) + 2;
    char *out = malloc(len);
    if (out && path_join(out, len, dir, name) < 0) {
        free(out);          /* cannot happen: len covers dir, '/', name and NUL */
        return NULL;
    }
    return out;
}
