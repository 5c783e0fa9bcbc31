# job: fio randrw 4k at iodepth 16 (io_uring engine), then sequential 4k writes at iodepth 16 with guest merging off, so QEMU merges them (virtio_blk_submit_multireq)
# needs: fio
# iodepth: 16
phase randrw-qd16
fio --thread --output-format=json --output=/tmp/fio-randrw-qd16.json --name=randrw-qd16 --filename=/dev/vda \
  --direct=1 --ioengine=io_uring --iodepth=16 --rw=randrw --rwmixread=70 --bs=4k --size=48m --number_ios=320 \
  --randrepeat=1 --randseed=8 >/dev/null 2>&1
phase seqwrite-qd16-nomerges
echo 2 > /sys/block/vda/queue/nomerges
fio --thread --output-format=json --output=/tmp/fio-seqwrite-qd16.json --name=seqwrite-qd16 --filename=/dev/vda \
  --direct=1 --ioengine=io_uring --iodepth=16 --iodepth_batch_submit=16 --rw=write --bs=4k --offset=40m --size=1m \
  --number_ios=192 >/dev/null 2>&1
echo 0 > /sys/block/vda/queue/nomerges
