#!/bin/bash
# The Debian package, installed and purged in a throwaway root with dpkg
# --root (no chroot, no container: the maintainer scripts run chrootless and
# edit the root through DPKG_ROOT and useradd --prefix).  Checks: the files
# are where the package says, /etc/xiezhi/xiezhi.yaml is a conffile, the
# xiezhi system user exists, the installed sensor passes -T on the installed
# config and pack and runs the demo; purge removes files, conffile, logs and
# user.  Also `make package-test`.  Needs root (dpkg --root writes as root).
set -u
TOP=${TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$TOP" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "SKIP: dpkg --root needs root"; exit 0; }
tmp=$(mktemp -d /tmp/xiezhi-package.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

deb=$(NO_LINTIAN=1 tools/make-deb.sh "$(sed -n 's/^VERSION *:= *//p' Makefile)") || fail "make-deb failed"
[ -f "$deb" ] || fail "no package at $deb"
dpkg-deb --info "$deb" >"$tmp/info" || fail "dpkg-deb --info"
grep -q '^ Package: xiezhi' "$tmp/info" || fail "not the xiezhi package"
dpkg-deb --contents "$deb" >"$tmp/contents"
for f in ./usr/bin/xiezhi ./usr/bin/xiezhi-alerts ./etc/xiezhi/xiezhi.yaml \
         ./lib/systemd/system/xiezhi.service ./usr/share/xiezhi/rules/extranet.rules \
         ./usr/share/xiezhi/rules/classification.config ./usr/share/doc/xiezhi/copyright \
         ./usr/share/doc/xiezhi/README.md; do
    grep -q " $f\$" "$tmp/contents" || fail "$f is not in the package"
done

# A root with an empty dpkg database and the account files useradd edits.
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/etc" "$root/var/log"
: > "$root/var/lib/dpkg/status"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\n' > "$root/etc/group"
printf 'root:*:19000:0:99999:7:::\n' > "$root/etc/shadow"
printf 'root:*::\n' > "$root/etc/gshadow"
chmod 0640 "$root/etc/shadow" "$root/etc/gshadow"
dpkg_root() { dpkg --root="$root" --force-script-chrootless --force-depends --force-not-root \
                   --log=/dev/null "$@"; }

dpkg_root -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; fail "install failed"; }
dpkg_root -s xiezhi | grep -q '^Status: install ok installed' || fail "not installed"
dpkg_root -s xiezhi | grep -q '/etc/xiezhi/xiezhi.yaml' || fail "xiezhi.yaml is not a conffile"
grep -q '^xiezhi:x:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' "$root/etc/passwd" || { cat "$root/etc/passwd"; fail "no xiezhi system user"; }
grep -q '^xiezhi:' "$root/etc/group" || fail "no xiezhi group"
[ -d "$root/var/log/xiezhi" ] || fail "no /var/log/xiezhi"
grep -q '^ExecStart=/usr/bin/xiezhi -c /etc/xiezhi/xiezhi.yaml' "$root/lib/systemd/system/xiezhi.service" ||
    fail "the unit does not start /usr/bin/xiezhi"
grep -q '^  dir: /usr/share/xiezhi/rules' "$root/etc/xiezhi/xiezhi.yaml" || fail "the conffile does not name the packaged pack"

# The installed binary, config and pack work together (paths moved into the root).
"$root/usr/bin/xiezhi" -T -c "$root/etc/xiezhi/xiezhi.yaml" \
    --set rules.dir="$root/usr/share/xiezhi/rules" >"$tmp/T.out" 2>&1 || { cat "$tmp/T.out"; fail "-T on the installed config"; }
"$root/usr/bin/xiezhi" -q -c "$root/etc/xiezhi/xiezhi.yaml" --set rules.dir="$root/usr/share/xiezhi/rules" \
    -r pcaps/demo.pcap -l "$tmp/out" || fail "the installed sensor failed on the demo"
grep -q '"signature_id":1100041' "$tmp/out/eve.json" || fail "no demo alert from the installed sensor"
"$root/usr/bin/xiezhi" --build-info | grep -q 'data directory: /usr/share/xiezhi' || fail "built for the wrong data dir"

# An edited conffile survives a reinstall; purge removes everything.
echo "# local edit" >> "$root/etc/xiezhi/xiezhi.yaml"
dpkg_root --force-confold -i "$deb" >"$tmp/reinstall.log" 2>&1 || { cat "$tmp/reinstall.log"; fail "reinstall failed"; }
grep -q '^# local edit' "$root/etc/xiezhi/xiezhi.yaml" || fail "reinstall overwrote the edited conffile"
dpkg_root --purge xiezhi >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; fail "purge failed"; }
left=$(cd "$root" && find usr etc lib var/log -path etc/passwd -prune -o -path etc/group -prune -o \
       -path etc/shadow -prune -o -path etc/gshadow -prune -o -type f -print 2>/dev/null | grep -v -- '-$')
[ -z "$left" ] || fail "left after purge: $left"
grep -q '^xiezhi:' "$root/etc/passwd" && fail "the xiezhi user survived purge"
[ -d "$root/var/log/xiezhi" ] && fail "/var/log/xiezhi survived purge"
echo "package: $(basename "$deb") installs, runs and purges cleanly in a throwaway root"
