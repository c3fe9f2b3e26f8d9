#!/bin/bash
# Least privilege on a live capture (namespaced veth):
#  - started as root with --user/--group: after the open the process runs as
#    that user, with no capability left (effective, permitted, bounding) and
#    no supplementary group, and still captures;
#  - started unprivileged with ambient CAP_NET_RAW/CAP_NET_ADMIN (what the
#    systemd unit does): captures, then holds no capability;
#  - the pid file holds the pid, a second instance on it is refused, and it
#    is removed at exit;
#  - a world-writable config file is refused with a clear message;
#  - (issue 14) rules are parsed after the drop: a dataset file only root
#    may read is refused to the rule that names it; the log directory is
#    created 0750 and eve.json and xiezhi.seq 0640; started as root with no
#    run-as user, a loud warning; a pid file that is a symlink is refused.
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

# 4. rules after the drop, file modes
mkdir -p "$T/r4" "$T/p4" && chown "$user:$group" "$T/p4"
printf '10.0.0.1\n' >"$T/r4/rootonly.lst" && chmod 600 "$T/r4/rootonly.lst"
cat >"$T/r4/ds.rules" <<'R'
alert ip any any -> any any (msg:"root-only set"; ip.src; dataset:isset,rootonly,type ipv4,load rootonly.lst; sid:1400201;)
alert ip any any -> any any (msg:"plain"; content:"xiezhi-never-matches"; sid:1400202;)
R
cp "$T/rules/classification.config" "$T/r4/"
# the sensor creates the log directory itself (as $user, after the drop)
old_umask=$(umask)
umask 022
ip netns exec "$NS" "$XIEZHI" -i xz0 -l "$T/p4/logs" -S "$T/r4/ds.rules" \
    --set rules.classification="$T/r4/classification.config" \
    --user "$user" --group "$group" --set stats.interval=1h 2>"$T/p4.err" &
SENSOR_PID=$!
umask "$old_umask"
for _ in $(seq 50); do [ -s "$T/p4/logs/eve.json" ] && grep -q "capturing with" "$T/p4.err" && break; sleep 0.1; done
grep -q "rootonly.lst': Permission denied" "$T/p4.err" ||
    { cat "$T/p4.err"; fail "the dataset only root may read was loaded: rules parsed before the drop"; }
replay 1000 "$TOP/pcaps/demo.pcap"
n=$(decoded "$T/p4/logs" 49)
[ "$n" = 49 ] || { cat "$T/p4.err"; fail "after the rules loaded as $user: decoded $n packets, replayed 49"; }
for f in "$T/p4/logs:750" "$T/p4/logs/eve.json:640" "$T/p4/logs/xiezhi.seq:640"; do
    [ "$(stat -c %a "${f%:*}")" = "${f##*:}" ] || fail "${f%:*} has mode $(stat -c %a "${f%:*}"), want ${f##*:}"
done
stop_sensor
echo "rules after the drop: the root-only dataset refused as $user; log dir 0750, eve.json and xiezhi.seq 0640"

# 5. root without a run-as user: loud
start_sensor "$T/r5" "${rules[@]}" --set stats.interval=1h
grep -q "warning: RUNNING AS ROOT" "$T/r5/stderr.log" || { cat "$T/r5/stderr.log"; fail "no warning when running as root"; }
stop_sensor
echo "root without run-as.user: $(grep -o 'RUNNING AS ROOT[^;]*' "$T/r5/stderr.log")"

# 6. a pid file that is a symlink
printf 'keep\n' >"$T/victim"
ln -s "$T/victim" "$T/sym.pid"
if ip netns exec "$NS" "$XIEZHI" -i xz0 -l "$T/r6" "${rules[@]}" --pidfile "$T/sym.pid" 2>"$T/sym.log"; then
    fail "started on a symlinked pid file"
fi
grep -q "sym.pid: cannot open pid file: .*symlink" "$T/sym.log" || { cat "$T/sym.log"; fail "no clear refusal of the symlink"; }
[ "$(cat "$T/victim")" = keep ] || fail "the symlink's target was written"
echo "symlinked pid file refused, target untouched"
echo "PASS"
