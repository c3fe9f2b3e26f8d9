#!/usr/bin/env python3
"""Prints the alerts of an eve.json, one per line, sorted, for comparison
with tests/regress/anomaly/<case>.expected:
  event_type  signature_id  behavior.kind  count  score  window  evidence (' | ')
Signature alerts (no behavior object) print '-' for the behaviour fields.
Every line of eve.json must parse as JSON (exit 1 otherwise)."""
import json
import sys

rows = []
with open(sys.argv[1], encoding="utf-8") as f:
    for n, line in enumerate(f, 1):
        try:
            ev = json.loads(line)
        except ValueError as e:
            sys.exit("%s:%d: not JSON: %s" % (sys.argv[1], n, e))
        if ev.get("event_type") not in ("alert", "behavior") and "behavior" not in ev:
            continue
        alert = ev.get("alert", {})
        a = ev.get("behavior") or {}
        rows.append("\t".join(str(x) for x in (
            ev.get("event_type"), alert.get("signature_id", "-"), a.get("kind", "-"),
            a.get("count", "-"), a.get("score", "-"), a.get("window", "-"),
            " | ".join(a.get("evidence", [])) or "-")))
for r in sorted(rows):
    print(r)
