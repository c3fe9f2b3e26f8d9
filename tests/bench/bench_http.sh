#!/bin/bash
# HTTP inspection cost, side by side in one run: the HTTP-heavy captures of
# the nDPI corpus (those where LibHTP finds transactions, merged, PASSES
# copies on their own VLANs) through ndpiReader (the reference), xiezhi without rules,
# with the default pack, and with the default pack plus 5,000 generated HTTP
# rules (http.uri / http.header / file_data contents, a third each).
# Targets: pack + 5,000 HTTP rules keeps >= 0.6 of the no-rules throughput;
# xiezhi without rules is >= 1.5x ndpiReader.  Exits non-zero on a miss.
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
corpus="$TOP/../shared/corpus/ndpi-4.2/pcap"
RUNS=${BENCH_RUNS:-3}
PASSES=${BENCH_PASSES:-30}
# The captures with the most HTTP transactions (xiezhi -r X --set
# outputs.eve.types=[http], counted once when this bench was written).
HTTP_PCAPS="WebattackRCE.pcap pps.pcap starcraft_battle.pcap weibo.pcap anyconnect-vpn.pcap
zattoo.pcap http-manipulated.pcap android.pcap exe_download.pcap http_auth.pcap
http-lines-split.pcap http-crash-content-disposition.pcap mpeg.pcap iphone.pcap KakaoTalk_talk.pcap"
for tool in mergecap capinfos ndpiReader; do
    command -v "$tool" >/dev/null || { echo "missing $tool"; exit 1; }
done
tmp=$(mktemp -d /tmp/xiezhi-bench-http.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
cd "$TOP" || exit 1

files=()
for p in $HTTP_PCAPS; do
    [ -f "$corpus/$p" ] && [ "$(capinfos -T -E -r "$corpus/$p" 2>/dev/null | cut -f2)" = ether ] &&
        files+=("$corpus/$p")
done
[ ${#files[@]} -gt 0 ] || { echo "no HTTP captures in $corpus"; exit 1; }
mergecap -F pcap -a -w "$tmp/base.pcap" "${files[@]}" || exit 1
# PASSES copies, each with its own 802.1Q VLAN id and 10 days later, so that
# every copy's flows are new flows for both readers (as bench_dataplane.sh).
python3 - "$tmp/base.pcap" "$tmp/http.pcap" "$PASSES" <<'PY' || exit 1
import struct, sys
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
frames, off = [], 24
while off + 16 <= len(data):
    sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
    frames.append((sec, usec, orig, data[off + 16:off + 16 + incl]))
    off += 16 + incl
with open(dst, "wb") as out:
    out.write(data[:24])
    for i in range(copies):
        tag = b"\x81\x00" + struct.pack(">H", i + 1)
        for sec, usec, orig, frame in frames:
            f = frame[:12] + tag + frame[12:]
            out.write(struct.pack("<IIII", sec + i * 864000, usec, len(f), orig + 4))
            out.write(f)
PY

python3 - "$tmp" <<'PY'
import random, sys
out = sys.argv[1]
rnd = random.Random(12)
alpha = "abcdefghijklmnopqrstuvwxyz0123456789-_"
def word(n):
    return "".join(rnd.choice(alpha) for _ in range(n))
with open(out + "/http5k.rules", "w") as f:
    for i in range(5000):
        kind = i % 3
        if kind == 0:
            opts = 'flow:established,to_server; http.uri; content:"/%s.php"; nocase;' % word(rnd.randint(5, 10))
        elif kind == 1:
            opts = 'flow:established,to_server; http.header; content:"%s"; http.method; content:"POST";' % word(rnd.randint(6, 12))
        else:
            opts = 'flow:established,to_client; file_data; content:"%s"; content:"%s"; distance:0;' % (word(8), word(4))
        f.write('alert http $EXTERNAL_NET any -> $HOME_NET any (msg:"http bench %d"; %s sid:%d; rev:1;)\n'
                % (i, opts, 5000000 + i))
PY
: > "$tmp/empty.rules"
pack=(-S rules/extranet.rules -S rules/ioc.rules -S rules/anomaly.rules)
if ! "$XIEZHI" -q -T "${pack[@]}" -S "$tmp/http5k.rules" >"$tmp/T.log" 2>&1; then
    echo "the generated rules do not load:"; tail -5 "$tmp/T.log"; exit 1
fi

python3 - "$XIEZHI" "$tmp" "$RUNS" "${pack[@]}" <<'PY'
import json, os, resource, shutil, subprocess, sys, time
xiezhi, tmp, runs, pack = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
cap, out = tmp + "/http.pcap", tmp + "/out"
configs = [
    ("ndpi", ["ndpiReader", "-q", "-i", cap]),
    ("none", [xiezhi, "-q", "-r", cap, "-l", out, "-S", tmp + "/empty.rules"]),
    ("pack", [xiezhi, "-q", "-r", cap, "-l", out, *pack]),
    ("http", [xiezhi, "-q", "-r", cap, "-l", out, *pack, "-S", tmp + "/http5k.rules"]),
]
cpu = {}
for _ in range(runs):
    for key, cmd in configs:
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        c = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        cpu[key] = min(cpu.get(key, c), c)
http_events = pkts = 0
with open(out + "/eve.json") as f:
    for line in f:
        e = json.loads(line)
        if e["event_type"] == "stats":
            pkts = e["stats"]["capture"]["kernel_packets"]
            http_events = e["stats"].get("app_layer", {}).get("tx", {}).get("http", 0)
none, pack, http, ndpi = cpu["none"], cpu["pack"], cpu["http"], cpu["ndpi"]
print("capture: %d packets, %d HTTP transactions; best of %d runs, CPU seconds (user+sys)"
      % (pkts, http_events, runs))
print("ndpiReader                 %7.3f s  %9.0f pkt/s" % (ndpi, pkts / ndpi if ndpi else 0))
print("xiezhi, no rules           %7.3f s  %9.0f pkt/s  %.2fx ndpiReader (target >= 1.5)"
      % (none, pkts / none if none else 0, ndpi / none if none else 0))
print("xiezhi, default pack       %7.3f s  %9.0f pkt/s  %.2f of no-rules" % (pack, pkts / pack, none / pack))
print("xiezhi, pack + 5,000 HTTP  %7.3f s  %9.0f pkt/s  %.2f of no-rules (target >= 0.60)"
      % (http, pkts / http, none / http))
ok = none / http >= 0.6 and ndpi / none >= 1.5
print("bench_http: %s" % ("targets met" if ok else "TARGET MISSED"))
sys.exit(0 if ok else 1)
PY
