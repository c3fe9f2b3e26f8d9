/* The pid file (--pidfile / pid-file): written at start, refused while
 * another live process holds it, removed at exit. */
#ifndef XIEZHI_PIDFILE_H
#define XIEZHI_PIDFILE_H

/* Returns 0, or -1 with the reason logged (another xiezhi runs, no access). */
int pidfile_create(const char *path);
void pidfile_remove(const char *path);

#endif
