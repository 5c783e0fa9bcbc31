#!/usr/bin/perl
# Samples CLOCK_REALTIME and CLOCK_MONOTONIC together; prints "realtime_ns mono_ns width_ns" for the tightest of 50 tries.
# Why: QEMU's log stamps are CLOCK_REALTIME (gettimeofday) while the host trace instances use trace_clock mono;
# the pair converts one to the other. REALTIME is read on both sides of MONOTONIC, so width_ns bounds the error.
use strict;
use warnings;
use Config;

# On x86-64 the clock_gettime syscall (228) gives exact integer nanoseconds; elsewhere Time::HiRes
# (a double: about 0.25 us resolution for today's REALTIME).
my $exact = $Config{archname} =~ /^x86_64/;
sub now_ns {
  my ($clk) = @_;
  if ($exact) {
    my $buf = pack('q q', 0, 0);
    syscall(228, $clk, $buf) == 0 or die "clock_gettime: $!";
    my ($s, $ns) = unpack('q q', $buf);
    return $s * 1_000_000_000 + $ns;
  }
  require Time::HiRes;
  return sprintf('%.0f', Time::HiRes::clock_gettime($clk) * 1e9);
}
my ($REALTIME, $MONOTONIC) = (0, 1);
my @best;
for (1 .. 50) {
  my $r1 = now_ns($REALTIME);
  my $m = now_ns($MONOTONIC);
  my $r2 = now_ns($REALTIME);
  my $w = $r2 - $r1;
  @best = ($r1 + ($w >> 1), $m, $w) if !@best || $w < $best[2];
}
print "@best\n";
