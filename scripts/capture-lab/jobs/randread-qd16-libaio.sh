# job: fio randread 4k at iodepth 16 with the libaio engine
# needs: fio
# iodepth: 16
phase randread-qd16-libaio
fio --thread --output-format=json --output=/tmp/fio-randread-qd16-libaio.json --name=randread-qd16-libaio \
  --filename=/dev/vda --direct=1 --ioengine=libaio --iodepth=16 --rw=randread --bs=4k --size=48m --number_ios=320 \
  --randrepeat=1 --randseed=16 >/dev/null 2>&1
