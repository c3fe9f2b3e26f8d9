#!/usr/bin/env python3
"""Compares xiezhi's flow events with ndpiReader's flow list.

usage: ndpi_compare.py [--min PCT] [--risk-min PCT] NAME REF.txt EVE.json [...]

REF.txt is the output of `ndpiReader -q -t -i FILE -w REF.txt -v 2`;
EVE.json holds xiezhi's events for the same capture.  Flows are matched by
IP protocol and endpoints (either orientation); each matched flow agrees
when both name the same application protocol (ndpi.protocol, as ndpiReader
prints it).  Every disagreement and every flow only one side has is
printed.  Exit status 0 when agreeing flows are at least PCT percent of all
flows (matched or not) over all captures, and, with --risk-min, when at
least that percentage of ndpiReader's (flow, risk) pairs -- risks that come
from lists ndpiReader loads set aside -- are in xiezhi's flow event for the
same flow (a flow only ndpiReader has misses all its pairs).
"""
import ipaddress
import json
import re
import sys
from collections import Counter, defaultdict

PROTO_NUMBERS = {
    "ICMP": 1, "IGMP": 2, "TCP": 6, "UDP": 17, "GRE": 47, "ESP": 50, "AH": 51,
    "ICMPV6": 58, "IPV6-ICMP": 58, "SCTP": 132,
}

REF_LINE = re.compile(
    r"^\s+\d+\s+(?P<proto>\S+) (?P<a>\[[^\]]+\]|[^ \[]+?):(?P<ap>\d+) (?:<->|->) "
    r"(?P<b>\[[^\]]+\]|[^ \[]+?):(?P<bp>\d+) (?:\[VLAN: \d+\])?\[proto: [^/\]]*/(?P<app>[^\]]+)\]")


HOST = re.compile(r"\[Hostname/SNI: ([^\]]*)\]")
JA3C = re.compile(r"\[JA3C: ([0-9a-f]+)\]")
RISK = re.compile(r"\[Risk: ((?:\*\* [^*]+ \*\*)+)\]")
RISK_ITEM = re.compile(r"\*\* ([^*]+) \*\*")

# ndpiReader prints ndpi_risk2str(); xiezhi's EVE carries the ndpi_risk_enum
# name without NDPI_.  nDPI 4.2's table, bit by bit.
RISK_ENUM = {
    "XSS Attack": "URL_POSSIBLE_XSS",
    "SQL Injection": "URL_POSSIBLE_SQL_INJECTION",
    "RCE Injection": "URL_POSSIBLE_RCE_INJECTION",
    "Binary Application Transfer": "BINARY_APPLICATION_TRANSFER",
    "Known Protocol on Non Standard Port": "KNOWN_PROTOCOL_ON_NON_STANDARD_PORT",
    "Self-signed Certificate": "TLS_SELFSIGNED_CERTIFICATE",
    "Obsolete TLS Version (1.1 or older)": "TLS_OBSOLETE_VERSION",
    "Weak TLS Cipher": "TLS_WEAK_CIPHER",
    "TLS Expired Certificate": "TLS_CERTIFICATE_EXPIRED",
    "TLS Certificate Mismatch": "TLS_CERTIFICATE_MISMATCH",
    "HTTP Suspicious User-Agent": "HTTP_SUSPICIOUS_USER_AGENT",
    "HTTP Numeric IP Address": "HTTP_NUMERIC_IP_HOST",
    "HTTP Suspicious URL": "HTTP_SUSPICIOUS_URL",
    "HTTP Suspicious Header": "HTTP_SUSPICIOUS_HEADER",
    "TLS (probably) Not Carrying HTTPS": "TLS_NOT_CARRYING_HTTPS",
    "Suspicious DGA Domain name": "SUSPICIOUS_DGA_DOMAIN",
    "Malformed Packet": "MALFORMED_PACKET",
    "SSH Obsolete Client Version/Cipher": "SSH_OBSOLETE_CLIENT_VERSION_OR_CIPHER",
    "SSH Obsolete Server Version/Cipher": "SSH_OBSOLETE_SERVER_VERSION_OR_CIPHER",
    "SMB Insecure Version": "SMB_INSECURE_VERSION",
    "TLS Suspicious ESNI Usage": "TLS_SUSPICIOUS_ESNI_USAGE",
    "Unsafe Protocol": "UNSAFE_PROTOCOL",
    "Suspicious DNS Traffic": "DNS_SUSPICIOUS_TRAFFIC",
    "Missing SNI TLS Extension": "TLS_MISSING_SNI",
    "HTTP Suspicious Content": "HTTP_SUSPICIOUS_CONTENT",
    "Risky ASN": "RISKY_ASN",
    "Risky Domain Name": "RISKY_DOMAIN",
    "Possibly Malicious JA3 Fingerprint": "MALICIOUS_JA3",
    "Possibly Malicious SSL Cert. SHA1 Fingerprint": "MALICIOUS_SHA1_CERTIFICATE",
    "Desktop/File Sharing Session": "DESKTOP_OR_FILE_SHARING_SESSION",
    "Uncommon TLS ALPN": "TLS_UNCOMMON_ALPN",
    "TLS Certificate Validity Too Long": "TLS_CERT_VALIDITY_TOO_LONG",
    "TLS Suspicious Extension": "TLS_SUSPICIOUS_EXTENSION",
    "TLS Fatal Alert": "TLS_FATAL_ALERT",
    "Suspicious Entropy": "SUSPICIOUS_ENTROPY",
    "Clear-Text Credentials": "CLEAR_TEXT_CREDENTIALS",
    "DNS Packet Larger Than 512 bytes": "DNS_LARGE_PACKET",
    "Fragmented DNS Message": "DNS_FRAGMENTED",
    "Text Contains Non-Printable Characters": "INVALID_CHARACTERS",
    "Possible Exploit Detected": "POSSIBLE_EXPLOIT",
    "TLS Certificate About To Expire": "TLS_CERTIFICATE_ABOUT_TO_EXPIRE",
}

# Risks that come from lists ndpiReader is given (its default JA3/SHA1
# blacklists, risky domains and ASNs) and xiezhi is not: set aside.
LIST_RISKS = {"MALICIOUS_JA3", "MALICIOUS_SHA1_CERTIFICATE", "RISKY_DOMAIN", "RISKY_ASN"}


def ref_risks(line):
    m = RISK.search(line)
    if not m:
        return frozenset()
    return frozenset(RISK_ENUM.get(r.strip(), "?" + r.strip()) for r in RISK_ITEM.findall(m[1]))


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
            flows[key].append((m["app"], host[1] if host else "", ja3[1] if ja3 else "",
                               ref_risks(line)))
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
                                       ndpi.get("ja3", ""), frozenset(ndpi.get("risks") or []))))
    for key in flows:   # in start order, so a split flow's first part comes first
        flows[key] = [f for _, f in sorted(flows[key], key=lambda x: x[0])]
    return flows


def fmt(key):
    proto, a, b = key
    return f"{proto} {a[0]}:{a[1]} <-> {b[0]}:{b[1]}"


def compare_risks(name, key, rf, ef, out, risks):
    """ndpiReader's (flow, risk) pairs against the risks of xiezhi's flow
    (ef is None when xiezhi has no such flow: every pair is missed)."""
    have = ef[3] if ef is not None else frozenset()
    for r in sorted(rf[3]):
        if r in LIST_RISKS:
            risks["aside"] += 1
            continue
        risks["pairs"] += 1
        if r in have:
            risks["found"] += 1
        else:
            risks["missing"][r] += 1
            out.append(f"{name}: RISK-MISSING  {fmt(key)}  {rf[0]}  {r}")
    for r in sorted(have - rf[3]):
        risks["extra"][r] += 1
        out.append(f"{name}: RISK-EXTRA  {fmt(key)}  {rf[0]}  {r}")


def compare(name, ref, eve, out, meta, risks):
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
            compare_risks(name, key, rf, ef, out, risks)
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
            rf, ef = r.pop(0), e.pop(0)
            out.append(f"{name}: DIFFER  {fmt(key)}  ndpiReader={rf[0]}  xiezhi={ef[0]}")
            compare_risks(name, key, rf, ef, out, risks)
        for f in r:
            only_ref += 1
            out.append(f"{name}: ONLY-NDPIREADER  {fmt(key)}  {f[0]}")
            compare_risks(name, key, f, None, out, risks)
        for f in e:
            only_eve += 1
            out.append(f"{name}: ONLY-XIEZHI  {fmt(key)}  {f[0]}")
    return agree, disagree, only_ref, only_eve


def main(argv):
    minimum = 97.0
    risk_minimum = 0.0
    while len(argv) > 2 and argv[1] in ("--min", "--risk-min"):
        if argv[1] == "--min":
            minimum = float(argv[2])
        else:
            risk_minimum = float(argv[2])
        argv = argv[:1] + argv[3:]
    args = argv[1:]
    if not args or len(args) % 3:
        print(__doc__, file=sys.stderr)
        return 2
    totals = [0, 0, 0, 0]
    lines = []
    meta = {"hostname": [0, 0], "ja3": [0, 0]}
    risks = {"pairs": 0, "found": 0, "aside": 0, "missing": Counter(), "extra": Counter()}
    for i in range(0, len(args), 3):
        name, ref_path, eve_path = args[i:i + 3]
        counts = compare(name, read_ref(ref_path), read_eve(eve_path), lines, meta, risks)
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
    for what in ("missing", "extra"):
        for r, n in sorted(risks[what].items()):
            print(f"risk {what}: {r} x{n}")
    pairs, found = risks["pairs"], risks["found"]
    risk_pct = 100.0 * found / pairs if pairs else 0.0
    print(f"risks: {pairs} (flow, risk) pairs in ndpiReader ({risks['aside']} list-dependent "
          f"set aside), {found} in xiezhi's flow events, {sum(risks['extra'].values())} "
          f"only in xiezhi's")
    print(f"result: risk agreement {risk_pct:.2f}% (required {risk_minimum:.2f}%)")
    ok = total and pct >= minimum and (risk_minimum <= 0 or (pairs and risk_pct >= risk_minimum))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
