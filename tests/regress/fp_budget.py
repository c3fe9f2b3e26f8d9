#!/usr/bin/env python3
"""Counts the default pack's alerts on benign traffic against the budget.

usage: fp_budget.py RULES_DIR NAME EVE.json [NAME EVE.json ...]

Each alert is sorted by its rule's `metadata: policy <class>` (read from the
rule files in RULES_DIR): policy classes are meant to fire on such traffic
(unapproved applications, clear-text credentials and protocols, weak TLS
and other weak crypto, downloads outside approved channels) and are listed
but not counted.  Of the others, the alerts that are right -- the corpus
holds a few captures of attacks -- are the (capture, sid) pairs below, each
with its reason; every other alert is a false positive.  Exit status 0 when
false positives <= flows / 10000 (one alert per 10,000 flows).
"""
import json
import os
import re
import sys
from collections import Counter

POLICY_CLASSES = {"unapproved-app", "cleartext-credentials", "cleartext-protocol",
                  "weak-crypto", "national-crypto", "unapproved-download", "geo-allow-list"}

# (capture, sid): why the alert is right.  docs/rules.md lists the same.
RIGHT = {
    ("WebattackRCE.pcap", 1100080): "Nikto web scanner's user agent",
    ("WebattackRCE.pcap", 1100087): "Nikto's ../../etc/shadow path traversal requests",
    ("exe_download.pcap", 1100081): "malware dropper: random agent fetching a PE from a bare IP",
    ("tor.pcap", 1100070): "Tor's generated server names (www.<random>.com)",
}

RULE = re.compile(r"^\s*alert\s.*\bsid:\s*(\d+)\s*;")
META = re.compile(r"\bmetadata:\s*([^;]*);")
MSG = re.compile(r'\bmsg:\s*"([^"]*)"')


def read_rules(rules_dir):
    rules = {}
    for name in sorted(os.listdir(rules_dir)):
        if not name.endswith(".rules"):
            continue
        with open(os.path.join(rules_dir, name), encoding="utf-8") as f:
            for line in f:
                m = RULE.match(line)
                if not m:
                    continue
                policy = ""
                meta = META.search(line)
                for item in (meta[1].split(",") if meta else []):
                    words = item.split()
                    if len(words) == 2 and words[0] == "policy":
                        policy = words[1]
                msg = MSG.search(line)
                rules[int(m[1])] = (policy, msg[1] if msg else "")
    return rules


def main(argv):
    if len(argv) < 4 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    rules = read_rules(argv[1])
    flows = 0
    policy, right, wrong = Counter(), Counter(), Counter()
    for i in range(2, len(argv), 2):
        name, path = argv[i], argv[i + 1]
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    ev = json.loads(line)
                except ValueError:
                    print(f"{path}:{n}: not JSON")
                    return 1
                if ev.get("event_type") == "flow":
                    flows += 1
                alert = ev.get("alert")
                if not alert:
                    continue
                sid = alert.get("signature_id")
                cls = rules.get(sid, ("", ""))[0]
                if cls in POLICY_CLASSES:
                    policy[(sid, cls)] += 1
                elif (name, sid) in RIGHT:
                    right[(name, sid)] += 1
                else:
                    wrong[(name, sid)] += 1
    for (sid, cls), n in sorted(policy.items()):
        print(f"policy  {sid} ({cls}) x{n}")
    for (name, sid), n in sorted(right.items()):
        print(f"right   {sid} x{n} in {name}: {RIGHT[(name, sid)]}")
    for (name, sid), n in sorted(wrong.items()):
        print(f"FALSE   {sid} x{n} in {name}: {rules.get(sid, ('', '?'))[1]}")
    fp = sum(wrong.values())
    budget = flows / 10000.0
    print(f"alerts: {sum(policy.values())} policy, {sum(right.values())} right on attack "
          f"captures, {fp} false positives")
    print(f"result: false positives {fp} over {flows} flows (budget {budget:.2f}: "
          f"one per 10,000 flows)")
    return 0 if flows and fp <= budget else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
