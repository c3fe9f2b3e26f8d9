/* dataset:isset|isnotset|set|unset,NAME,type T[,load FILE][,state FILE]
 * [,save FILE][,memcap N][,hashsize N] in Suricata's syntax, on the current
 * sticky buffer (dns.query, tls.sni, ja3.hash, ip.src, ...).  Sets live in
 * the engine's dataset registry (dataset.c), shared by every rule naming
 * them; FILE is relative to the rule file's directory.  save, memcap and
 * hashsize are accepted and ignored: the sensor never writes files. */
#include <stdio.h>
#include <string.h>

#include "detect/dataset.h"
#include "detect/keywords.h"
#include "util/text.h"

static const char *const commands[] = { "isset", "isnotset", "set", "unset" };

int kw_dataset(struct rule_parser *rp, const char *v)
{
    if (rp->buffer == BUF_PAYLOAD) {
        rule_err(rp, "dataset needs a sticky buffer (e.g. dns.query, tls.sni, ip.src) before it");
        return -1;
    }
    char buf[1024];
    if (strlen(v) >= sizeof buf) {
        rule_err(rp, "dataset value too long");
        return -1;
    }
    strcpy(buf, v);
    char *save = NULL;
    char *cmd = strtok_r(buf, ",", &save);
    char *name = strtok_r(NULL, ",", &save);
    if (!cmd || !name) {
        rule_err(rp, "dataset needs 'command,name,type T'");
        return -1;
    }
    cmd = text_trim(cmd);
    name = text_trim(name);
    int c = -1;
    for (int i = 0; i < 4; i++)
        if (strcmp(cmd, commands[i]) == 0)
            c = i;
    if (c < 0) {
        rule_err(rp, "unknown dataset command '%s' (isset, isnotset, set, unset)", cmd);
        return -1;
    }
    if (!*name || strlen(name) > 63) {
        rule_err(rp, "invalid dataset name '%s'", name);
        return -1;
    }
    int type = -1;
    const char *load = NULL;
    for (char *opt = strtok_r(NULL, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
        opt = text_trim(opt);
        char *sp = strpbrk(opt, " \t");
        if (!sp) {
            rule_err(rp, "dataset option '%s' needs a value", opt);
            return -1;
        }
        *sp = '\0';
        char *val = text_trim(sp + 1);
        if (strcmp(opt, "type") == 0) {
            type = dataset_type_from_name(val);
            if (type < 0) {
                rule_err(rp, "unknown dataset type '%s' (string, ipv4, ipv6, md5, sha256)", val);
                return -1;
            }
        } else if (strcmp(opt, "load") == 0 || strcmp(opt, "state") == 0) {
            load = val;
        } else if (strcmp(opt, "save") != 0 && strcmp(opt, "memcap") != 0 &&
                   strcmp(opt, "hashsize") != 0) {
            rule_err(rp, "unknown dataset option '%s'", opt);
            return -1;
        }
    }
    if (type < 0) {
        rule_err(rp, "dataset '%s' needs a type", name);
        return -1;
    }
    bool ip_buffer = rp->buffer == BUF_IP_SRC || rp->buffer == BUF_IP_DST;
    if ((type == DATASET_IPV4 || type == DATASET_IPV6) != ip_buffer) {
        rule_err(rp, "dataset type '%s' does not fit buffer %s", ip_buffer ? "string" : "ip",
                 detect_buffer_name((enum detect_buffer)rp->buffer));
        return -1;
    }
    char dir[512];
    snprintf(dir, sizeof dir, "%s", rp->file ? rp->file : ".");
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    /* Problems inside the dataset file are reported by the registry itself,
     * as file:line of that file, through the engine's diag. */
    struct dataset *ds = dataset_registry_get(detect_datasets(rp->de), name,
                                              (enum dataset_type)type, load, dir,
                                              detect_engine_diag(rp->de), rp->file, rp->line);
    if (!ds) {
        rp->err[0] = '\0';     /* the registry said why, as file:line: once is enough */
        rp->reported = true;
        return -1;
    }
    struct inspect *in = rule_add_inspect(rp, INSPECT_DATASET);
    if (!in)
        return -1;
    in->u.dataset.cmd = (enum dataset_cmd)c;
    in->u.dataset.ds = ds;
    rp->last_payload = NULL;
    return 0;
}
