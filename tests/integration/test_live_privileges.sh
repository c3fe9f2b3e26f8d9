#!/bin/bash
# Least privilege on a live capture (namespaced veth):
#  - started as root with --user/--group: after the open the process runs as
#    that user, with no capability left (effective, permitted, bounding) and
#    no supplementary group, and still captures;
#  - started unprivileged with ambient CAP_NET_RAW/CAP_NET_ADMIN (what the
#    systemd unit does): captures, then holds no capability;
#  - the pid file holds the pid, a second instance on it is refused, and it
#    is removed at exit;
#  - a world-writable config file is refused with a clear message.
. "$(dirname "$0")/live_lib.sh"
live_require
command -v setpriv >/dev/null || fail "setpriv (util-linux) is needed"
user=nobody group=$(id -gn nobody)
make_rules "$T/rules"
read -r -a rules <<<"$(rule_args "$T/rules")"
chmod 755 "$T"
veth_up

status_field() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$SENSOR_PID/status"; }
caps_zero() {
    for f in CapEff CapPrm CapAmb; do
        [ "$(status_field $f)" = 0000000000000000 ] || fail "$1: $f is $(status_field $f), expected none"
    done
}
# decoded LOGDIR WANT: packets decoded, asking for stats (SIGUSR1) until WANT
# show up or 10 s pass.
decoded() {
    local n=
    for _ in $(seq 20); do
        kill -USR1 "$SENSOR_PID"
        sleep 0.5
        n=$(last_stats "$1/eve.json" | jq .stats.decoder.pkts)
        [ "${n:-0}" -ge "$2" ] && break
    done
    echo "${n:-0}"
}

# 1. root, then --user nobody
mkdir -p "$T/root" && chown "$user:$group" "$T/root"
start_sensor "$T/root" "${rules[@]}" --user "$user" --group "$group" --set stats.interval=1h
for _ in $(seq 30); do [ "$(status_field Uid | cut -f1)" != 0 ] && break; sleep 0.1; done
uid=$(awk '$1 == "Uid:" {print $2, $3, $4, $5}' "/proc/$SENSOR_PID/status")
[ "$uid" = "65534 65534 65534 65534" ] || fail "root start: uids are '$uid', expected nobody everywhere"
caps_zero "root start"
[ "$(status_field CapBnd)" = 0000000000000000 ] || fail "root start: bounding set not cleared: $(status_field CapBnd)"
[ -z "$(awk '$1 == "Groups:" {print $2}' "/proc/$SENSOR_PID/status")" ] || fail "supplementary groups kept"
replay 1000 "$TOP/pcaps/demo.pcap"
n=$(decoded "$T/root" 49)
[ "$n" = 49 ] || fail "root start: decoded $n packets after the drop, replayed 49"
[ "$(stat -c %U "$T/root/eve.json")" = "$user" ] || fail "eve.json is not owned by $user"
stop_sensor
echo "root start: runs as $user, no capabilities, no groups, captured $n packets"

# 2. unprivileged with ambient capabilities, pid file
mkdir -p "$T/amb" && chown "$user:$group" "$T/amb"
pidfile="$T/amb/xiezhi.pid"
ip netns exec "$NS" setpriv --reuid="$user" --regid="$group" --clear-groups \
    --inh-caps=+net_raw,+net_admin --ambient-caps=+net_raw,+net_admin \
    "$XIEZHI" -i xz0 -l "$T/amb" "${rules[@]}" --pidfile "$pidfile" --set stats.interval=1h \
    2>"$T/amb/stderr.log" &
SENSOR_PID=$!
for _ in $(seq 50); do grep -q "capturing with" "$T/amb/stderr.log" && break; sleep 0.1; done
grep -q "capturing with" "$T/amb/stderr.log" || { cat "$T/amb/stderr.log"; fail "ambient start: no capture"; }
sleep 0.3
caps_zero "ambient start"
[ "$(cat "$pidfile")" = "$SENSOR_PID" ] || fail "pid file holds '$(cat "$pidfile")', expected $SENSOR_PID"
if ip netns exec "$NS" "$XIEZHI" -i xz0 -l "$T/amb2" "${rules[@]}" --pidfile "$pidfile" 2>"$T/second.log"; then
    fail "a second instance on the same pid file started"
fi
grep -q "already runs as pid $SENSOR_PID" "$T/second.log" || { cat "$T/second.log"; fail "no clear refusal"; }
replay 1000 "$TOP/pcaps/demo.pcap"
n=$(decoded "$T/amb" 49)
[ "$n" = 49 ] || fail "ambient start: decoded $n packets, replayed 49"
stop_sensor
[ ! -e "$pidfile" ] || fail "the pid file was not removed at exit"
echo "ambient start: captured $n packets, then no capabilities; pid file written, guarded and removed"

# 3. world-writable config
printf 'sensor:\n  id: ww\n' >"$T/ww.yaml"
chmod 666 "$T/ww.yaml"
"$XIEZHI" -T -c "$T/ww.yaml" "${rules[@]}" >"$T/ww.out" 2>&1
rc=$?
[ $rc = 2 ] || fail "a world-writable config gave exit $rc, expected 2"
grep -q "ww.yaml: is world-writable" "$T/ww.out" || { cat "$T/ww.out"; fail "no clear message"; }
echo "world-writable config refused: $(grep world-writable "$T/ww.out")"
echo "PASS"
