#!/usr/bin/env bash
# Checks that the lab cleans up: SIGINT mid-run leaves nothing; SIGKILL mid-run leaves only what `capture.sh --clean` removes.
# Needs root and QEMU (it starts real captures). Prints "ok: ..." lines and exits non-zero on the first leak.
set -euo pipefail
# Job control: without it bash starts background jobs with SIGINT ignored, and an ignored signal cannot be trapped.
set -m
LAB=$(cd "$(dirname "$0")" && pwd)
TR=/sys/kernel/tracing
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Starts a capture in the background and waits until its QEMU runs; sets sp (script pid) and qp (QEMU pid).
start_and_wait_for_qemu() {
  "$LAB/capture.sh" --job qd1-mixed -o "$T/out" --force >"$T/log" 2>&1 &
  sp=$! qp=""
  local i
  for i in $(seq 1 600); do
    qp=$(pgrep -P "$sp" -f qemu-system-x86_64 || true)
    [ -n "$qp" ] && break
    kill -0 "$sp" 2>/dev/null || fail "capture ended before QEMU started: $(tail -3 "$T/log")"
    sleep 0.1
  done
  [ -n "$qp" ] || fail "QEMU never started"
  sleep 1   # let the guest boot a little: tracing is on, QEMU is mid-run
}
instances_of() { ls "$TR/instances" 2>/dev/null | grep "^viotrace-lab-$1-" || true; }
workdirs_of() { ls -d "${TMPDIR:-/var/tmp}"/viotrace-lab."$1".* 2>/dev/null || true; }

# 1. SIGINT: the trap must remove everything.
start_and_wait_for_qemu
[ -n "$(instances_of "$sp")" ] || fail "no tracefs instance while running (test is not testing)"
kill -INT "$sp"
if wait "$sp"; then fail "capture exited 0 after SIGINT"; fi
kill -0 "$qp" 2>/dev/null && fail "QEMU $qp still running after SIGINT"
[ -z "$(instances_of "$sp")" ] || fail "instances left after SIGINT: $(instances_of "$sp")"
[ -z "$(workdirs_of "$sp")" ] || fail "work folder left after SIGINT"
[ ! -e "$T/out" ] && [ ! -e "$T/out.partial" ] || fail "partial output left after SIGINT"
echo "ok: SIGINT mid-run: QEMU $qp gone, no tracefs instance, no work folder, no output"

# 2. SIGKILL: no trap runs; QEMU must die with the script (pdeathsig), --clean removes the rest.
start_and_wait_for_qemu
kill -KILL "$sp"
wait "$sp" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$qp" 2>/dev/null || break; sleep 0.1; done
kill -0 "$qp" 2>/dev/null && fail "QEMU $qp outlived a SIGKILLed capture"
left="$(instances_of "$sp")"
"$LAB/capture.sh" --clean
[ -z "$(instances_of "$sp")" ] || fail "--clean left instances"
[ -z "$(workdirs_of "$sp")" ] || fail "--clean left the work folder"
echo "ok: SIGKILL mid-run: QEMU $qp died with it; --clean removed [${left//$'\n'/ }] and the work folder"
if mountpoint -q "$TR"; then echo "note: tracefs is mounted at $TR (a SIGKILLed run cannot unmount what it mounted; the mount is harmless)"; fi
