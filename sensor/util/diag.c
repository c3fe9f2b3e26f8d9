/* Diagnostics: "file:line: message" lines, counted by severity. */
#include "util/diag.h"
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>

__attribute__((format(printf, 5, 0)))
static void diag_emit(struct diag *d, int is_error, const char *file, unsigned line,
                      const char *fmt, va_list ap)
{
    char message[400];
    vsnprintf(message, sizeof message, fmt, ap);
    if (line > 0)
        snprintf(d->last, sizeof d->last, "%s:%u: %s", file ? file : "-", line, message);
    else
        snprintf(d->last, sizeof d->last, "%s: %s", file ? file : "-", message);
    if (is_error)
        d->errors++;
    else
        d->warnings++;
    if (!d->quiet)
        log_msg(is_error ? LOG_LEVEL_ERROR : LOG_LEVEL_WARNING, "%s", d->last);
}

void diag_error(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_emit(d, 1, file, line, fmt, ap);
    va_end(ap);
}

void diag_warning(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_emit(d, 0, file, line, fmt, ap);
    va_end(ap);
}
