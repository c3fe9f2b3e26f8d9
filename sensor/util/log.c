/* Logging to stderr and syslog.  One line per message, prefixed with the
 * level, so that test scripts and journald can grep it. */
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>

static enum log_level current_level = LOG_LEVEL_NOTICE;
static int use_syslog;

static const char *const level_names[] = { "error", "warning", "notice", "info", "debug" };
static const int syslog_priorities[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level) { current_level = level; }
enum log_level log_get_level(void) { return current_level; }

void log_enable_syslog(const char *ident)
{
    openlog(ident, LOG_PID, LOG_DAEMON);
    use_syslog = 1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (level > current_level)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "xiezhi: %s: %s\n", level_names[level], line);
    if (use_syslog)
        syslog(syslog_priorities[level], "%s", line);
}
