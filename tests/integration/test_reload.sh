#!/bin/bash
# SIGHUP reloads the rules atomically while flows go on, SIGUSR1 writes a
# stats event at once, SIGTERM ends with the flows flushed.  One TCP session
# is replayed in three parts onto a namespaced veth, with signals between:
#   part 1 ("alpha")          rules A: sid 9991001 matches alpha
#   SIGHUP with rules B       B: sid 9991002 matches beta; alpha no longer
#   part 2 ("alpha", "beta")  -> 9991002 only; the session is still ONE flow
#   SIGHUP with a broken file (a bad rule beside a good gamma rule): refused,
#                             the error is logged with file:line, B stays
#   SIGHUP with B world-writable: refused as well
#   part 3 ("beta", "gamma", close) -> 9991002 again, no 9991003
. "$(dirname "$0")/live_lib.sh"
live_require

python3 - "$TOP/pcaps" "$T" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from pcapgen import PcapWriter, TcpSession
out = sys.argv[2]
parts = [PcapWriter(f"{out}/part{i}.pcap") for i in (1, 2, 3)]
s = TcpSession(parts[0], 1_700_000_000.0, "10.20.0.1", "10.20.0.2", 43210, 8080).handshake()
s.send(b"token alpha-token one\r\n").reply(b"ok\r\n")
s.w = parts[1]
s.send(b"token alpha-token two\r\n").reply(b"ok\r\n").send(b"token beta-token\r\n").reply(b"ok\r\n")
s.w = parts[2]
s.send(b"token beta-token again\r\n").reply(b"ok\r\n").send(b"token gamma-token\r\n").reply(b"ok\r\n")
s.close()
for p in parts:
    p.close()
PY
[ -f "$T/part3.pcap" ] || fail "could not write the test captures"

mkdir -p "$T/rules"
rules="$T/rules/live.rules"
rule() { echo "alert tcp any any -> any 8080 (msg:\"reload test $1\"; flow:to_server; content:\"$1-token\"; sid:$2; rev:1;)"; }
rule alpha 9991001 >"$rules"
chmod 644 "$rules"

sids() { jq -r 'select(.event_type == "alert") | .alert.signature_id' "$T/log/eve.json" | sort | uniq -c | awk '{print $2 "x" $1}' | paste -sd' ' -; }
wait_log() {   # wait_log PATTERN: until the sensor logs it (5 s at most)
    for _ in $(seq 50); do grep -q -- "$1" "$T/log/stderr.log" && return 0; sleep 0.1; done
    cat "$T/log/stderr.log"; fail "the sensor did not log '$1'"
}
count_stats() { jq -c 'select(.event_type == "stats")' "$T/log/eve.json" | wc -l; }

veth_up
start_sensor "$T/log" -S "$rules" --set rules.classification= --set stats.interval=1h
replay 100 "$T/part1.pcap"
sleep 0.5

rule beta 9991002 >"$rules"
kill -HUP "$SENSOR_PID"
wait_log "reload: 1 rules loaded"
wait_log "previous rule set released"
replay 100 "$T/part2.pcap"
sleep 0.5

{ rule gamma 9991003; echo 'alert tcp any any -> any any (msg:"broken"; content:"x"; nosuchkeyword; sid:9991004;)'; } >"$rules.new"
cp "$rules" "$T/rules.good"
mv "$rules.new" "$rules"
kill -HUP "$SENSOR_PID"
wait_log "reload refused"
grep -q "$rules:2:" "$T/log/stderr.log" || { cat "$T/log/stderr.log"; fail "the broken rule's file:line is not in the log"; }

cp "$T/rules.good" "$rules"
chmod 666 "$rules"
before=$(grep -c "reload refused" "$T/log/stderr.log")
kill -HUP "$SENSOR_PID"
for _ in $(seq 50); do [ "$(grep -c "reload refused" "$T/log/stderr.log")" -gt "$before" ] && break; sleep 0.1; done
grep -q "world-writable" "$T/log/stderr.log" || { cat "$T/log/stderr.log"; fail "a world-writable rule file was not refused"; }
chmod 644 "$rules"

replay 100 "$T/part3.pcap"
sleep 0.5
n0=$(count_stats)
kill -USR1 "$SENSOR_PID"
for _ in $(seq 30); do [ "$(count_stats)" -gt "$n0" ] && break; sleep 0.1; done
[ "$(count_stats)" -gt "$n0" ] || fail "SIGUSR1 did not write a stats event"
stop_sensor

got=$(sids)
echo "alerts by sid: $got"
[ "$got" = "9991001x1 9991002x2" ] ||
    fail "expected alpha once (before the reload) and beta twice (after it; the broken set refused), got: $got"
nflows=$(jq -c 'select(.event_type == "flow" and .src_port == 43210)' "$T/log/eve.json" | wc -l)
pkts=$(jq -r 'select(.event_type == "flow" and .src_port == 43210) | .flow.pkts_toserver + .flow.pkts_toclient' "$T/log/eve.json")
echo "the session: $nflows flow event(s), $pkts packets"
[ "$nflows" = 1 ] || fail "the session became $nflows flows across the reloads"
[ "$pkts" = 16 ] || fail "the session's flow counts $pkts packets, the three parts have 16"
grep -q "stopping: flushing flows" "$T/log/stderr.log" || fail "no shutdown message"
echo "PASS"
