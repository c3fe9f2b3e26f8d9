/* anomaly:<kind>[,option value...]: the rule scopes a behavioural detector
 * (sensor/anomaly/) instead of alerting itself.  The engine feeds the
 * detector every packet matching the rest of the rule, and every ended flow
 * whose client->server side matches the header. */
#include <string.h>

#include "anomaly/anomaly.h"
#include "detect/keywords.h"

int kw_anomaly(struct rule_parser *rp, const char *v)
{
    if (rp->rule->anomaly) {
        rule_err(rp, "only one anomaly per rule");
        return -1;
    }
    struct diag quiet = { .quiet = 1 };
    struct anomaly_params *p = anomaly_params_parse(v, detect_engine_cfg(rp->de)->config,
                                                    rp->file, rp->line, &quiet);
    if (!p) {
        /* diag.last is "file:line: message"; the loader adds the prefix again */
        const char *msg = quiet.last;
        const char *sep = strstr(msg, ": ");
        rule_err(rp, "%s", quiet.last[0] && sep ? sep + 2 : "invalid anomaly parameters");
        return -1;
    }
    rp->rule->anomaly = p;
    return 0;
}
