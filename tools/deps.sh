#!/bin/sh
# Installs the Debian packages that building, testing and the demo need.
# Silent when everything is present; one clear message when it cannot install.
set -eu

PACKAGES="build-essential pkg-config clang llvm libclang-rt-14-dev cppcheck clang-tidy
  valgrind python3 jq iproute2 libpcap-dev libndpi-dev libndpi-bin libhiredis-dev
  libmaxminddb-dev mmdb-bin libmaxmind-db-writer-perl libyaml-dev libpcre2-dev
  libcap-ng-dev libcmocka-dev redis-server redis-tools tcpreplay tshark
  wireshark-common time python3-yaml libhtp-dev libssl-dev zlib1g-dev libnghttp2-dev
  python3-jsonschema openssl dpkg-dev lintian"

missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages:$missing" >&2
    echo "deps: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
    exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
apt-get update -qq || echo "deps: apt-get update failed; trying the cached package lists" >&2
# shellcheck disable=SC2086
if ! apt-get install -y -qq --no-install-recommends $missing >/tmp/xiezhi-deps.log 2>&1; then
    echo "deps: apt-get install failed; see /tmp/xiezhi-deps.log" >&2
    tail -20 /tmp/xiezhi-deps.log >&2
    exit 1
fi
# The packaged redis-server starts a system instance; tests start their own.
