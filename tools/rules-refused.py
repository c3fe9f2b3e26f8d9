#!/usr/bin/env python3
"""Counts the rules of a rule set that xiezhi refuses, by reason.

Runs `xiezhi -T` on every *.rules file of a directory (concatenated, with
the directory's classification.config when it has one) and groups its
`file:line: message` errors: "keyword 'x' is not supported" by keyword,
other messages by their text with quoted values and numbers blanked.

  tools/rules-refused.py [--xiezhi build/xiezhi] [--top N] [--markdown] DIR

Example (the Emerging Threats snapshot of the shared corpus):
  tools/rules-refused.py ../shared/corpus/et-open-2017
"""
import argparse
import collections
import glob
import os
import re
import subprocess
import sys
import tempfile

ERROR = re.compile(r"^xiezhi: error: (?P<file>[^:]+):(?P<line>\d+): (?P<msg>.*)$")
UNSUPPORTED = re.compile(r"^keyword '(?P<kw>[^']+)' is not supported$")


def enabled_rules(text):
    return sum(1 for line in text.splitlines()
               if line.strip() and not line.lstrip().startswith("#"))


def reason_of(msg):
    m = UNSUPPORTED.match(msg)
    if m:
        return "keyword '%s' is not supported" % m.group("kw")
    msg = re.sub(r"'[^']*'", "'…'", msg)
    msg = re.sub(r"\(first defined at [^)]*\)", "(first defined at …)", msg)
    return re.sub(r"\b\d+\b", "N", msg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--xiezhi", default=os.path.join(os.path.dirname(__file__), "..", "build",
                                                     "xiezhi"))
    ap.add_argument("--top", type=int, default=0, help="print only the N largest reasons")
    ap.add_argument("--markdown", action="store_true", help="a table for docs/rules.md")
    args = ap.parse_args()
    files = sorted(glob.glob(os.path.join(args.dir, "*.rules")))
    if not files:
        sys.exit("%s: no *.rules files" % args.dir)
    with tempfile.NamedTemporaryFile("w", suffix=".rules", delete=False,
                                     encoding="utf-8", errors="replace") as all_rules:
        total = 0
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            total += enabled_rules(text)
            all_rules.write(text if text.endswith("\n") else text + "\n")
    cmd = [args.xiezhi, "-T", "-S", all_rules.name]
    classification = os.path.join(args.dir, "classification.config")
    if os.path.exists(classification):
        cmd += ["--set", "rules.classification=" + os.path.abspath(classification)]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    finally:
        os.unlink(all_rules.name)
    reasons = collections.Counter()
    refused_lines = set()
    for line in proc.stderr.splitlines():
        m = ERROR.match(line)
        if m and m.group("file") == all_rules.name:
            refused_lines.add(int(m.group("line")))
            reasons[reason_of(m.group("msg"))] += 1
    refused = len(refused_lines)
    loaded = total - refused
    rows = reasons.most_common(args.top or None)
    if args.markdown:
        print("%d enabled rules, %d load (%.1f%%), %d refused\n" %
              (total, loaded, 100.0 * loaded / max(total, 1), refused))
        print("| rules | reason |\n| ---: | --- |")
        for reason, n in rows:
            print("| %d | %s |" % (n, reason.replace("|", "\\|")))
    else:
        print("%s: %d enabled rules, %d load (%.1f%%), %d refused" %
              (args.dir, total, loaded, 100.0 * loaded / max(total, 1), refused))
        for reason, n in rows:
            print("%7d  %s" % (n, reason))
    return 0


if __name__ == "__main__":
    sys.exit(main())
