#!/usr/bin/env bash
# capture.sh: runs viotrace-guest.bt or viotrace-host.bt into a file, then notes the events the kernel dropped.
#
# Usage: capture.sh guest|host -o FILE [-- COMMAND [ARGS...]]
#   With a COMMAND: starts tracing, runs it, stops. Without: traces until Ctrl-C.
#
# Why a wrapper: a tracepoint program is skipped, silently, when its event fires while another BPF
# program is running on the same CPU (an I/O completion interrupt arriving during the submitting
# task's block_rq_issue program, say). The kernel counts these per program as recursion_misses;
# bpftrace cannot read them, so this script reads them (bpftool, through the program ids bpftrace
# holds open) before stopping it and appends "# lost program=NAME count=N reason=recursion_misses"
# lines, which viotrace reports as lost events. Needs root, bpftrace; bpftool for the counts.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
usage() { echo "usage: $0 guest|host -o FILE [-- COMMAND [ARGS...]]" >&2; exit 2; }

SIDE=${1:-}; shift || true
case "$SIDE" in guest|host) ;; *) usage ;; esac
OUT=
while [ $# -gt 0 ]; do
  case "$1" in
    -o|--output) OUT=${2:?}; shift 2 ;;
    --) shift; break ;;
    *) usage ;;
  esac
done
[ -n "$OUT" ] || usage
[ "$(id -u)" = 0 ] || { echo "capture.sh needs root (bpftrace)" >&2; exit 1; }
command -v bpftrace >/dev/null || { echo "capture.sh needs bpftrace (apt-get install bpftrace)" >&2; exit 1; }

SCRIPT="$HERE/viotrace-$SIDE.bt"
: > "$OUT"
bpftrace -q "$SCRIPT" >> "$OUT" 2> "$OUT.stderr" &
BT=$!

# Attached once the script's BEGIN has printed its header.
for _ in $(seq 1 300); do
  grep -q '^# viotrace-bpftrace' "$OUT" 2>/dev/null && break
  kill -0 "$BT" 2>/dev/null || { cat "$OUT.stderr" >&2; echo "bpftrace failed to start" >&2; exit 1; }
  sleep 0.1
done
grep -q '^# viotrace-bpftrace' "$OUT" || { kill -INT "$BT"; echo "bpftrace did not attach within 30 s" >&2; exit 1; }

misses() {
  # The programs bpftrace holds open, by id, from its fdinfo; their recursion_misses from bpftool.
  command -v bpftool >/dev/null || { echo "# note: bpftool not found, recursion misses not counted"; return; }
  local ids
  ids=$(grep -h '^prog_id:' /proc/"$BT"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -un)
  for id in $ids; do
    bpftool prog show id "$id" 2>/dev/null | awk -v id="$id" '
      /^[0-9]+:/ { for (i = 1; i <= NF; i++) if ($i == "name") name = $(i + 1) }
      { for (i = 1; i <= NF; i++) if ($i == "recursion_misses") n = $(i + 1) }
      END { if (n > 0) printf "# lost program=%s count=%d reason=recursion_misses\n", name, n }'
  done
}

stop() {
  trap - INT TERM
  local lost
  lost=$(misses)
  kill -INT "$BT" 2>/dev/null || true
  wait "$BT" 2>/dev/null || true
  [ -n "$lost" ] && printf '%s\n' "$lost" >> "$OUT"
  grep -v 'RLIMIT_MEMLOCK' "$OUT.stderr" >&2 || true
  rm -f "$OUT.stderr"
  echo "capture.sh: $(grep -c '^[0-9]' "$OUT") events in $OUT${lost:+; dropped by the kernel: $(printf '%s' "$lost" | awk '{s += substr($4, 7)} END {print s}')}" >&2
}

if [ $# -gt 0 ]; then
  trap stop INT TERM
  rc=0; "$@" || rc=$?
  stop
  exit "$rc"
fi
echo "capture.sh: tracing the $SIDE side into $OUT; Ctrl-C to stop" >&2
trap 'stop; exit 0' INT TERM
wait "$BT" || true
