#!/usr/bin/perl
# Writes the tiny .mmdb files the GeoIP tests read, one per schema xiezhi
# understands, with exactly known contents:
#   geoip2-country.mmdb   GeoIP2-Country: country.iso_code, registered_country.iso_code
#   geolite2-asn.mmdb     GeoLite2-ASN: autonomous_system_number/_organization
#   iplocdb-country.mmdb  ip-location-db: country_code
#   iplocdb-asn.mmdb      as_number/as_organization variant
#   ipv4-only.mmdb        an IPv4 tree (ip_version 4) with country_code
# Usage: make-test-mmdb.pl OUTDIR
use strict;
use warnings;
use utf8;
use MaxMind::DB::Writer::Tree;

my $out = shift @ARGV or die "usage: $0 OUTDIR\n";
-d $out or die "$0: $out is not a directory\n";

my %types = (
    country                        => 'map',
    registered_country             => 'map',
    iso_code                       => 'utf8_string',
    geoname_id                     => 'uint32',
    names                          => 'map',
    en                             => 'utf8_string',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
    country_code                   => 'utf8_string',
    as_number                      => 'uint32',
    as_organization                => 'utf8_string',
);

sub write_db {
    my ($file, $type, $ip_version, @networks) = @_;
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version               => $ip_version,
        record_size              => 24,
        database_type            => $type,
        languages                => ['en'],
        description              => { en => "xiezhi test database ($type)" },
        map_key_type_callback    => sub { $types{ $_[0] } // die "no type for key $_[0]\n" },
        # the tests use documentation ranges, which the writer drops by default
        remove_reserved_networks => 0,
    );
    while (@networks) {
        my ($net, $data) = splice @networks, 0, 2;
        $tree->insert_network($net, $data);
    }
    open my $fh, '>:raw', "$out/$file" or die "$0: $out/$file: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$0: $out/$file: $!\n";
}

my $long_org = 'Very Long Organisation Name ' x 8;    # 224 bytes: truncated to 127
my $utf8_org = 'x' . ('Société Générale — 中国电信 ' x 6);    # 127th byte inside a character

write_db('geoip2-country.mmdb', 'GeoIP2-Country', 6,
    '81.2.69.0/24' => {
        country            => { iso_code => 'GB', geoname_id => 2635167, names => { en => 'United Kingdom' } },
        registered_country => { iso_code => 'GB', geoname_id => 2635167 },
    },
    # only registered_country (as GeoIP2 has for some anycast ranges)
    '89.160.20.0/24' => { registered_country => { iso_code => 'SE', geoname_id => 2661886 } },
    '2001:db8:100::/48' => {
        country            => { iso_code => 'DE', geoname_id => 2921044 },
        registered_country => { iso_code => 'FR', geoname_id => 3017382 },
    },
    '2a02:cf40::/29' => { country => { iso_code => 'NO' } },
    # a malformed code: must not be reported
    '198.51.100.0/24' => { country => { iso_code => 'Norway' } },
);

write_db('geolite2-asn.mmdb', 'GeoLite2-ASN', 6,
    '81.2.69.0/24'      => { autonomous_system_number => 20712, autonomous_system_organization => 'Andrews & Arnold Ltd' },
    '89.160.20.0/24'    => { autonomous_system_number => 29518, autonomous_system_organization => 'Bredband2 AB' },
    '2001:db8:100::/48' => { autonomous_system_number => 4200000001, autonomous_system_organization => $long_org },
    '2a02:cf40::/29'    => { autonomous_system_number => 217, autonomous_system_organization => $utf8_org },
    '203.0.113.0/24'    => { autonomous_system_number => 64500 },
);

write_db('iplocdb-country.mmdb', 'country ipvAll', 6,
    '81.2.69.0/24'      => { country_code => 'GB' },
    # private ranges placed in a country, as the npm data wrongly does:
    # xiezhi must not report them
    '172.16.0.0/12'     => { country_code => 'AU' },
    '192.168.0.0/16'    => { country_code => 'AU' },
    'fd00::/8'          => { country_code => 'AU' },
    '192.0.2.0/24'      => { country_code => 'CN' },
    '2001:db8:200::/48' => { country_code => 'JP' },
);

write_db('iplocdb-asn.mmdb', 'asn ipvAll', 6,
    '192.0.2.0/24'      => { as_number => 4134, as_organization => 'CHINANET' },
    '2001:db8:200::/48' => { as_number => 2497, as_organization => 'Internet Initiative Japan Inc.' },
);

write_db('ipv4-only.mmdb', 'country ipv4', 4,
    '192.0.2.0/25' => { country_code => 'US' },
);
