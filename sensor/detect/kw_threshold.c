/* threshold and detection_filter: the parsing and counting live in
 * threshold.c; here the rule records its spec, applied after a match. */
#include "detect/keywords.h"

static int setup(struct rule_parser *rp, const char *v, bool is_df)
{
    struct rule *r = rp->rule;
    if (is_df ? r->has_detection_filter : r->has_threshold) {
        rule_err(rp, "only one %s per rule", rp->keyword);
        return -1;
    }
    char msg[200] = "";
    struct threshold_spec *spec = is_df ? &r->detection_filter : &r->threshold;
    if (threshold_parse(v, is_df, spec, msg, sizeof msg) < 0) {
        rule_err(rp, "%s", msg[0] ? msg : "invalid value");
        return -1;
    }
    if (is_df)
        r->has_detection_filter = true;
    else
        r->has_threshold = true;
    return 0;
}

int kw_threshold(struct rule_parser *rp, const char *v) { return setup(rp, v, false); }
int kw_detection_filter(struct rule_parser *rp, const char *v) { return setup(rp, v, true); }
