/* A pid file that does not lie: an existing file naming a live process is a
 * refusal to start; a stale one (the process is gone) is replaced. */
#include "util/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/log.h"

static pid_t pidfile_read(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    long pid = 0;
    if (fscanf(f, "%ld", &pid) != 1 || pid <= 0 || pid > 0x7fffffffL)
        pid = 0;
    fclose(f);
    return (pid_t)pid;
}

int pidfile_create(const char *path)
{
    pid_t other = pidfile_read(path);
    if (other > 0 && other != getpid() && (kill(other, 0) == 0 || errno == EPERM)) {
        log_error("%s: xiezhi already runs as pid %ld", path, (long)other);
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_error("%s: cannot write pid file: %s", path, strerror(errno));
        return -1;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (write(fd, text, (size_t)n) != n) {
        log_error("%s: cannot write pid file: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    close(fd);
    return 0;
}

void pidfile_remove(const char *path)
{
    if (path && path[0] && pidfile_read(path) == getpid())
        unlink(path);
}
