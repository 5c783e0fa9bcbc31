#!/usr/bin/env bash
# The capture lab: one real end-to-end virtio-blk capture (guest tracefs, QEMU log trace, host io_uring and block tracefs) into one folder.
#
# Usage: capture.sh --job NAME -o DIR [--aio io_uring|threads] [--timeout SECONDS] [--host-bpftrace] [--keep-work] [--force]
# --host-bpftrace also runs scripts/bpftrace/viotrace-host.bt beside the tracefs instances (host.bt.txt):
# the same host events twice, so the bpftrace script can be checked against tracefs on one run.
# Needs root (tracefs, apt-get). Works under TCG, so no KVM is needed. See README.md beside this file.
# Safe to interrupt: a trap removes the tracefs instances, QEMU, any loop device and mount it made;
# the output is written to DIR.partial and renamed only when complete.
set -euo pipefail

LAB=$(cd "$(dirname "$0")" && pwd)
JOB="" OUT="" AIO=io_uring TIMEOUT=600 KEEP_WORK=0 FORCE=0 CLEAN_ONLY=0 HOST_BPFTRACE=0
usage() {
  echo "usage: $0 --job NAME -o DIR [--aio io_uring|threads] [--timeout SECONDS] [--host-bpftrace] [--keep-work] [--force]" >&2
  echo "       $0 --clean   (only remove what killed runs left: tracefs instances, work folders)" >&2
  echo "jobs: $(cd "$LAB/jobs" && ls *.sh | sed 's/\.sh$//' | tr '\n' ' ')" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --job) JOB=${2:?}; shift 2 ;;
    -o|--output) OUT=${2:?}; shift 2 ;;
    --aio) AIO=${2:?}; shift 2 ;;
    --timeout) TIMEOUT=${2:?}; shift 2 ;;
    --keep-work) KEEP_WORK=1; shift ;;
    --host-bpftrace) HOST_BPFTRACE=1; shift ;;
    --force) FORCE=1; shift ;;
    --clean) CLEAN_ONLY=1; shift ;;
    -h|--help) usage ;;
    *) echo "unknown argument: $1" >&2; usage ;;
  esac
done
if [ "$CLEAN_ONLY" = 0 ]; then
[ -n "$JOB" ] && [ -n "$OUT" ] || usage
JOBFILE="$LAB/jobs/$JOB.sh"
[ -f "$JOBFILE" ] || { echo "no such job: $JOB" >&2; usage; }
case "$AIO" in io_uring|threads) ;; *) echo "--aio must be io_uring or threads" >&2; exit 2 ;; esac
if [ -e "$OUT" ] && [ "$FORCE" = 0 ]; then echo "$OUT exists (use --force to replace it)" >&2; exit 1; fi
fi
[ "$(id -u)" = 0 ] || { echo "capture.sh needs root" >&2; exit 1; }

log() { echo "capture-lab: $*" >&2; }

# ---- cleanup: everything this run made, and nothing else ----
TR=/sys/kernel/tracing
PREFIX="viotrace-lab-$$"
INSTANCES=()
QEMU_PID="" BT_PID="" LOOP_DEV="" LOOP_MNT="" MOUNTED_TRACEFS=0 WORK=""
remove_instance() {
  local i=$1
  [ -d "$i" ] || return 0
  echo 0 > "$i/tracing_on" 2>/dev/null || true
  echo 0 > "$i/events/enable" 2>/dev/null || true
  rmdir "$i" 2>/dev/null || log "warning: could not remove $i"
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [ -n "$QEMU_PID" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
    log "stopping QEMU ($QEMU_PID)"
    kill "$QEMU_PID" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$QEMU_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$QEMU_PID" 2>/dev/null || true
    wait "$QEMU_PID" 2>/dev/null || true
  fi
  if [ -n "$BT_PID" ]; then kill -TERM "$BT_PID" 2>/dev/null || true; wait "$BT_PID" 2>/dev/null || true; fi
  for i in "${INSTANCES[@]}"; do remove_instance "$i"; done
  if [ -n "$LOOP_MNT" ]; then umount "$LOOP_MNT" 2>/dev/null || umount -l "$LOOP_MNT" || true; fi
  if [ -n "$LOOP_DEV" ]; then losetup -d "$LOOP_DEV" 2>/dev/null || true; fi
  if [ "$MOUNTED_TRACEFS" = 1 ]; then umount "$TR" 2>/dev/null || true; fi
  if [ -n "$WORK" ] && [ "$KEEP_WORK" = 0 ]; then rm -rf "$WORK"; fi
  [ -n "$OUT" ] && rm -rf "$OUT.partial"
  if [ "$rc" != 0 ]; then log "failed or interrupted (exit $rc); cleaned up"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- 1. packages (only when missing) ----
need_pkgs=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in qemu-system-x86 linux-image-amd64 busybox-static cpio kmod fio e2fsprogs perl util-linux; do
  have "$p" || need_pkgs+=("$p")
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# ---- 2. tracefs, stale instances from killed runs ----
if [ ! -d "$TR/instances" ]; then
  mount -t tracefs nodev "$TR"
  MOUNTED_TRACEFS=1
fi
for i in "$TR"/instances/viotrace-lab-*; do
  [ -d "$i" ] || continue
  pid=${i##*/viotrace-lab-}; pid=${pid%%-*}
  if ! kill -0 "$pid" 2>/dev/null; then log "removing stale instance ${i##*/}"; remove_instance "$i"; fi
done
for d in "${TMPDIR:-/var/tmp}"/viotrace-lab.*.*; do
  [ -d "$d" ] || continue
  pid=${d##*/viotrace-lab.}; pid=${pid%%.*}
  if ! kill -0 "$pid" 2>/dev/null; then
    log "removing stale work folder $d"
    if mountpoint -q "$d/mnt" 2>/dev/null; then umount "$d/mnt" || umount -l "$d/mnt"; fi
    losetup -j "$d/fs.img" 2>/dev/null | cut -d: -f1 | while read -r l; do losetup -d "$l"; done
    rm -rf "$d"
  fi
done
if [ "$CLEAN_ONLY" = 1 ]; then
  if [ "$MOUNTED_TRACEFS" = 1 ]; then umount "$TR"; MOUNTED_TRACEFS=0; fi
  exit 0
fi

# ---- 3. work folder on a filesystem that takes O_DIRECT (QEMU cache=none) ----
# The pid in the name lets a later run (or --clean) recognise a folder left by a SIGKILLed run.
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/viotrace-lab.$$.XXXXXX")
IMGDIR="$WORK"
if ! dd if=/dev/zero of="$WORK/odirect.test" bs=4096 count=1 oflag=direct 2>/dev/null; then
  # tmpfs and some overlays refuse O_DIRECT: put the image on a small ext4 on a loop device.
  log "$WORK does not take O_DIRECT; using a loop-mounted ext4"
  truncate -s 256M "$WORK/fs.img"
  mkfs.ext4 -q -F "$WORK/fs.img"
  LOOP_DEV=$(losetup --find --show --direct-io=on "$WORK/fs.img" 2>/dev/null || losetup --find --show "$WORK/fs.img")
  LOOP_MNT="$WORK/mnt"; mkdir -p "$LOOP_MNT"; mount "$LOOP_DEV" "$LOOP_MNT"
  IMGDIR="$LOOP_MNT"
fi
rm -f "$WORK/odirect.test"
IMG="$IMGDIR/disk.img"
# Written, not fallocated: reads of unwritten extents never reach the disk, so the host block layer would see nothing.
dd if=/dev/zero of="$IMG" bs=1M count=64 oflag=direct status=none
sync
# The host block device that holds the image, as the kernel's dev_t (major<<20|minor), whole disk if a partition.
devnum=$(stat -c %d "$IMG")
maj=$(( (devnum >> 8) & 0xfff )); min=$(( (devnum & 0xff) | ((devnum >> 12) & 0xfff00) ))
PART_START=0
if [ -e "/sys/dev/block/$maj:$min/partition" ]; then
  PART_START=$(cat "/sys/dev/block/$maj:$min/start")
  parent=$(basename "$(readlink -f "/sys/dev/block/$maj:$min/..")")
  IFS=: read -r maj min < "/sys/class/block/$parent/dev"
fi
HOST_DEV=$(( (maj << 20) | min ))
HOST_DEVNAME=$(basename "$(readlink -f "/sys/dev/block/$maj:$min")")
log "image on $HOST_DEVNAME ($maj,$min), partition start $PART_START sectors"

# ---- 4. guest initramfs: busybox, the virtio modules, fio and its libraries if the job needs them ----
KVER=$(cd /boot && ls vmlinuz-*-amd64 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -1)
[ -n "$KVER" ] || { log "no /boot/vmlinuz-*-amd64 (linux-image-amd64)"; exit 1; }
KERNEL=/boot/vmlinuz-$KVER
ROOT="$WORK/initramfs"
mkdir -p "$ROOT"/{bin,sbin,usr/bin,lib/modules,proc,sys,dev,tmp,etc}
cp /bin/busybox "$ROOT/bin/busybox"
for a in $("$ROOT/bin/busybox" --list); do [ -e "$ROOT/bin/$a" ] || ln -s busybox "$ROOT/bin/$a"; done
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
  f=$(modinfo -k "$KVER" -n "$m" 2>/dev/null || true)
  case "$f" in
    ""|"(builtin)") ;;
    *.ko) cp "$f" "$ROOT/lib/modules/$m.ko" ;;
    *.ko.xz) xz -dc "$f" > "$ROOT/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -qdc "$f" > "$ROOT/lib/modules/$m.ko" ;;
    *.ko.gz) gzip -dc "$f" > "$ROOT/lib/modules/$m.ko" ;;
  esac
done
NEEDS=$(sed -n 's/^# needs: *//p' "$JOBFILE" | head -1)
IODEPTH=$(sed -n 's/^# iodepth: *//p' "$JOBFILE" | head -1)
DESCRIPTION=$(sed -n 's/^# job: *//p' "$JOBFILE" | head -1)
FIO_VERSION=""
case " $NEEDS " in *" fio "*)
  cp /usr/bin/fio "$ROOT/usr/bin/fio"
  FIO_VERSION=$(fio --version)
  # fio is dynamically linked: copy every library ldd names, at the same path.
  ldd /usr/bin/fio | awk '/=> \//{print $3} /^[ \t]*\/[^ ]*ld-linux/{print $1}' | while read -r lib; do
    mkdir -p "$ROOT$(dirname "$lib")"; cp -L "$lib" "$ROOT$lib"
  done
  ;;
esac
cp "$LAB/guest-init.sh" "$ROOT/init"; chmod +x "$ROOT/init"
cp "$JOBFILE" "$ROOT/job.sh"
# Uncompressed: decompressing 80 MB of fio libraries under TCG costs more than loading them.
(cd "$ROOT" && find . | cpio -o -H newc --quiet) > "$WORK/initrd.cpio"

# Before tracing starts: every QEMU process, even --version, creates an io_uring that the comm filter would catch.
QEMU_VERSION=$(qemu-system-x86_64 --version | head -1)

# ---- 5. host tracefs instances (the global buffer is left alone) ----
IU="$TR/instances/$PREFIX-iou"; BK="$TR/instances/$PREFIX-blk"
mkdir "$IU"; INSTANCES+=("$IU")
mkdir "$BK"; INSTANCES+=("$BK")
for i in "$IU" "$BK"; do echo mono > "$i/trace_clock"; echo 8192 > "$i/buffer_size_kb"; done
HOST_EVENTS=()
# comm filter: QEMU's threads are all "qemu-system-x86"; io-wq workers are "iou-wrk-PID" and are not caught by set_event_pid.
for e in io_uring_create io_uring_submit_req io_uring_queue_async_work io_uring_complete io_uring_req_failed; do
  [ -d "$IU/events/io_uring/$e" ] || continue
  echo 'comm == "qemu-system-x86" || comm ~ "iou-wrk-*"' > "$IU/events/io_uring/$e/filter"
  echo 1 > "$IU/events/io_uring/$e/enable"; HOST_EVENTS+=("io_uring/$e")
done
# dev filter, not pid: completions run in softirq under whatever task is current.
for e in block_bio_queue block_getrq block_rq_insert block_rq_issue block_rq_complete block_rq_merge block_bio_backmerge block_bio_frontmerge block_split; do
  [ -d "$BK/events/block/$e" ] || continue
  echo "dev == $HOST_DEV" > "$BK/events/block/$e/filter"
  echo 1 > "$BK/events/block/$e/enable"; HOST_EVENTS+=("block/$e")
done

# ---- 6. run the guest ----
PART="$OUT.partial"; rm -rf "$PART"; mkdir -p "$PART/host-formats"
for e in "${HOST_EVENTS[@]}"; do cp "$TR/events/$e/format" "$PART/host-formats/${e#*/}.format"; done
read -r RT0 MONO0 W0 < <(perl "$LAB/clock-pair.pl")
echo 1 > "$IU/tracing_on"; echo 1 > "$BK/tracing_on"
if [ "$HOST_BPFTRACE" = 1 ]; then
  "$LAB/../bpftrace/capture.sh" host -o "$WORK/host.bt.txt" &
  BT_PID=$!
  for _ in $(seq 1 300); do grep -q '^# viotrace-bpftrace' "$WORK/host.bt.txt" 2>/dev/null && break; sleep 0.1; done
  grep -q '^# viotrace-bpftrace' "$WORK/host.bt.txt" || { log "bpftrace did not attach"; exit 1; }
fi
QEMU=(qemu-system-x86_64 -M q35 -m 1024 -smp 1 -accel tcg -nic none -display none -monitor none -no-reboot
  -msg timestamp=on
  -kernel "$KERNEL" -initrd "$WORK/initrd.cpio" -append 'console=ttyS0 loglevel=4 mitigations=off'
  -serial "file:$WORK/console.log" -serial "file:$WORK/guest-serial.txt"
  -drive "file=$IMG,if=virtio,format=raw,cache=none,aio=$AIO"
  -trace "events=$LAB/qemu-events.txt,file=$WORK/qemu-trace.log")
log "running job $JOB (QEMU under TCG, about 10-30 s)"
# --pdeathsig: if this script is SIGKILLed (no trap runs), QEMU dies with it.
if setpriv --help 2>&1 | grep -q pdeathsig; then
  setpriv --pdeathsig KILL "${QEMU[@]}" </dev/null >"$WORK/qemu.stdout" 2>&1 &
else
  "${QEMU[@]}" </dev/null >"$WORK/qemu.stdout" 2>&1 &
fi
QEMU_PID=$!
read -r RTQ MONOQ WQ < <(perl "$LAB/clock-pair.pl")
waited=0
while kill -0 "$QEMU_PID" 2>/dev/null; do
  sleep 0.5; waited=$((waited + 1))
  if [ $waited -ge $((TIMEOUT * 2)) ]; then log "QEMU did not finish in ${TIMEOUT}s"; exit 1; fi
done
wait "$QEMU_PID" || { log "QEMU failed: $(tail -3 "$WORK/qemu.stdout")"; exit 1; }
QEMU_STARTED_PID=$QEMU_PID
QEMU_PID=""
echo 0 > "$IU/tracing_on"; echo 0 > "$BK/tracing_on"
if [ -n "$BT_PID" ]; then kill -TERM "$BT_PID"; wait "$BT_PID" || true; BT_PID=""; fi
read -r RT1 MONO1 W1 < <(perl "$LAB/clock-pair.pl")
grep -q '=== GUEST DONE ===' "$WORK/guest-serial.txt" || { log "the guest did not finish (see console.log)"; cp "$WORK/console.log" "$PART/" ; exit 1; }

# ---- 7. collect ----
cat "$IU/trace" > "$PART/host-iouring.txt"
cat "$BK/trace" > "$PART/host-block.txt"
for i in "${INSTANCES[@]}"; do remove_instance "$i"; done
INSTANCES=()
sync
# Paths in the capture are relative: the image is just "disk.img".
filefrag -e "$IMG" | sed "s|$IMGDIR/||g" > "$PART/extents.txt"
cp "$WORK/guest-serial.txt" "$WORK/console.log" "$WORK/qemu-trace.log" "$PART/"
[ "$HOST_BPFTRACE" = 1 ] && cp "$WORK/host.bt.txt" "$PART/"
# Split the guest's side sections out for convenience (the raw serial copy stays the source of truth).
mkdir -p "$PART/guest-formats"
tr -d '\r' < "$WORK/guest-serial.txt" | awk -v dir="$PART/guest-formats" '
  /^=== GUEST FORMATS BEGIN ===/ { on = 1; next }
  /^=== GUEST FORMATS END ===/ { on = 0; next }
  on && /^--- / { n = $2; sub(/.*\//, "", n); f = dir "/" n ".format"; next }
  on && f { print > f }'
tr -d '\r' < "$WORK/guest-serial.txt" | awk -v dir="$PART" '
  /^=== FIO JSON .* BEGIN ===/ { f = dir "/guest-fio-" $4 ".json"; next }
  /^=== FIO JSON .* END ===/ { f = ""; next }
  f { print > f }'
GUEST_INFO=$(tr -d '\r' < "$WORK/guest-serial.txt" | sed -n '/^=== GUEST INFO BEGIN ===/,/^=== GUEST INFO END ===/p' | grep '=' | grep -v '^===' || true)
ginfo() { echo "$GUEST_INFO" | sed -n "s/^$1=//p" | head -1; }
# Streams over 1 MB are gzipped (the readers take .gz).
for f in guest-serial.txt qemu-trace.log host-iouring.txt host-block.txt host.bt.txt console.log; do
  [ -e "$PART/$f" ] || continue
  if [ "$(stat -c %s "$PART/$f")" -gt 1048576 ]; then gzip -9n "$PART/$f"; fi
done
name_of() { if [ -e "$PART/$1.gz" ]; then echo "$1.gz"; else echo "$1"; fi; }

# ---- 8. manifest ----
# JSON string: escape backslash, quote and control characters (the job script has newlines).
js() { local s=${1//\\/\\\\}; s=${s//\"/\\\"}; s=${s//$'\n'/\\n}; s=${s//$'\t'/\\t}; s=${s//$'\r'/}; printf '"%s"' "$s"; }
jarr() { local first=1; printf '['; for x in "$@"; do [ $first = 1 ] || printf ', '; first=0; js "$x"; done; printf ']'; }
GUEST_EVENTS=$(echo "$GUEST_INFO" | sed -n 's/^event=//p' | tr '\n' ' ')
FIO_FILES=$(cd "$PART" && ls guest-fio-*.json 2>/dev/null | tr '\n' ' ' || true)
{
  echo '{'
  echo '  "schema": "viotrace.capture/1",'
  echo "  \"job\": { \"name\": $(js "$JOB"), \"description\": $(js "$DESCRIPTION"), \"iodepth\": ${IODEPTH:-1}, \"script\": $(js "$(grep -v '^#' "$JOBFILE")") },"
  echo "  \"made\": { \"by\": \"scripts/capture-lab/capture.sh\", \"command\": $(js "scripts/capture-lab/capture.sh --job $JOB -o $(basename "$OUT") --aio $AIO$([ "$HOST_BPFTRACE" = 1 ] && echo ' --host-bpftrace')"), \"qemu_command\": $(js "$(echo "${QEMU[*]}" | sed "s|$WORK/||g; s|$IMGDIR/||g; s|$LAB/|scripts/capture-lab/|g")"), \"date_utc\": $(js "$(date -u +%Y-%m-%dT%H:%M:%SZ)"), \"accel\": \"tcg\" },"
  echo "  \"versions\": { \"host_kernel\": $(js "$(uname -r)"), \"guest_kernel\": $(js "$(ginfo uname_r)"), \"qemu\": $(js "$QEMU_VERSION"), \"fio\": $(js "$FIO_VERSION"), \"busybox\": $(js "$(busybox 2>&1 | head -1)") },"
  echo "  \"qemu\": { \"pid\": $QEMU_STARTED_PID, \"aio\": $(js "$AIO"), \"cache\": \"none\", \"format\": \"raw\", \"image_bytes\": $(stat -c %s "$IMG") },"
  echo "  \"guest\": { \"device\": \"vda\", \"dev\": $(js "$(ginfo vda_dev)"), \"scheduler\": $(js "$(ginfo vda_scheduler)"), \"max_sectors_kb\": $(js "$(ginfo vda_max_sectors_kb)"),"
  echo "             \"uptime_at_init_s\": $(js "$(ginfo uptime_at_init_s)"), \"uptime_at_start_s\": $(js "$(ginfo uptime_at_start_s)"), \"uptime_at_end_s\": $(js "$(ginfo uptime_at_end_s)"), \"realtime_at_init_s\": $(js "$(ginfo realtime_at_init_s)") },"
  echo "  \"host\": { \"device\": $(js "$HOST_DEVNAME"), \"dev\": $HOST_DEV, \"major\": $maj, \"minor\": $min, \"partition_start_sectors\": $PART_START, \"loop\": $([ -n "$LOOP_DEV" ] && echo true || echo false) },"
  echo "  \"events\": { \"guest\": $(jarr $GUEST_EVENTS), \"host\": $(jarr "${HOST_EVENTS[@]}"), \"qemu\": $(jarr $(grep -v "^#" "$LAB/qemu-events.txt")),"
  echo "              \"host_filters\": { \"io_uring\": \"comm == \\\"qemu-system-x86\\\" || comm ~ \\\"iou-wrk-*\\\"\", \"block\": \"dev == $HOST_DEV\" } },"
  echo '  "clocks": {'
  echo '    "guest": "guest-mono", "qemu": "host-realtime", "host_iouring": "host-mono", "host_block": "host-mono",'
  echo '    "note": "pairs sample CLOCK_REALTIME on both sides of CLOCK_MONOTONIC (width_ns bounds the error); guest mono has no direct link to the host: estimate it from causal pairs. qemu_started is sampled right after QEMU was spawned, so guest mono 0 is later than it.",'
  echo "    \"pairs\": ["
  echo "      { \"when\": \"before\", \"realtime_ns\": \"$RT0\", \"mono_ns\": \"$MONO0\", \"width_ns\": $W0 },"
  echo "      { \"when\": \"qemu_started\", \"realtime_ns\": \"$RTQ\", \"mono_ns\": \"$MONOQ\", \"width_ns\": $WQ },"
  echo "      { \"when\": \"after\", \"realtime_ns\": \"$RT1\", \"mono_ns\": \"$MONO1\", \"width_ns\": $W1 }"
  echo '    ]'
  echo '  },'
  echo "  \"files\": { \"guest\": $(js "$(name_of guest-serial.txt)"), \"qemu\": $(js "$(name_of qemu-trace.log)"), \"host_iouring\": $(js "$(name_of host-iouring.txt)"), \"host_block\": $(js "$(name_of host-block.txt)"),"
  echo "             \"console\": $(js "$(name_of console.log)"), \"extents\": \"extents.txt\", \"guest_formats\": \"guest-formats\", \"host_formats\": \"host-formats\", \"fio\": $(jarr $FIO_FILES)$([ "$HOST_BPFTRACE" = 1 ] && echo ", \"host_bpftrace\": $(js "$(name_of host.bt.txt)")") }"
  echo '}'
} > "$PART/manifest.json"

rm -rf "$OUT"
mv "$PART" "$OUT"
log "wrote $OUT: $(cd "$OUT" && ls | tr '\n' ' ')"
