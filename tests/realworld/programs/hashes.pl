# Builds hashes and arrays, sorts, matches regexes and joins strings; prints a deterministic digest.
use strict;
use warnings;
my $total = 0;
for my $round (1 .. 30) {
  my %h = map { ("key$_" => "v" x ($_ % 50)) } 1 .. 5000;
  my @sorted = sort { length($h{$a}) <=> length($h{$b}) || $a cmp $b } keys %h;
  my $joined = join(",", @sorted[0 .. 99]);
  my @m = ($joined =~ /key(\d+)/g);
  $total += scalar(@m) + length($joined) + $round;
}
print "perl total $total\n";
