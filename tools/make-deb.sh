#!/bin/bash
# Builds build-deb/xiezhi_<version>_<arch>.deb with dpkg-deb: the binaries
# built for /usr (data in /usr/share/xiezhi), the rule pack and datasets, the
# example config as the conffile /etc/xiezhi/xiezhi.yaml, the systemd unit,
# the docs; postinst creates the xiezhi system user (packaging/).
# usage: tools/make-deb.sh VERSION        (run by `make deb`)
set -eu
cd "$(dirname "$0")/.."
version=$1
revision=1
# Set DEB_MAINTAINER to the real maintainer for a package that leaves the site.
maintainer=${DEB_MAINTAINER:-xiezhi maintainers <xiezhi@example.org>}
arch=$(dpkg --print-architecture)
build=build-deb
stage=$build/stage
# Debian's hardening flags (stack protector, fortify, relro, bindnow); the
# Makefile links with its compile flags, so the linker flags go in as well.
flags="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS) $(dpkg-buildflags --get LDFLAGS) -Wl,-z,now"
rm -rf "$build"          # flags are not a make dependency: build afresh
make --no-print-directory BUILD=$build PREFIX=/usr DATADIR=/usr/share/xiezhi CFLAGS="$flags" all >/dev/null
rm -rf "$stage"
install -d "$stage/DEBIAN" "$stage/usr/bin" "$stage/usr/share/xiezhi/rules/datasets" \
    "$stage/usr/share/doc/xiezhi" "$stage/etc/xiezhi" "$stage/lib/systemd/system" \
    "$stage/usr/share/lintian/overrides"
install -d "$stage/usr/share/man/man1"
for bin in xiezhi xiezhi-alerts xiezhi-geoip; do
    install -m 0755 "$build/$bin" "$stage/usr/bin/"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$stage/usr/bin/$bin"
    # A manual page from the program's own --help, so the two cannot differ.
    {
        printf '.TH %s 1 "" "xiezhi %s" "User Commands"\n' "$(echo "$bin" | tr a-z A-Z)" "$version"
        printf '.SH NAME\n%s \\- part of the xiezhi network security sensor\n' "$bin"
        printf '.SH SYNOPSIS\n.nf\n'
        "$build/$bin" -h 2>&1 | sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\&'/"
        printf '.fi\n.SH SEE ALSO\n/usr/share/doc/xiezhi/README.md, /usr/share/doc/xiezhi/operations.md\n'
    } | gzip -9n > "$stage/usr/share/man/man1/$bin.1.gz"
done
install -m 0644 rules/*.rules rules/*.config "$stage/usr/share/xiezhi/rules/"
install -m 0644 rules/datasets/* "$stage/usr/share/xiezhi/rules/datasets/"
install -m 0644 README.md docs/*.md "$stage/usr/share/doc/xiezhi/"
install -m 0644 packaging/copyright "$stage/usr/share/doc/xiezhi/copyright"
sed -e 's|^  dir: \.\./rules .*|  dir: /usr/share/xiezhi/rules  # the packaged rule pack|' \
    -e 's|^  dir: \.                        # the log directory when -l is not given|  dir: /var/log/xiezhi          # the log directory when -l is not given|' \
    etc/xiezhi.yaml > "$stage/etc/xiezhi/xiezhi.yaml"
chmod 0644 "$stage/etc/xiezhi/xiezhi.yaml"
sed -e 's|/usr/local/share/doc|/usr/share/doc|g' -e 's|/usr/local|/usr|g' \
    -e 's|^#   install: make install; useradd --system --no-create-home xiezhi|#   install: apt install ./xiezhi_*.deb (creates the xiezhi user)|' \
    etc/xiezhi.service > "$stage/lib/systemd/system/xiezhi.service"
chmod 0644 "$stage/lib/systemd/system/xiezhi.service"
{
    printf 'xiezhi (%s-%s) unstable; urgency=medium\n\n' "$version" "$revision"
    printf '  * Package built from the xiezhi tree by tools/make-deb.sh.\n\n'
    printf ' -- %s  %s\n' "$maintainer" "$(date -R -d @"${SOURCE_DATE_EPOCH:-0}")"
} | gzip -9n > "$stage/usr/share/doc/xiezhi/changelog.Debian.gz"
# Binaries link against nDPI, libpcap, ...: depend on the packages that
# ship those libraries, at least at the versions built against.
depends=$(for bin in "$stage"/usr/bin/*; do ldd "$bin"; done | awk '/=> \// {print $3}' | sort -u |
    while read -r lib; do
        real=$(readlink -f "$lib")
        pkg=$(dpkg -S "$lib" 2>/dev/null || dpkg -S "$real" 2>/dev/null || true)
        pkg=${pkg%%:*}
        [ -n "$pkg" ] || continue
        ver=$(dpkg-query -W -f='${Version}' "$pkg")
        printf '%s (>= %s)\n' "$pkg" "${ver%%-*}"
    done | sort -u | paste -sd, | sed 's/,/, /g')
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: xiezhi
Version: $version-$revision
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $size
Depends: $depends, adduser, passwd
Section: net
Priority: optional
Description: network security monitoring sensor (nDPI, Suricata rules, EVE to Redis)
 xiezhi captures traffic with libpcap, classifies every flow with nDPI,
 matches Suricata-style rules and behavioural detectors (scans, brute
 force, DNS tunnels, beacons, zone policies), enriches events with GeoIP
 and writes Suricata EVE JSON to files and Redis streams.
CONTROL
echo /etc/xiezhi/xiezhi.yaml > "$stage/DEBIAN/conffiles"
install -m 0755 packaging/postinst packaging/postrm packaging/prerm "$stage/DEBIAN/"
cat > "$stage/usr/share/lintian/overrides/xiezhi" <<'OVERRIDES'
# Built by dpkg-deb from the project tree, not from a Debian source package.
xiezhi: initial-upload-closes-no-bugs
OVERRIDES
chmod 0644 "$stage/usr/share/lintian/overrides/xiezhi"
(cd "$stage" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
    sort -z | xargs -0 md5sum) > "$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
out=$build/xiezhi_${version}-${revision}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
# lintian's verdict, shown but not fatal (it runs for a minute); the one
# tag left is informational (no SysV init script: the unit is the way).
if command -v lintian >/dev/null && [ -z "${NO_LINTIAN:-}" ]; then
    lintian "$out" 2>&1 |
        grep -v 'running with root privileges' >&2 || true
fi
echo "$out"
