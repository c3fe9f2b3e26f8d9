#!/usr/bin/env python3
"""Conformance runner over suricata-verify cases (../shared/corpus/suricata-verify).

For each case folder (test.rules, input.pcap, test.yaml) it runs
`xiezhi -r input.pcap -S test.rules -l OUT` and compares the number of EVE
alert events with every `filter` check of test.yaml whose match selects
event_type alert (per alert.signature_id, and on src/dest ip/port and proto
when the check names them).  Checks on other event types (http, flow, dns...)
and on fields xiezhi does not log (payload, stream, packet) are not ours and
are skipped.  Prints one line per case and "passed/total"; exits 0 when at
least --min cases pass.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import yaml

COMPARED = {"alert.signature_id", "src_ip", "dest_ip", "src_port", "dest_port", "proto"}


def get_path(event, dotted):
    cur = event
    for part in dotted.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def alert_checks(spec):
    for check in spec.get("checks") or []:
        flt = check.get("filter") if isinstance(check, dict) else None
        if not flt or "count" not in flt:
            continue
        match = flt.get("match") or {}
        if match.get("event_type") != "alert":
            continue
        keys = {k: v for k, v in match.items() if k in COMPARED}
        yield int(flt["count"]), keys


def run_case(xiezhi, case):
    with tempfile.TemporaryDirectory(prefix="xiezhi-sv-") as out:
        proc = subprocess.run([xiezhi, "-r", os.path.join(case, "input.pcap"),
                               "-S", os.path.join(case, "test.rules"), "-l", out, "-q"],
                              capture_output=True, text=True, timeout=300)
        events = []
        eve = os.path.join(out, "eve.json")
        if os.path.exists(eve):
            with open(eve, encoding="utf-8") as f:
                events = [json.loads(line) for line in f if line.strip()]
        return proc, [e for e in events if e.get("event_type") == "alert"]


def evaluate(case, alerts, spec):
    problems = []
    checks = list(alert_checks(spec))
    for count, keys in checks:
        got = sum(1 for e in alerts
                  if all(str(get_path(e, k)) == str(v) for k, v in keys.items()))
        if got != count:
            what = ", ".join("%s=%s" % kv for kv in sorted(keys.items())) or "all alerts"
            problems.append("%s: expected %d, got %d" % (what, count, got))
    return checks, problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("xiezhi")
    ap.add_argument("corpus")
    ap.add_argument("--min", type=int, default=15)
    args = ap.parse_args()
    cases = sorted(d for d in os.listdir(args.corpus)
                   if os.path.isfile(os.path.join(args.corpus, d, "test.yaml")))
    passed = 0
    for name in cases:
        case = os.path.join(args.corpus, name)
        with open(os.path.join(case, "test.yaml"), encoding="utf-8") as f:
            spec = yaml.safe_load(f) or {}
        proc, alerts = run_case(args.xiezhi, case)
        checks, problems = evaluate(case, alerts, spec)
        if proc.returncode != 0:
            problems.insert(0, "xiezhi exited %d: %s" % (proc.returncode,
                                                        proc.stderr.strip().splitlines()[-1:]))
        if not checks:
            problems.append("no alert checks in test.yaml")
        ok = not problems
        passed += ok
        print("%s  %-45s %s" % ("PASS" if ok else "FAIL", name, "; ".join(problems)))
    print("%s: %d/%d passed (need %d)" % (os.path.basename(os.path.normpath(args.corpus)),
                                          passed, len(cases), args.min))
    return 0 if passed >= args.min else 1


if __name__ == "__main__":
    sys.exit(main())
