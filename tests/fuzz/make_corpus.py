#!/usr/bin/env python3
"""Builds the fuzzers' seed corpora from the repository's own inputs, at fuzz
time (nothing here is committed but this script): OUTDIR/<target>/ holds
one file per seed, named by its SHA-1 like libFuzzer's own corpus files.

  packet   bursts of consecutive frames of every pcaps/*.pcap, in the
           fuzz_packet.c record format, the link byte found in its table
  pipeline the same bursts (fuzz_pipeline.c reads the same format)
  capture  every pcap cut to its first frames, and the same frames as
           pcapng, nanosecond, big-endian and truncated variants
  rules    each rule of rules/*.rules alone, plus each small file whole
  config   etc/*.yaml, tests' config snippets, built-in examples
  dataset  every rules/**/ dataset file, plus one example per type
  stream   a few segment sequences: in order, reversed, overlapping, wrapping
  json     a few writer programs (see fuzz_json.c)
  geoip    the tiny .mmdb files of tests/tools/make-test-mmdb.pl, one per schema
  eve_fields  EVE lines as xiezhi-alerts reads them from Redis, hostile ones too
  dns_label   subdomains: tunnel chunks of each encoding and ordinary names
  http     the TCP payloads of pcaps/http_*.pcap as fuzz_http.c records, plus
           gzip/deflate bodies (a small bomb, a broken stream) and a CONNECT
  dns, tls, ssh  the flows of pcaps/proto_*.pcap as chunks (proto_chunks.h)
and tests/fuzz/regressions/<target>/* are added to their target's seeds.

Usage: python3 tests/fuzz/make_corpus.py OUTDIR"""
import glob
import hashlib
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MAX_CAPTURE_SEED = 16384
MAX_PACKET_SEED = 8192
MAX_BURSTS = 4          # per capture
MAX_SINGLES = 24        # per capture


def save(outdir, target, data):
    d = os.path.join(outdir, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def read_pcap(path):
    """(linktype, snaplen, [(sec, usec, wirelen, data)]) of a classic pcap, or None."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 24:
        return None
    magic = struct.unpack("<I", raw[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        e = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        e = ">"
    else:
        return None
    snaplen, linktype = struct.unpack(e + "II", raw[16:24])
    frames, off = [], 24
    while off + 16 <= len(raw):
        sec, usec, incl, orig = struct.unpack(e + "IIII", raw[off:off + 16])
        off += 16
        if incl > len(raw) - off:
            break
        frames.append((sec, usec, orig, raw[off:off + incl]))
        off += incl
    return linktype & 0xFFFF, snaplen, frames


def linktype_table(name="frames.h"):
    src = open(os.path.join(TOP, "tests/fuzz", name)).read()
    m = re.search(r"fuzz_linktypes\[\]\s*=\s*\{([^}]*)\}", src)
    return [int(x) for x in m.group(1).replace(",", " ").split()]


# libpcap hands out DLT_RAW (12) for the file link type LINKTYPE_RAW (101).
FILE_TO_DLT = {101: 12}


def packet_seeds(outdir, captures, target="packet"):
    """Seeds for fuzz_packet.c, and fuzz_pipeline.c (same input layout, frames.h): per
    capture the first MAX_BURSTS bursts of consecutive frames, and its first
    MAX_SINGLES frames alone (the big anomaly captures would otherwise give
    tens of thousands of near-identical seeds)."""
    table = linktype_table()
    for linktype, _snap, frames in captures:
        dlt = FILE_TO_DLT.get(linktype, linktype)
        if dlt not in table:
            continue
        head = bytes([table.index(dlt)])
        prev = None
        burst = head
        bursts = 0
        for i, (sec, usec, orig, data) in enumerate(frames):
            t = sec * 1000000 + usec
            # frames.h advances time by step^2 * 10 ms: pick the nearest step.
            step = 0 if prev is None else min(255, int(((max(0, t - prev)) / 10000) ** 0.5))
            prev = t
            rec = struct.pack(">BBH", step, 1 if orig > len(data) else 0, len(data)) + data
            if len(burst) + len(rec) > MAX_PACKET_SEED and len(burst) > 1:
                save(outdir, target, burst)
                burst = head
                bursts += 1
                if bursts >= MAX_BURSTS:
                    break
            burst += rec
            if i < MAX_SINGLES:          # the frame alone: a short input per packet shape
                save(outdir, target, head + struct.pack(">BBH", 0, 0, len(data)) + data)
        if len(burst) > 1 and bursts < MAX_BURSTS:
            save(outdir, target, burst)


def pcap_bytes(linktype, snaplen, frames, endian="<", nano=False):
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for sec, usec, orig, data in frames:
        out += struct.pack(endian + "IIII", sec, usec * 1000 if nano else usec, len(data), orig)
        out += data
    return out


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


def pcapng_bytes(linktype, snaplen, frames):
    def block(btype, body):
        body = pad4(body)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", linktype, 0, snaplen))
    out = shb + idb
    for sec, usec, orig, data in frames:
        ts = sec * 1000000 + usec
        out += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + data)
    return out


def capture_seeds(outdir, captures):
    for linktype, snaplen, frames in captures:
        head, size = [], 24
        for fr in frames:
            if size + 16 + len(fr[3]) > MAX_CAPTURE_SEED:
                break
            head.append(fr)
            size += 16 + len(fr[3])
        if not head:
            continue
        classic = pcap_bytes(linktype, snaplen, head)
        save(outdir, "capture", classic)
        save(outdir, "capture", pcap_bytes(linktype, snaplen, head, endian=">"))
        save(outdir, "capture", pcap_bytes(linktype, snaplen, head, nano=True))
        save(outdir, "capture", pcapng_bytes(linktype, snaplen, head))
        save(outdir, "capture", classic[:len(classic) - 3])          # cut mid-record
        save(outdir, "capture", pcap_bytes(linktype, 64, head[:4]))  # caplen above snaplen
    save(outdir, "capture", b"")
    save(outdir, "capture", struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))


def rule_seeds(outdir):
    for path in sorted(glob.glob(os.path.join(TOP, "rules", "**", "*.rules"), recursive=True)):
        text = open(path, "rb").read()
        if len(text) <= 8192:
            save(outdir, "rules", text)
        logical = b""
        for line in text.splitlines(keepends=True):
            logical += line
            if line.rstrip(b"\r\n").endswith(b"\\"):
                continue                                 # continued rule
            if logical.strip() and not logical.lstrip().startswith(b"#"):
                save(outdir, "rules", logical)
                save(outdir, "rules", logical.rstrip(b"\n") + b"\n#payload\n")
            logical = b""
    for rule in BUILTIN_RULES:
        save(outdir, "rules", rule.encode())
        for payload in PAYLOADS:
            save(outdir, "rules", rule.encode() + b"#payload\n" + payload)


# fuzz_rules.c: the input after a line "#payload" is the test traffic's payload.
PAYLOADS = [
    b"",
    b"GET /a/index.html HTTP/1.1\r\nHost: evil.example.cn\r\nUser-Agent: x\r\n\r\n",
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x04evil\x07example\x00\x00\x01\x00\x01",
    b"\x16\x03\x01\x00\x2f\x01\x00\x00\x2b\x03\x03" + bytes(32) + b"\x00\x00\x02\x13\x01\x01\x00",
    bytes(range(256)),
]

BUILTIN_RULES = [
    'alert tcp $HOME_NET any -> $EXTERNAL_NET 80 (msg:"x"; flow:established,to_server; '
    'content:"GET"; http.method; content:"/a"; nocase; sid:1; rev:1;)\n',
    'alert udp any any -> any 53 (msg:"dns"; dns.query; content:"evil"; pcre:"/ev[i]l\\./i"; '
    'classtype:trojan-activity; sid:2;)\n',
    'alert tls any any -> any any (msg:"sni"; tls.sni; dataset:isset,bad-sni,type string,'
    'load bad-sni.lst; threshold:type limit, track by_src, count 1, seconds 60; sid:3;)\n',
    'alert ip [10.0.0.0/8,!10.1.0.0/16] any <> any [80:90,!85] (msg:"m"; ndpi-protocol:TLS; '
    'ndpi-risk:NDPI_TLS_SELFSIGNED_CERTIFICATE; geoip:dst,CN,RU; '
    'detection_filter:track by_src, count 5, seconds 10, unique_on dst_port; '
    'metadata:affected_product Any, created_at 2024_01_01; priority:1; sid:4; rev:2;)\n',
    'pass tcp any any -> any any (msg:"hex"; content:"|00 01 0a|abc"; offset:2; depth:10; '
    'distance:0; within:5; dsize:>10; flags:S,12; sid:5;)\n',
    'alert tcp any any -> any any (msg:"bytes"; content:"|16 03|"; byte_extract:2,1,len,relative; '
    'byte_test:1,!&,0xf0,0,relative,bitmask 0x0f; byte_jump:2,0,relative,little,align,post_offset -1; '
    'isdataat:!len,relative; byte_math:bytes 1, offset 0, oper <<, rvalue len, result r, relative; '
    'content:"|01|"; distance:len; within:r; sid:6;)\n',
    'alert tcp any any -> any any (msg:"b64"; content:"Host"; byte_test:0,>,10,1,relative,string,dec; '
    'byte_jump:4,-2,relative,string,hex,from_end,multiplier 3; base64_decode:bytes 40, offset 1, relative; '
    'base64_data; content:"evil"; byte_test:1,=,0x41,0; sid:7;)\n',
    'alert tcp any any -> any any (msg:"hdr"; seq:1; ack:0; window:!0; tcp.flags:S+; tcp.mss:<536; '
    'id:1; flow.age:0-5; tcp.hdr; content:"|02 04|"; offset:20; flowint:n,+,1; flowint:m,=,n; '
    'flowint:n,>=,m; flowint:k,notset; stream-event:suspected_rst_inject; sid:8;)\n',
    'alert icmp any any -> any any (msg:"icmp"; icmp_id:0; icmp_seq:>1; flowint:c,-,4294967295; '
    'flowint:c,!=,c; sid:9;)\n',
]


def config_seeds(outdir):
    paths = glob.glob(os.path.join(TOP, "etc", "*.yaml")) + \
        glob.glob(os.path.join(TOP, "tests", "**", "*.yaml"), recursive=True)
    for path in sorted(paths):
        text = open(path, "rb").read()
        if len(text) <= 8192:
            save(outdir, "config", text)
    for snippet in BUILTIN_CONFIGS:
        save(outdir, "config", snippet.encode())


BUILTIN_CONFIGS = [
    "sensor: { id: sensor-01, segment: office-plane }\n"
    "vars:\n  address-groups: { HOME_NET: \"[10.0.0.0/8,172.16.0.0/12]\", EXTERNAL_NET: \"!$HOME_NET\" }\n"
    "  port-groups:    { HTTP_PORTS: \"80\", SSH_PORTS: \"22\" }\n"
    "capture:  { interfaces: [eth1], bpf: \"\", snaplen: 65535, promisc: yes, workers: auto }\n",
    "outputs:\n  eve: { enabled: yes, filename: eve.json, types: [alert, behavior, flow, stats] }\n"
    "  redis:\n    enabled: no\n    port: 6379\n    mode: stream\n    key: \"xiezhi:alerts\"\n"
    "    spool: { dir: spool, max-size: 1gb }\nflow:\n  timeouts: { tcp: 5m, udp: 60s }\n"
    "#set outputs.redis.port=70000\n#set capture.interfaces=[eth0, eth1]\n",
    "capture:\n  interfaces:\n    - name: eth1\n      bpf: tcp\n    - name: eth2\n"
    "rules: { dir: rules, files: [extranet.rules, anomaly.rules] }\n",
    "a: &x 1\nb: *x\n",
    "%YAML 1.1\n---\nsensor:\n  id: !!str 1\n...\n",
]


DATASET_TYPES = ["string", "ipv4", "ipv6", "md5", "sha256"]


def dataset_seeds(outdir):
    # fuzz_dataset.c: byte 0 picks the type (index into DATASET_TYPES order).
    for path in sorted(glob.glob(os.path.join(TOP, "rules", "**", "*"), recursive=True)):
        if not os.path.isfile(path) or path.endswith((".rules", ".config", ".md")):
            continue
        text = open(path, "rb").read()[:8000]
        for t in range(len(DATASET_TYPES)):
            save(outdir, "dataset", bytes([t]) + text)
    examples = [
        b"ZXZpbC5leGFtcGxlLmNvbQ==\nYmFkLmNu\n\n# comment\n",
        b"10.0.0.1\n192.168.1.255\n0.0.0.0\n",
        b"2001:db8::1\n::ffff:10.0.0.1\nfe80::1%eth0\n",
        b"d41d8cd98f00b204e9800998ecf8427e\n",
        b"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
    ]
    for t, ex in enumerate(examples):
        save(outdir, "dataset", bytes([t]) + ex)
        save(outdir, "dataset", bytes([t]) + ex.replace(b"\n", b",1\n"))


def json_seeds(outdir):
    programs = [
        b"",
        b"\x03\x03key\x05value\x05\x01k\x00\x00\x00\x00\x00\x00\x00\x2a",
        b"\x01\x01a\x03\x04\xc3\xa9\xff\x00\x03\x03\xe2\x82\xac\x02\x02",
        b"\x00\x01o" * 20,
        b"\x03\x01s\x06\"\\\x01\x7f\xed\xa0" b"\x07\x01d\x7f\xf8\x00\x00\x00\x00\x00\x00",
    ]
    for p in programs:
        save(outdir, "json", p)


def eve_fields_seeds(outdir):
    """EVE lines as the consumer reads them from Redis: an alert, a flow, an
    anomaly with evidence, hostile escapes, deep nesting, long keys."""
    lines = [
        b'{"timestamp":"2026-01-01T00:00:00.000000+0000","event_type":"alert","src_ip":"10.0.0.1",'
        b'"src_port":40000,"dest_ip":"192.0.2.80","dest_port":443,"proto":"TCP","app_proto":"tls",'
        b'"alert":{"action":"allowed","gid":1,"signature_id":1100001,"rev":1,'
        b'"signature":"\u68c0\u6d4b (Tor traffic)","severity":1,"metadata":{"policy":["a","b"]}},'
        b'"ndpi":{"protocol":"TLS.Tor","risks":["x"]},"geoip":{"src":{},"dest":{"country":"DE"}},'
        b'"sensor":{"id":"s1"},"event_id":"s1:42"}',
        b'{"event_type":"flow","flow":{"pkts_toserver":3,"bytes_toserver":180,"start":"t",'
        b'"state":"closed","reason":"timeout"},"ndpi":{"protocol":"DNS.Google"}}',
        b'{"event_type":"alert","anomaly":{"kind":"port_scan","window":60,"count":20,'
        b'"score":1.5e0,"evidence":["22","23",null,true,false,-0.5E+3]}}',
        b'{"alert":{"signature":"\"\\\/\b\f\n\r\t\u0000\u001b[31m\ud83d\ude00"}}',
        b' { "a" : { "b" : [ { "c" : 1 } ] } , "a.b" : 2 } ',
        b'{"x":' * 70 + b'1' + b'}' * 70,
        b'{"' + b'k' * 600 + b'":{"' + b'j' * 600 + b'":"v"}}',
        b'{"' + b'":{"'.join([b'k' * 127] * 6) + b'":"v"' + b'}' * 6,
    ]
    for line in lines:
        save(outdir, "eve_fields", line)


def geoip_seeds(outdir):
    """The tiny databases of every schema the GeoIP tests use (their writer
    needs libmaxmind-db-writer-perl, which `make deps` installs)."""
    tmp = tempfile.mkdtemp(prefix="xiezhi-mmdb-")
    try:
        script = os.path.join(TOP, "tests/tools/make-test-mmdb.pl")
        if subprocess.run(["perl", script, tmp], stdout=subprocess.DEVNULL).returncode != 0:
            sys.exit("make-test-mmdb.pl failed: no GeoIP seeds")
        for name in sorted(os.listdir(tmp)):
            save(outdir, "geoip", open(os.path.join(tmp, name), "rb").read())
    finally:
        shutil.rmtree(tmp)


def dns_label_seeds(outdir):
    names = [b"www", b"r3---sn-ni57rn7k", b"login.microsoftonline", b"_dmarc",
             b"s1024-2013q3._domainkey", b"f9558c93895ee97fbab40909ea1c8ace8de49d25.e.dc",
             b"t4pdz0vunwrzuv3ri4tgdtinwyt5yb.i", b"g0aRbTvSThG2jmEbd2Znv9jXOvuX-_Jlmblv.x",
             b"\xbc\xd0\xfd\x80abc123\xff", b"a." * 60, b""]
    for n in names:
        save(outdir, "dns_label", n)


def http_record(to_client, data, eof=False):
    return struct.pack(">BH", (1 if to_client else 0) | (2 if eof else 0), len(data)) + data


def http_seeds(outdir):
    """fuzz_http.c records: [u8 dir|eof][u16 len][bytes]."""
    import zlib
    for path in sorted(glob.glob(os.path.join(TOP, "pcaps", "http_*.pcap"))):
        c = read_pcap(path)
        if not c:
            continue
        linktype, _, frames = c
        flows, out = {}, {}
        for _, _, _, f in frames:
            if linktype != 1 or len(f) < 54 or f[12:14] != b"\x08\x00" or f[23] != 6:
                continue
            ihl = (f[14] & 15) * 4
            tcp = f[14 + ihl:]
            sport, dport = struct.unpack(">HH", tcp[:4])
            payload = tcp[(tcp[12] >> 4) * 4:]
            key = tuple(sorted((sport, dport)))
            flows.setdefault(key, sport)
            if payload:
                out.setdefault(key, b"")
                out[key] += http_record(sport != flows[key], payload)
        for rec in out.values():
            save(outdir, "http", rec[:MAX_PACKET_SEED])
    page = b"<html>" + b"A" * 4000 + b"<?php eval($_POST[x]); ?></html>"
    gz = zlib.compressobj(9, zlib.DEFLATED, 31)
    gzbody = gz.compress(page) + gz.flush()
    bomb = zlib.compressobj(9, zlib.DEFLATED, 31)
    bombbody = bomb.compress(b"\0" * 2000000) + bomb.flush()
    req = b"GET /x HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip, deflate\r\n\r\n"
    for enc, body in ((b"gzip", gzbody), (b"deflate", zlib.compress(page)), (b"gzip", bombbody[:6000]),
                      (b"gzip", gzbody[:40] + b"broken" + gzbody[60:]), (b"gzip, gzip", gzbody)):
        resp = (b"HTTP/1.1 200 OK\r\nContent-Encoding: " + enc + b"\r\nTransfer-Encoding: chunked\r\n\r\n" +
                b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n")
        save(outdir, "http", http_record(False, req) + http_record(True, resp[:7000], True))
    save(outdir, "http", http_record(False, b"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n") +
         http_record(True, b"HTTP/1.1 200 OK\r\n\r\n") + http_record(False, b"GET / HTTP/1.1\r\nHost: a\r\n\r\n") +
         http_record(True, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"))


def proto_seeds(outdir, pattern="proto_*.pcap", targets=None):
    """dns, tls, ssh: each flow of pcaps/proto_*.pcap in the chunk format of
    proto_chunks.h, whole and cut to its first chunks (http2: pcaps/h2c_*.pcap,
    whose direction bit is the same in fuzz_http2.c's format)."""
    targets = targets or {53: "dns", 443: "tls", 22: "ssh"}
    for path in sorted(glob.glob(os.path.join(TOP, "pcaps", pattern))):
        cap = read_pcap(path)
        if not cap or cap[0] != 1:
            continue
        flows = {}
        for _sec, _usec, _orig, frame in cap[2]:
            if len(frame) < 34 or frame[12:14] != b"\x08\x00":
                continue
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            total = struct.unpack(">H", ip[2:4])[0]
            l4 = ip[ihl:total]
            if ip[9] == 6 and len(l4) >= 20:
                hdr, udp = (l4[12] >> 4) * 4, False
            elif ip[9] == 17 and len(l4) >= 8:
                hdr, udp = 8, True
            else:
                continue
            sport, dport = struct.unpack(">HH", l4[:4])
            payload = l4[hdr:]
            if not payload:
                continue
            toclient = sport in targets
            server = sport if toclient else dport
            if server not in targets:
                continue
            key = (targets[server], dport if toclient else sport)
            head = (1 if toclient else 0) | (8 if udp else 0)
            flows.setdefault(key, []).append(bytes([head]) + struct.pack(">H", len(payload)) + payload)
        for (target, _port), chunks in sorted(flows.items()):
            save(outdir, target, b"".join(chunks)[:8192])
            save(outdir, target, b"".join(chunks[:3]))


def stream_seeds(outdir):
    # fuzz_stream.c: config byte, flags byte, two ISNs, then 7-byte segments
    # (dir/flags, 24-bit offset, length/8, time step, ack/256).
    def seg(d, off, ln, flags=0, dt=1, ack=0):
        return bytes([d | flags | ((ln & 1) << 7), off >> 16 & 255, off >> 8 & 255, off & 255,
                      ln >> 1 & 255, dt, ack])
    for cfg, isn in ((2, 1000), (3, 0xfffffff0), (6, 0x7ffffffe), (10, 0xffffff00)):
        head = bytes([cfg, 16 | 3]) + isn.to_bytes(4, "big") + (isn ^ 0x5a5a5a5a).to_bytes(4, "big")
        save(outdir, "stream", head + seg(0, 0, 100) + seg(0, 100, 100) + seg(1, 0, 50) + seg(0, 200, 0, 2))
        save(outdir, "stream", head + seg(0, 300, 100) + seg(0, 100, 200) + seg(0, 0, 100)
             + seg(0, 50, 100, 0x20) + seg(1, 0, 10, 0, 1, 2))
        save(outdir, "stream", head + b"".join(seg(0, i, 1) for i in range(40, 0, -1)))
        save(outdir, "stream", bytes([cfg, 3]) + head[2:] + seg(0, 5000, 300) + seg(1, 77, 30)
             + seg(0, 5600, 100, 0, 200) + seg(0, 5300, 10, 0x1c))


def regression_seeds(outdir):
    for path in sorted(glob.glob(os.path.join(TOP, "tests/fuzz/regressions/*/*"))):
        if os.path.isfile(path) and not path.endswith(".md"):
            save(outdir, os.path.basename(os.path.dirname(path)), open(path, "rb").read())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    if os.path.isdir(outdir):            # seeds are rebuilt, never accumulated
        shutil.rmtree(outdir)
    captures = []
    for path in sorted(glob.glob(os.path.join(TOP, "pcaps", "*.pcap"))):
        c = read_pcap(path)
        if c:
            captures.append(c)
    packet_seeds(outdir, captures)
    packet_seeds(outdir, captures, "pipeline")
    capture_seeds(outdir, captures)
    rule_seeds(outdir)
    config_seeds(outdir)
    dataset_seeds(outdir)
    json_seeds(outdir)
    eve_fields_seeds(outdir)
    geoip_seeds(outdir)
    dns_label_seeds(outdir)
    http_seeds(outdir)
    proto_seeds(outdir)
    proto_seeds(outdir, "h2c_*.pcap", {80: "http2"})
    stream_seeds(outdir)
    regression_seeds(outdir)
    for target in sorted(os.listdir(outdir)):
        print("%-8s %5d seeds" % (target, len(os.listdir(os.path.join(outdir, target)))))


if __name__ == "__main__":
    main()
