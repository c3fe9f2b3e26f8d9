#!/usr/bin/env python3
"""Compares xiezhi's flow events with ndpiReader's flow list.

usage: ndpi_compare.py [--min PCT] NAME REF.txt EVE.json [NAME REF.txt EVE.json ...]

REF.txt is the output of `ndpiReader -q -t -i FILE -w REF.txt -v 2`;
EVE.json holds xiezhi's events for the same capture.  Flows are matched by
IP protocol and endpoints (either orientation); each matched flow agrees
when both name the same application protocol (ndpi.protocol, as ndpiReader
prints it).  Every disagreement and every flow only one side has is
printed.  Exit status 0 when agreeing flows are at least PCT percent of all
flows (matched or not) over all captures.
"""
import ipaddress
import json
import re
import sys
from collections import defaultdict

PROTO_NUMBERS = {
    "ICMP": 1, "IGMP": 2, "TCP": 6, "UDP": 17, "GRE": 47, "ESP": 50, "AH": 51,
    "ICMPV6": 58, "IPV6-ICMP": 58, "SCTP": 132,
}

REF_LINE = re.compile(
    r"^\s+\d+\s+(?P<proto>\S+) (?P<a>\[[^\]]+\]|[^ \[]+?):(?P<ap>\d+) (?:<->|->) "
    r"(?P<b>\[[^\]]+\]|[^ \[]+?):(?P<bp>\d+) (?:\[VLAN: \d+\])?\[proto: [^/\]]*/(?P<app>[^\]]+)\]")


HOST = re.compile(r"\[Hostname/SNI: ([^\]]*)\]")
JA3C = re.compile(r"\[JA3C: ([0-9a-f]+)\]")


def proto_number(name):
    name = str(name).upper()
    if name.isdigit():
        return int(name)
    return PROTO_NUMBERS.get(name, name)


def norm_ip(ip):
    ip = ip.strip("[]")
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return ip.lower()


def flow_key(proto, a, ap, b, bp):
    ends = sorted([(norm_ip(a), int(ap)), (norm_ip(b), int(bp))])
    return (proto_number(proto), ends[0], ends[1])


def read_ref(path):
    """ndpiReader lists a flow in the main list or under 'Undetected flows'."""
    flows = defaultdict(list)
    with open(path, errors="replace") as f:
        for line in f:
            m = REF_LINE.match(line)
            if not m:
                continue
            key = flow_key(m["proto"], m["a"], m["ap"], m["b"], m["bp"])
            host = HOST.search(line)
            ja3 = JA3C.search(line)
            flows[key].append((m["app"], host[1] if host else "", ja3[1] if ja3 else ""))
    return flows


def read_eve(path):
    flows = defaultdict(list)
    with open(path, errors="replace") as f:
        for line in f:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event_type") != "flow":
                continue
            key = flow_key(ev.get("proto", "?"), ev.get("src_ip", "?"), ev.get("src_port", 0),
                           ev.get("dest_ip", "?"), ev.get("dest_port", 0))
            start = (ev.get("flow") or {}).get("start", "")
            ndpi = ev.get("ndpi") or {}
            # ndpiReader shows an SSH client's banner as its Hostname/SNI
            host = ndpi.get("hostname") or ndpi.get("ssh_client", "")
            flows[key].append((start, (ndpi.get("protocol", "Unknown"), host,
                                       ndpi.get("ja3", ""))))
    for key in flows:   # in start order, so a split flow's first part comes first
        flows[key] = [f for _, f in sorted(flows[key], key=lambda x: x[0])]
    return flows


def fmt(key):
    proto, a, b = key
    return f"{proto} {a[0]}:{a[1]} <-> {b[0]}:{b[1]}"


def compare(name, ref, eve, out, meta):
    """xiezhi ends flows on idle timeouts (as Suricata does); ndpiReader keeps
    one flow per endpoints for the whole capture.  When xiezhi has more flows
    for the same endpoints, the first ones (in start order) stand for
    ndpiReader's flows and the later parts are listed as SPLIT, not counted.
    Flows are (protocol, hostname, ja3); the hostname and JA3 of flows that
    agree on the protocol are compared too, for information."""
    agree = disagree = only_ref = only_eve = 0
    for key in sorted(set(ref) | set(eve), key=str):
        r, e = list(ref.get(key, [])), list(eve.get(key, []))
        if r and len(e) > len(r):
            for f in e[len(r):]:
                out.append(f"{name}: SPLIT  {fmt(key)}  later part of a flow: {f[0]}")
            e = e[:len(r)]
        # same key several times (VLANs): pair equal protocol names first
        for rf in list(r):
            ef = next((x for x in e if x[0] == rf[0]), None)
            if ef is None:
                continue
            r.remove(rf)
            e.remove(ef)
            agree += 1
            for i, field in ((1, "hostname"), (2, "ja3")):
                if rf[i]:
                    meta[field][0] += 1
                    if rf[i] == ef[i]:
                        meta[field][1] += 1
                    else:
                        out.append(f"{name}: META-DIFFER  {fmt(key)}  {field}: "
                                   f"ndpiReader={rf[i]!r}  xiezhi={ef[i]!r}")
        while r and e:
            disagree += 1
            out.append(f"{name}: DIFFER  {fmt(key)}  ndpiReader={r.pop(0)[0]}  xiezhi={e.pop(0)[0]}")
        for f in r:
            only_ref += 1
            out.append(f"{name}: ONLY-NDPIREADER  {fmt(key)}  {f[0]}")
        for f in e:
            only_eve += 1
            out.append(f"{name}: ONLY-XIEZHI  {fmt(key)}  {f[0]}")
    return agree, disagree, only_ref, only_eve


def main(argv):
    minimum = 97.0
    if len(argv) > 2 and argv[1] == "--min":
        minimum = float(argv[2])
        argv = argv[2:]
    args = argv[1:]
    if not args or len(args) % 3:
        print(__doc__, file=sys.stderr)
        return 2
    totals = [0, 0, 0, 0]
    lines = []
    meta = {"hostname": [0, 0], "ja3": [0, 0]}
    for i in range(0, len(args), 3):
        name, ref_path, eve_path = args[i:i + 3]
        counts = compare(name, read_ref(ref_path), read_eve(eve_path), lines, meta)
        totals = [t + c for t, c in zip(totals, counts)]
    for line in lines:
        print(line)
    agree, disagree, only_ref, only_eve = totals
    total = agree + disagree + only_ref + only_eve
    pct = 100.0 * agree / total if total else 0.0
    print(f"flows: {total} total, {agree} agree, {disagree} differ, "
          f"{only_ref} only in ndpiReader, {only_eve} only in xiezhi")
    for field, (seen, same) in meta.items():
        print(f"{field}: {same} of {seen} flows where ndpiReader shows one agree")
    print(f"agreement: {pct:.2f}% (required {minimum:.2f}%)")
    return 0 if total and pct >= minimum else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
