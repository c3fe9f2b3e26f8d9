/* A pid file that does not lie: it is locked (flock) while its process
 * lives, so a second instance is refused however the file got there, and a
 * stale one (nobody holds the lock) is taken over.  Opened with O_NOFOLLOW:
 * the file may live in a directory others can write to, and a symlink
 * planted there must not make a root process truncate another file. */
#include "util/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

/* The pid written in the file at fd, or 0. */
static long pid_in(int fd)
{
    char text[32] = "";
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    if (n <= 0)
        return 0;
    text[n] = '\0';
    char *end = NULL;
    errno = 0;
    long pid = strtol(text, &end, 10);
    if (errno || end == text || (*end && *end != '\n') || pid <= 0 || pid > 0x7fffffffL)
        return 0;
    return pid;
}

int pidfile_create(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        log_error("%s: cannot open pid file: %s%s", path, strerror(errno),
                  errno == ELOOP ? " (a symlink: refused)" : "");
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        log_error("%s: the pid file is not a regular file", path);
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        long other = pid_in(fd);
        if (err == EWOULDBLOCK)
            log_error("%s: xiezhi already runs as pid %ld", path, other);
        else
            log_error("%s: cannot lock pid file: %s", path, strerror(err));
        close(fd);
        return -1;
    }
    char text[32];
    int n = snprintf(text, sizeof text, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, text, (size_t)n, 0) != n) {
        log_error("%s: cannot write pid file: %s", path, strerror(errno));
        close(fd);
        unlink(path);
        return -1;
    }
    return fd;
}

void pidfile_remove(const char *path, int fd)
{
    if (fd < 0)
        return;
    if (path && path[0] && pid_in(fd) == (long)getpid())
        unlink(path);
    close(fd);
}
