/* Dropping root after the capture is open (libcap-ng), and the refusal of
 * world-writable input files.  A sensor on a tap reads hostile traffic for
 * months: after start-up it needs no privilege at all. */
#include "util/privileges.h"

#include <cap-ng.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/log.h"

static int lookup_ids(const char *user, const char *group, uid_t *uid, gid_t *gid)
{
    errno = 0;
    const struct passwd *pw = getpwnam(user);
    if (!pw) {
        log_error("run-as.user: no such user '%s'", user);
        return -1;
    }
    *uid = pw->pw_uid;
    *gid = pw->pw_gid;
    if (!group || !group[0])
        return 0;
    const struct group *gr = getgrnam(group);
    if (!gr) {
        log_error("run-as.group: no such group '%s'", group);
        return -1;
    }
    *gid = gr->gr_gid;
    return 0;
}

/* Not root: only drop what the process was given (ambient capabilities). */
static int drop_capabilities_only(void)
{
    if (capng_have_capabilities(CAPNG_SELECT_CAPS) == CAPNG_NONE)
        return 0;
    capng_clear(CAPNG_SELECT_CAPS);
    if (capng_apply(CAPNG_SELECT_CAPS) < 0) {
        log_error("cannot drop capabilities");
        return -1;
    }
    log_info("capabilities dropped");
    return 0;
}

int privileges_drop(const char *user, const char *group)
{
    if (!user || !user[0]) {
        if (geteuid() == 0) {
            /* Loud: every parser of attacker-controlled bytes (decoders,
             * nDPI, LibHTP, rules) would run with full privileges. */
            log_warning("RUNNING AS ROOT: no run-as.user is set, so every packet parser keeps root "
                        "privileges; set run-as.user (e.g. xiezhi) to drop them after the capture "
                        "is open");
            return 0;
        }
        return drop_capabilities_only();
    }
    uid_t uid;
    gid_t gid;
    if (lookup_ids(user, group, &uid, &gid) < 0)
        return -1;
    if (geteuid() == uid && getegid() == gid)
        return drop_capabilities_only();
    if (geteuid() != 0) {
        log_error("run-as.user '%s': only root can change the user (running as uid %u)", user,
                  (unsigned)geteuid());
        return -1;
    }
    int flags = CAPNG_DROP_SUPP_GRP;
    /* Clearing the bounding set needs CAP_SETPCAP, which a hardened unit may
     * not grant; the unit's own bounding set then already limits it. */
    capng_get_caps_process();
    if (capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP))
        flags |= CAPNG_CLEAR_BOUNDING;
    capng_clear(CAPNG_SELECT_BOTH);
    int rc = capng_change_id((int)uid, (int)gid, (capng_flags_t)flags);
    if (rc < 0) {
        log_error("cannot switch to user '%s' (uid %u, gid %u): libcap-ng error %d", user,
                  (unsigned)uid, (unsigned)gid, rc);
        return -1;
    }
    log_info("now running as %s (uid %u, gid %u) without capabilities", user, (unsigned)uid,
             (unsigned)gid);
    return 0;
}

int privileges_check_file(const char *path)
{
    struct stat st;
    if (!path || !path[0] || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
        return 0;
    if (st.st_mode & S_IWOTH) {
        log_error("%s: is world-writable, refusing to load it (chmod o-w %s)", path, path);
        return -1;
    }
    return 0;
}
