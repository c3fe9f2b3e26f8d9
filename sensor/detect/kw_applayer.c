/* app-layer-protocol:[!]name, and the mapping from Suricata's app-layer
 * names (http, tls, dns, smb, ...) to nDPI's protocols that it and the rule
 * header's protocol field use.  A name Suricata does not know is looked up
 * in nDPI directly, so "app-layer-protocol:Tor" works too.  As in Suricata,
 * a negated name matches only once the protocol is known ("failed" matches
 * flows nDPI could not classify). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "applayer/applayer.h"
#include "classify/classify.h"
#include "detect/keywords.h"

#define APPLAYER_FAILED (-2)

struct applayer_alias {
    const char *suricata;
    const char *ndpi[5];
};

/* Equivalences follow Suricata's AppProtoEquals where nDPI has the twin. */
static const struct applayer_alias aliases[] = {
    { "http", { "HTTP", "HTTP_Proxy", "HTTP_Connect" } },
    { "http1", { "HTTP", "HTTP_Proxy", "HTTP_Connect" } },
    { "tls", { "TLS" } },
    { "ssl", { "TLS" } },
    { "dns", { "DNS", "DoH_DoT" } },
    { "doh2", { "DoH_DoT" } },
    { "ssh", { "SSH" } },
    { "smtp", { "SMTP", "SMTPS" } },
    { "ftp", { "FTP_CONTROL" } },
    { "ftp-data", { "FTP_DATA" } },
    { "smb", { "SMBv1", "SMBv23" } },
    { "dcerpc", { "DCERPC", "RPC" } },
    { "dhcp", { "DHCP", "DHCPV6" } },
    { "ntp", { "NTP" } },
    { "snmp", { "SNMP" } },
    { "sip", { "SIP" } },
    { "rdp", { "RDP" } },
    { "krb5", { "Kerberos" } },
    { "nfs", { "NFS" } },
    { "imap", { "IMAP", "IMAPS" } },
    { "pop3", { "POP3", "POP3S" } },
    { "mqtt", { "MQTT" } },
    { "modbus", { "Modbus" } },
    { "dnp3", { "DNP3" } },
    { "tftp", { "TFTP" } },
    { "telnet", { "Telnet" } },
    { "quic", { "QUIC" } },
    { "irc", { "IRC" } },
    { "rfb", { "VNC" } },
    { "ike", { "IPsec" } },
    { "ldap", { "LDAP" } },
    { "bittorrent", { "BitTorrent" } },
};

size_t applayer_ids(const struct detect_engine *de, const char *name, int *ids, size_t max)
{
    const struct classifier *c = detect_classifier(de);
    if (strcasecmp(name, "failed") == 0) {
        ids[0] = APPLAYER_FAILED;
        return 1;
    }
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++) {
        if (strcasecmp(aliases[i].suricata, name) != 0)
            continue;
        size_t n = 0;
        for (size_t j = 0; j < 5 && aliases[i].ndpi[j] && n < max; j++) {
            int id = c ? classify_protocol_id(c, aliases[i].ndpi[j]) : -1;
            if (id > 0)
                ids[n++] = id;
        }
        return n;
    }
    int id = c ? classify_protocol_id(c, name) : -1;
    if (id > 0 && max > 0) {
        ids[0] = id;
        return 1;
    }
    return 0;
}

static bool classification_known(const struct flow *f)
{
    return f->app.master_protocol != 0 || f->app.app_protocol != 0;
}

static bool classification_final(const struct flow *f)
{
    return f->app.state == CLASSIFY_DONE || f->app.state == CLASSIFY_GIVEN_UP;
}

bool applayer_flow_is(const struct flow *flow, const int *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == APPLAYER_FAILED) {
            if (classification_final(flow) && !classification_known(flow))
                return true;
            continue;
        }
        if (ids[i] == flow->app.master_protocol || ids[i] == flow->app.app_protocol)
            return true;
    }
    return false;
}

struct applayer_ctx {
    int ids[5];
    size_t n;
    bool negated;
    char name[16];              /* the rule's protocol, lower case ("http1" is "http") */
};

/* xiezhi's own parser knows the protocol from the first bytes, before nDPI;
 * its name matches as Suricata's AppProtoEquals says ("dns" on a doh2 flow). */
static bool parser_has(const struct flow *f, const char *name)
{
    return f->applayer && f->applayer->proto && applayer_proto_visible(f) &&
           applayer_proto_equals(name, applayer_flow_proto_name(f));
}

/* A parser has the flow but packet rules may not see its verdict yet. */
static bool parser_pending(const struct flow *f)
{
    return f->applayer && f->applayer->proto && !applayer_proto_visible(f);
}

static bool match_applayer(const struct match_env *env, const void *ctx)
{
    const struct applayer_ctx *c = ctx;
    const struct flow *f = env->flow;
    if (!f)
        return false;
    bool is = parser_has(f, c->name) || applayer_flow_is(f, c->ids, c->n);
    if (!c->negated)
        return is;
    /* negation needs a verdict: unknown-yet never matches, nor does nDPI's
     * while a parser's (which may say "doh2" where nDPI says HTTP) is pending */
    return !is && !parser_pending(f) &&
           (classification_known(f) || (f->applayer && f->applayer->proto));
}

int kw_app_layer_protocol(struct rule_parser *rp, const char *v)
{
    struct applayer_ctx *c = calloc(1, sizeof *c);
    if (!c) {
        rule_err(rp, "out of memory");
        return -1;
    }
    const char *name = v;
    if (*name == '!') {
        c->negated = true;
        name++;
    }
    c->n = applayer_ids(rp->de, name, c->ids, 5);
    const char *canonical = strcasecmp(name, "http1") == 0 ? "http" : name;
    size_t k = 0;
    for (; canonical[k] && k + 1 < sizeof c->name; k++)
        c->name[k] = (char)tolower((unsigned char)canonical[k]);
    c->name[k] = 0;
    bool parsed = applayer_parser_by_name(c->name) != NULL;
    if (c->n == 0 && !parsed) {
        free(c);
        rule_err(rp, "unknown app-layer protocol '%s'", name);
        return -1;
    }
    rp->rule->app_layer = true;
    return rule_add_flow_check(rp, match_applayer, c, free);
}
