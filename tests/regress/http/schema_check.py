#!/usr/bin/env python3
"""Validates each event of an eve.json against Suricata's EVE schema, with
xiezhi's own top-level objects (ndpi, geoip, anomaly, sensor, event_id) set
aside as DESIGN.md says.  Exit 1 and one line per bad event otherwise."""
import json
import sys

import jsonschema

OWN = ("ndpi", "geoip", "anomaly", "sensor", "event_id")
schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema)
bad = 0
for n, line in enumerate(open(sys.argv[2]), 1):
    event = json.loads(line)
    for key in OWN:
        event.pop(key, None)
    errors = sorted(validator.iter_errors(event), key=lambda e: e.path)
    for err in errors[:3]:
        print("line %d (%s): %s at %s" % (n, event.get("event_type"), err.message,
                                         "/".join(str(p) for p in err.path)))
    bad += bool(errors)
sys.exit(1 if bad else 0)
