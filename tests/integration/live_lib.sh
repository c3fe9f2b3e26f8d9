# Shared by the live-capture scripts (test_live_veth, test_reload, soak,
# bench_live): a veth pair inside a network namespace of the script's own,
# the sensor on one end, tcpreplay on the other.  Nothing outside the
# namespace is touched.  Source it; it sets XIEZHI, TOP and a temp dir $T.
set -u
TOP=${TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
XIEZHI=${XIEZHI:-$TOP/build/xiezhi}
T=$(mktemp -d /tmp/xiezhi-live.XXXXXX)
NS=xz-test-$$
SENSOR_PID=

fail() { echo "FAIL: $*"; exit 1; }

live_cleanup() {
    [ -n "$SENSOR_PID" ] && kill -TERM "$SENSOR_PID" 2>/dev/null && wait "$SENSOR_PID" 2>/dev/null
    ip netns del "$NS" 2>/dev/null
    rm -rf "$T"
}
trap live_cleanup EXIT

live_require() {
    [ "$(id -u)" = 0 ] || fail "needs root (network namespaces, raw capture)"
    for tool in ip tcpreplay jq; do
        command -v $tool >/dev/null || fail "$tool is not installed (make deps)"
    done
    [ -x "$XIEZHI" ] || fail "$XIEZHI is not built"
}

# veth pair xz0 (sensor) <-> xz1 (replay), both ends in the namespace, no
# IPv6 so the kernel's own router solicitations do not mix in.
veth_up() {
    ip netns add "$NS" || fail "cannot create network namespace $NS"
    ip -n "$NS" link add xz0 type veth peer name xz1 || fail "cannot create veth pair"
    ip netns exec "$NS" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip -n "$NS" link set xz0 mtu 9000 up && ip -n "$NS" link set xz1 mtu 9000 up || fail "cannot bring veth up"
}

# A rule directory: the repository's rule files, Suricata's classification
# (or a minimal one when the pack is not there yet), and a few signatures of
# our own so that the demo capture always has signature alerts.
make_rules() {
    local dir=$1
    mkdir -p "$dir"
    cp -r "$TOP"/rules/. "$dir"/ 2>/dev/null
    if [ -f "$TOP/rules/classification.config" ]; then
        cp "$TOP/rules/classification.config" "$dir"/
    else
        cat >"$dir/classification.config" <<'CLS'
config classification: not-suspicious,Not Suspicious Traffic,3
config classification: bad-unknown,Potentially Bad Traffic,2
config classification: attempted-recon,Attempted Information Leak,2
config classification: attempted-admin,Attempted Administrator Privilege Gain,1
config classification: trojan-activity,A Network Trojan was detected,1
config classification: policy-violation,Potential Corporate Privacy Violation,1
config classification: misc-activity,Misc activity,3
CLS
    fi
    cat >"$dir/live-test.rules" <<'RULES'
alert tcp any any -> any 80 (msg:"live test: HTTP basic credentials"; flow:to_server; content:"Authorization|3a| Basic"; nocase; classtype:policy-violation; sid:9990001; rev:1;)
alert udp any any -> any 53 (msg:"live test: mining pool lookup"; content:"minergate"; nocase; classtype:trojan-activity; sid:9990002; rev:1;)
alert tcp any any -> any 445 (msg:"live test: SMB SYN"; flags:S; classtype:misc-activity; sid:9990003; rev:1;)
RULES
    chmod -R go-w "$dir"
}

# rule_args DIR: --set options that load every .rules file of DIR.
rule_args() {
    local dir=$1 files
    files=$(cd "$dir" && ls *.rules | paste -sd, -)
    echo "--set rules.dir=$dir --set rules.files=[$files] --set rules.classification=classification.config"
}

# start_sensor LOGDIR ARGS...: runs xiezhi on xz0 in the namespace.
start_sensor() {
    local logdir=$1; shift
    mkdir -p "$logdir"
    ip netns exec "$NS" "$XIEZHI" -i xz0 -l "$logdir" "$@" 2>"$logdir/stderr.log" &
    SENSOR_PID=$!
    for _ in $(seq 100); do
        grep -q "capturing with" "$logdir/stderr.log" 2>/dev/null && return 0
        kill -0 "$SENSOR_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$logdir/stderr.log"
    fail "the sensor did not start"
}

# stop_sensor: SIGTERM, expects exit 0.
stop_sensor() {
    kill -TERM "$SENSOR_PID"
    wait "$SENSOR_PID"
    local rc=$?
    SENSOR_PID=
    [ $rc = 0 ] || fail "the sensor exited with $rc after SIGTERM"
}

# replay PPS FILE...: each capture onto xz1 at a set rate.
replay() {
    local pps=$1; shift
    for f in "$@"; do
        ip netns exec "$NS" tcpreplay -q -i xz1 --pps "$pps" "$f" >"$T/tcpreplay.log" 2>&1 ||
            { cat "$T/tcpreplay.log"; fail "tcpreplay failed on $f"; }
    done
}

# alert_keys EVE...: signature alerts as "sid src:sport dst:dport" (the
# same flow), anomalies as "sid src" (a detector fires on whichever flow
# crosses its threshold, so only the actor is compared).
alert_keys() {
    jq -r 'if .event_type == "alert" then "\(.alert.signature_id) \(.src_ip):\(.src_port) \(.dest_ip):\(.dest_port)"
           elif .event_type == "behavior" then "\(.alert.signature_id) \(.src_ip)" else empty end' "$@" | sort -u
}

# last_stats EVE: the final stats event.
last_stats() {
    grep -F '"event_type":"stats"' "$1" | tail -2 | jq -c . 2>/dev/null | tail -1
}
