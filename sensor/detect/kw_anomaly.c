/* anomaly:<kind>[,option value...]: the rule scopes a behavioural detector
 * (sensor/anomaly/) instead of alerting itself.  The engine feeds the
 * detector every packet matching the rest of the rule, and every ended flow
 * whose client->server side matches the header. */
#include "anomaly/anomaly.h"
#include "detect/keywords.h"

int kw_anomaly(struct rule_parser *rp, const char *v)
{
    if (rp->rule->anomaly) {
        rule_err(rp, "only one anomaly per rule");
        return -1;
    }
    struct anomaly_params *p = anomaly_params_parse(v, detect_engine_cfg(rp->de)->config,
                                                    rp->err, sizeof rp->err);
    if (!p) {
        if (!rp->err[0])
            rule_err(rp, "anomaly: invalid parameters");
        return -1;
    }
    rp->rule->anomaly = p;
    return 0;
}
