/* Running with the least privilege once the capture is open: switch to the
 * configured user and group and drop every capability (libcap-ng), and
 * refuse input files that anyone may rewrite. */
#ifndef XIEZHI_PRIVILEGES_H
#define XIEZHI_PRIVILEGES_H

/* After the capture handles are open.  user NULL/"" keeps the identity (as
 * root: a notice; with capabilities, e.g. systemd's ambient set, they are
 * dropped).  group NULL/"" takes the user's primary group.  Supplementary
 * groups and the capability bounding set are cleared.  Returns 0 or -1 with
 * the reason logged.  Call before starting threads: capabilities are per
 * thread. */
int privileges_drop(const char *user, const char *group);

/* -1 with "path: is world-writable ..." logged when anyone may write the
 * file (a rule or config file someone else could rewrite); 0 otherwise,
 * also when it does not exist (the loader reports that). */
int privileges_check_file(const char *path);

#endif
