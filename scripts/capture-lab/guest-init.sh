#!/bin/sh
# The guest's /init (busybox sh): loads virtio-blk, traces the block and io_uring events with the mono clock, runs /job.sh, dumps everything to ttyS1.
# Why ttyS1: the kernel console (ttyS0) can interleave printk lines with the trace text; the second port carries only our sections.
export PATH=/bin:/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp && mount -t tmpfs tmp /tmp
mount -t tracefs nodev /sys/kernel/tracing
OUT=/dev/ttyS1
say() { echo "$*" > $OUT; }

say "=== GUEST INFO BEGIN ==="
say "uptime_at_init_s=$(cut -d' ' -f1 /proc/uptime)"
say "realtime_at_init_s=$(date +%s)"
say "uname_r=$(uname -r)"
# The virtio modules in dependency order (Debian builds virtio-blk as a module).
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
i=0; while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done
[ -b /dev/vda ] || { say "error=no /dev/vda"; say "=== GUEST INFO END ==="; poweroff -f; }
say "vda_dev=$(cat /sys/block/vda/dev)"
say "vda_scheduler=$(cat /sys/block/vda/queue/scheduler)"
say "vda_max_sectors_kb=$(cat /sys/block/vda/queue/max_sectors_kb)"
command -v fio >/dev/null && say "fio_version=$(fio --version)"

T=/sys/kernel/tracing
echo mono > $T/trace_clock
echo 8192 > $T/buffer_size_kb
EVENTS="block/block_bio_queue block/block_getrq block/block_rq_insert block/block_rq_issue block/block_rq_complete
block/block_rq_merge block/block_bio_backmerge block/block_bio_frontmerge block/block_split block/block_plug block/block_unplug
io_uring/io_uring_submit_req io_uring/io_uring_submit_sqe io_uring/io_uring_queue_async_work io_uring/io_uring_complete"
ON=""
for e in $EVENTS; do
  if [ -e $T/events/$e/enable ]; then echo 1 > $T/events/$e/enable && ON="$ON $e" && say "event=$e"; fi
done
# Phase markers land in the trace (tracing_mark_write) so each part of a job can be found again.
phase() { echo "PHASE $*" > $T/trace_marker; }
echo > $T/trace
echo 1 > $T/tracing_on
say "uptime_at_start_s=$(cut -d' ' -f1 /proc/uptime)"
phase start
. /job.sh
phase end
echo 0 > $T/tracing_on
say "uptime_at_end_s=$(cut -d' ' -f1 /proc/uptime)"
say "=== GUEST INFO END ==="

say "=== GUEST TRACE BEGIN ==="
cat $T/trace > $OUT
say "=== GUEST TRACE END ==="
say "=== GUEST FORMATS BEGIN ==="
for e in $ON; do say "--- $e"; cat $T/events/$e/format > $OUT; done
say "=== GUEST FORMATS END ==="
for f in /tmp/fio-*.json; do
  [ -f "$f" ] || continue
  n=${f#/tmp/fio-}; n=${n%.json}
  say "=== FIO JSON $n BEGIN ==="; cat "$f" > $OUT; say "=== FIO JSON $n END ==="
done
say "=== GUEST DONE ==="
sync
poweroff -f
