#!/usr/bin/env python3
"""Prints the alerts and http events of an eve.json in a stable, diffable
form: one line each, in file order (tests/regress/test_http.sh)."""
import json
import sys

for line in open(sys.argv[1]):
    e = json.loads(line)
    t = e["event_type"]
    if t == "alert":
        h = e.get("http", {})
        print("alert sid=%d tx=%s %d->%d app=%s url=%s" % (
            e["alert"]["signature_id"], e.get("tx_id"), e["src_port"], e["dest_port"],
            e.get("app_proto"), h.get("url")))
    elif t == "http":
        h = e["http"]
        print("http tx=%d %d->%d %s %s %s status=%s length=%s host=%s ua=%s ctype=%s redirect=%s" % (
            e["tx_id"], e["src_port"], e["dest_port"], h.get("http_method"), h.get("url"),
            h.get("protocol"), h.get("status"), h.get("length"), h.get("hostname"),
            h.get("http_user_agent"), h.get("http_content_type"), h.get("redirect")))
