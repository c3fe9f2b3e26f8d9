/* The pid file (--pidfile / pid-file): written at start and locked for the
 * process's lifetime, refused while another process holds the lock, removed
 * at exit. */
#ifndef XIEZHI_PIDFILE_H
#define XIEZHI_PIDFILE_H

/* Returns the open, locked pid file (keep it open until pidfile_remove), or
 * -1 with the reason logged (another xiezhi holds it, a symlink, no
 * access). */
int pidfile_create(const char *path);
/* Removes the file if it still names this process, then closes fd. */
void pidfile_remove(const char *path, int fd);

#endif
