# Sourced by the data-plane benches (bench_dataplane.sh, bench_stream.sh):
# builds their shared capture, $tmp/big.pcap, from the nDPI corpus's
# Ethernet captures repeated to >= $want packets, and defines measure.
# Expects corpus, want and tmp; sets files, copies, packets and size.
# one link type per pcap file: take the Ethernet captures
files=()
while IFS=$'\t' read -r name encap; do
    [ "$encap" = ether ] && files+=("$corpus/$name")
done < <(cd "$corpus" && capinfos -T -E -r -- * 2>/dev/null)
[ ${#files[@]} -gt 0 ] || { echo "no Ethernet captures in $corpus"; exit 1; }
mergecap -F pcap -w "$tmp/base.pcap" "${files[@]}" || exit 1
base=$(capinfos -T -c -r "$tmp/base.pcap" | cut -f2)
copies=$(( (want + base - 1) / base ))
# Each copy gets its own 802.1Q VLAN id (and is 10 days later): both readers
# key flows by VLAN, so every copy's flows are new flows to classify again.
# (With timestamps shifted alone, ndpiReader -- which never expires flows
# offline -- would see the later copies as the same flows, already detected.)
python3 - "$tmp/base.pcap" "$tmp/big.pcap" "$copies" <<'PY' || exit 1
import struct, sys
src, dst, copies = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
magic = struct.unpack("<I", data[:4])[0]
if magic not in (0xa1b2c3d4, 0xa1b23c4d):
    sys.exit("unexpected pcap byte order")
frames, off = [], 24
while off + 16 <= len(data):
    sec, usec, incl, orig = struct.unpack_from("<IIII", data, off)
    frames.append((sec, usec, orig, data[off + 16:off + 16 + incl]))
    off += 16 + incl
with open(dst, "wb") as out:
    out.write(data[:24])
    for i in range(copies):
        tag = b"\x81\x00" + struct.pack(">H", i + 1)
        shift = i * 864000
        for sec, usec, orig, frame in frames:
            f = frame[:12] + tag + frame[12:]
            out.write(struct.pack("<IIII", sec + shift, usec, len(f), orig + 4))
            out.write(f)
PY
packets=$(capinfos -T -c -r "$tmp/big.pcap" | cut -f2)
size=$(du -m "$tmp/big.pcap" | cut -f1)
echo "capture: $packets packets, ${size} MB (${#files[@]} Ethernet captures x $copies)"

# warm the page cache so every reader starts equal
cat "$tmp/big.pcap" >/dev/null

# The machine may be shared (other builds and tests run beside the bench),
# so each program runs RUNS times and the best run counts; packets/s are
# given on CPU time (user + system), which other load disturbs least, and
# on wall time.
runs=${BENCH_RUNS:-3}
# measure NAME CMD...: sets cpu, wall and rss_kb (best of $runs)
measure() {
    local name=$1; shift
    cpu="" wall="" rss_kb=""
    for ((r = 0; r < runs; r++)); do
        rm -rf "$tmp/out" && mkdir -p "$tmp/out"
        /usr/bin/time -f '%U %S %e %M' -o "$tmp/$name.time" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
        local rc=$?
        if [ $rc -ne 0 ]; then
            echo "$name failed (exit $rc):"; tail -5 "$tmp/$name.err"; exit 1
        fi
        read -r u s e m < <(tail -1 "$tmp/$name.time")
        local c
        c=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
        if [ -z "$cpu" ] || awk -v a="$c" -v b="$cpu" 'BEGIN { exit !(a < b) }'; then cpu=$c; fi
        if [ -z "$wall" ] || awk -v a="$e" -v b="$wall" 'BEGIN { exit !(a < b) }'; then wall=$e; fi
        if [ -z "$rss_kb" ] || [ "$m" -gt "$rss_kb" ]; then rss_kb=$m; fi
    done
}
