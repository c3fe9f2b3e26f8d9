/* classification.config: "config classification: name,description,priority"
 * lines, as Suricata reads them.  The table is small and read at load time
 * only, so it is a plain array. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect/rule.h"
#include "util/array.h"
#include "util/text.h"

struct classtype {
    char *name, *desc;
    int priority;
};

struct classification {
    struct classtype *v;
    size_t n, cap;
};

void classification_free(struct classification *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].name);
        free(c->v[i].desc);
    }
    free(c->v);
    free(c);
}

static int add(struct classification *c, const char *name, const char *desc, int prio)
{
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].name, name) == 0) {      /* later definition wins */
            char *d = strdup(desc);
            if (!d)
                return -1;
            free(c->v[i].desc);
            c->v[i].desc = d;
            c->v[i].priority = prio;
            return 0;
        }
    }
    if (c->n == c->cap) {
        struct classtype *nv = array_grow(c->v, &c->cap, sizeof *nv, 32);
        if (!nv)
            return -1;
        c->v = nv;
    }
    c->v[c->n].name = strdup(name);
    c->v[c->n].desc = strdup(desc);
    c->v[c->n].priority = prio;
    if (!c->v[c->n].name || !c->v[c->n].desc) {
        free(c->v[c->n].name);
        free(c->v[c->n].desc);
        return -1;
    }
    c->n++;
    return 0;
}

static void parse_line(struct classification *c, char *line, const char *path, unsigned lineno,
                       struct diag *diag)
{
    char *s = text_trim(line);
    if (!*s || *s == '#')
        return;
    static const char prefix[] = "config classification:";
    if (strncmp(s, prefix, sizeof prefix - 1) != 0) {
        diag_error(diag, path, lineno, "expected 'config classification: name,description,priority'");
        return;
    }
    s += sizeof prefix - 1;
    char *c1 = strchr(s, ',');
    char *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
    if (!c1 || !c2) {
        diag_error(diag, path, lineno, "expected 'name,description,priority'");
        return;
    }
    *c1 = *c2 = '\0';
    char *name = text_trim(s), *desc = text_trim(c1 + 1), *prio = text_trim(c2 + 1);
    char *end;
    long p = strtol(prio, &end, 10);
    if (!*name || strpbrk(name, " \t") || *end || end == prio || p < 1 || p > 255) {
        diag_error(diag, path, lineno, "invalid classification '%s'", name);
        return;
    }
    if (add(c, name, desc, (int)p) < 0)
        diag_error(diag, path, lineno, "out of memory");
}

/* Suricata's standard classification.config, built in so that rules with
 * a standard classtype load even when the file is missing; the file's lines
 * add to it and override it (rules/classification.config ships the same). */
static const struct {
    const char *name, *desc;
    int priority;
} standard_classtypes[] = {
    { "not-suspicious", "Not Suspicious Traffic", 3 },
    { "unknown", "Unknown Traffic", 3 },
    { "bad-unknown", "Potentially Bad Traffic", 2 },
    { "attempted-recon", "Attempted Information Leak", 2 },
    { "successful-recon-limited", "Information Leak", 2 },
    { "successful-recon-largescale", "Large Scale Information Leak", 2 },
    { "attempted-dos", "Attempted Denial of Service", 2 },
    { "successful-dos", "Denial of Service", 2 },
    { "attempted-user", "Attempted User Privilege Gain", 1 },
    { "unsuccessful-user", "Unsuccessful User Privilege Gain", 1 },
    { "successful-user", "Successful User Privilege Gain", 1 },
    { "attempted-admin", "Attempted Administrator Privilege Gain", 1 },
    { "successful-admin", "Successful Administrator Privilege Gain", 1 },
    { "rpc-portmap-decode", "Decode of an RPC Query", 2 },
    { "shellcode-detect", "Executable code was detected", 1 },
    { "string-detect", "A suspicious string was detected", 3 },
    { "suspicious-filename-detect", "A suspicious filename was detected", 2 },
    { "suspicious-login", "An attempted login using a suspicious username was detected", 2 },
    { "system-call-detect", "A system call was detected", 2 },
    { "tcp-connection", "A TCP connection was detected", 4 },
    { "trojan-activity", "A Network Trojan was detected", 1 },
    { "unusual-client-port-connection", "A client was using an unusual port", 2 },
    { "network-scan", "Detection of a Network Scan", 3 },
    { "denial-of-service", "Detection of a Denial of Service Attack", 2 },
    { "non-standard-protocol", "Detection of a non-standard protocol or event", 2 },
    { "protocol-command-decode", "Generic Protocol Command Decode", 3 },
    { "web-application-activity", "access to a potentially vulnerable web application", 2 },
    { "web-application-attack", "Web Application Attack", 1 },
    { "misc-activity", "Misc activity", 3 },
    { "misc-attack", "Misc Attack", 2 },
    { "icmp-event", "Generic ICMP event", 3 },
    { "inappropriate-content", "Inappropriate Content was Detected", 1 },
    { "policy-violation", "Potential Corporate Privacy Violation", 1 },
    { "default-login-attempt", "Attempt to login by a default username and password", 2 },
    { "targeted-activity", "Targeted Malicious Activity was Detected", 1 },
    { "exploit-kit", "Exploit Kit Activity Detected", 1 },
    { "external-ip-check", "Device Retrieving External IP Address Detected", 2 },
    { "domain-c2", "Domain Observed Used for C2 Detected", 1 },
    { "pup-activity", "Possibly Unwanted Program Detected", 2 },
    { "credential-theft", "Successful Credential Theft Detected", 1 },
    { "social-engineering", "Possible Social Engineering Attempted", 2 },
    { "coin-mining", "Crypto Currency Mining Activity Detected", 2 },
    { "command-and-control", "Malware Command and Control Activity Detected", 1 },
};

struct classification *classification_load(const char *path, struct diag *diag)
{
    struct classification *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    for (size_t i = 0; i < sizeof standard_classtypes / sizeof standard_classtypes[0]; i++) {
        if (add(c, standard_classtypes[i].name, standard_classtypes[i].desc,
                standard_classtypes[i].priority) < 0) {
            classification_free(c);
            return NULL;
        }
    }
    if (!path || !*path)
        return c;
    FILE *f = fopen(path, "r");
    if (!f) {
        diag_warning(diag, path, 0, "cannot open classification file (%s); using the built-in "
                     "standard classtypes", strerror(errno));
        return c;
    }
    char line[1024];
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        parse_line(c, line, path, lineno, diag);
    }
    fclose(f);
    return c;
}

bool classification_find(const struct classification *c, const char *name,
                         const char **desc, int *priority)
{
    if (!c)
        return false;
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->v[i].name, name) == 0) {
            *desc = c->v[i].desc;
            *priority = c->v[i].priority;
            return true;
        }
    }
    return false;
}
