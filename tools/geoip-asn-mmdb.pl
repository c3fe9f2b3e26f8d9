#!/usr/bin/perl
# Turns ip-location-db's ASN CSV files (start,end,asn,"organisation" per line,
# inclusive ranges, IPv4 and IPv6) into one GeoLite2-ASN-style .mmdb with the
# keys autonomous_system_number and autonomous_system_organization, so
# xiezhi reads it like MaxMind's own ASN database.
# Usage: geoip-asn-mmdb.pl OUT.mmdb IN.csv [IN.csv ...]
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my ($out, @inputs) = @ARGV;
die "usage: $0 OUT.mmdb IN.csv [IN.csv ...]\n" unless $out && @inputs;

my %types = (
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
);
my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 28,
    database_type         => 'GeoLite2-ASN',
    languages             => ['en'],
    description           => { en => 'ASN data from ip-location-db (RouteViews, RIRs, DB-IP; CC BY 4.0)' },
    map_key_type_callback => sub { $types{ $_[0] } },
    merge_strategy        => 'none',
);

# start,end,number,organisation -- the organisation may be quoted and hold
# commas and doubled quotes.
sub parse_line {
    my ($line) = @_;
    my ($start, $end, $asn, $rest) = split /,/, $line, 4;
    return unless defined $rest && $asn =~ /^\d+$/ && $asn > 0 && $asn <= 4294967295;
    if ($rest =~ /^"(.*)"$/s) {
        ($rest = $1) =~ s/""/"/g;
    }
    return ($start, $end, $asn, $rest);
}

my ($ranges, $bad) = (0, 0);
for my $file (@inputs) {
    open my $fh, '<:encoding(UTF-8)', $file or die "$0: $file: $!\n";
    while (my $line = <$fh>) {
        $line =~ s/\r?\n\z//;
        next if $line eq '' || $line =~ /^#/;
        my ($start, $end, $asn, $org) = parse_line($line);
        my $ok = defined $start && eval {
            $tree->insert_range($start, $end,
                { autonomous_system_number => $asn + 0, autonomous_system_organization => $org });
            1;
        };
        if ($ok) {
            $ranges++;
        } elsif (++$bad <= 5) {
            warn "$file:$.: skipped: $line\n";
        }
    }
    close $fh;
}
die "$0: no usable ranges in @inputs\n" unless $ranges;

open my $ofh, '>:raw', "$out.tmp" or die "$0: $out.tmp: $!\n";
$tree->write_tree($ofh);
close $ofh or die "$0: $out.tmp: $!\n";
rename "$out.tmp", $out or die "$0: $out: $!\n";
print "$ranges ranges", ($bad ? ", $bad bad lines skipped" : ''), "\n";
