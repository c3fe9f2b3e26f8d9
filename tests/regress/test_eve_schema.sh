#!/bin/bash
# Every event validates against Suricata's own EVE schema
# (../shared/corpus/suricata-eve-schema.json) once xiezhi's own top-level
# objects are set aside: the whole nDPI 4.2 pcap corpus with the default pack
# (alerts, flows, stats), the behavioural-detection captures of
# pcaps/gen_anomaly.py and the demo.  Also: flow_id stays below 2^51 (JSON
# doubles keep it exact) and every alert's flow_id names a flow event, and
# anomaly.event-type: anomaly brings back the pre-0.2 names.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
SCHEMA=$TOP/../shared/corpus/suricata-eve-schema.json
CORPUS=$TOP/../shared/corpus/ndpi-4.2/pcap
cd "$TOP" || exit 1
tmp=$(mktemp -d /tmp/xiezhi-schema.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

[ -f "$SCHEMA" ] || fail "no schema at $SCHEMA"
[ -d "$CORPUS" ] || fail "no corpus at $CORPUS"
python3 -c 'import jsonschema' || fail "python3-jsonschema is not installed (tools/deps.sh)"

# Every event type, protocol events included, so each one meets the schema.
"$XIEZHI" -q -r "$CORPUS" -l "$tmp/corpus" \
    --set 'outputs.eve.types=[alert, behavior, flow, stats, http, dns, tls, ssh]' ||
    fail "corpus run exited $?"
"$XIEZHI" -q -r pcaps/demo.pcap -l "$tmp/demo" || fail "demo run exited $?"
for pcap in pcaps/anomaly_*.pcap; do
    name=$(basename "$pcap" .pcap)
    mkdir -p "$tmp/$name"
    "$XIEZHI" -q -c tests/regress/anomaly/xiezhi.yaml -S rules/anomaly.rules -r "$pcap" \
        -l "$tmp/$name" || fail "$name run exited $?"
done

python3 - "$SCHEMA" "$tmp" <<'PY' || exit 1
import collections, glob, json, sys
import jsonschema

schema = json.load(open(sys.argv[1], encoding="utf-8"))
validator = jsonschema.validators.validator_for(schema)(schema)
# xiezhi's own top-level objects (DESIGN.md "Events"); everything else is
# Suricata's name and must mean what Suricata's schema says.
OWN = ("ndpi", "geoip", "behavior", "xiezhi_stats", "sensor", "event_id", "tls_info")
FLOW_ID_LIMIT = 1 << 51

types = collections.Counter()
errors = collections.Counter()
examples = {}
flow_ids, alert_flow_ids = set(), []
for path in sorted(glob.glob(sys.argv[2] + "/*/eve.json")):
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        ev = json.loads(line)
        types[ev["event_type"]] += 1
        if "flow_id" in ev:
            if not 0 < ev["flow_id"] < FLOW_ID_LIMIT:
                errors[("flow_id", "not in (0, 2^51)")] += 1
                examples.setdefault(("flow_id", "not in (0, 2^51)"), "%s:%d" % (path, n))
            if ev["event_type"] == "flow":
                flow_ids.add((path, ev["flow_id"]))
            elif ev["event_type"] in ("alert", "behavior"):
                alert_flow_ids.append((path, ev["flow_id"], n))
        if ev["event_type"] == "behavior" and not isinstance(ev.get("behavior"), dict):
            errors[("behavior", "no behavior object")] += 1
        if "anomaly" in ev:
            errors[("anomaly", "Suricata's name used for a behavioural detection")] += 1
        for key in OWN:
            ev.pop(key, None)
        for err in validator.iter_errors(ev):
            key = (ev["event_type"] + ":" + "/".join(map(str, err.absolute_path)), err.message[:160])
            errors[key] += 1
            examples.setdefault(key, "%s:%d" % (path, n))

orphans = [(p, fid, n) for p, fid, n in alert_flow_ids if (p, fid) not in flow_ids]
for p, fid, n in orphans[:5]:
    print("alert without its flow event: %s:%d flow_id %d" % (p, n, fid))
for key, count in errors.most_common(20):
    print("%6d  %s  %s  (first: %s)" % (count, key[0], key[1], examples.get(key, "-")))
print("events checked:", dict(types))
# The run must have produced every kind of event this test speaks for.
missing = [t for t in ("alert", "behavior", "flow", "stats") if types[t] == 0]
if missing:
    sys.exit("FAIL: no %s events to check" % ", ".join(missing))
if errors or orphans:
    sys.exit("FAIL: %d schema problems, %d alerts without a flow" % (sum(errors.values()), len(orphans)))
PY

# The compatibility switch writes the pre-0.2 names (and only then).
"$XIEZHI" -q -c tests/regress/anomaly/xiezhi.yaml -S rules/anomaly.rules -r pcaps/anomaly_ssh_brute.pcap \
    --set anomaly.event-type=anomaly -l "$tmp/legacy" || fail "legacy run exited $?"
n=$(jq -c 'select(.event_type == "anomaly" and .anomaly.kind == "brute_force")' "$tmp/legacy/eve.json" | wc -l)
[ "$n" -eq 1 ] || fail "anomaly.event-type=anomaly: expected 1 legacy anomaly event, got $n"
"$XIEZHI" -T --set anomaly.event-type=anomalies >"$tmp/bad.out" 2>&1 && fail "-T accepted anomaly.event-type=anomalies"
grep -q "anomaly.event-type: 'anomalies' is not behavior or anomaly" "$tmp/bad.out" ||
    { cat "$tmp/bad.out"; fail "no message for a bad anomaly.event-type"; }
echo "eve schema: every event validates; flow ids below 2^51; legacy switch works"
