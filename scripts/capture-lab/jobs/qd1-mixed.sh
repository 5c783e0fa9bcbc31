# job: dd-like reads and writes at queue depth 1 (busybox dd, O_DIRECT), 4k to 1M, and a write with fsync (a FLUSH that QEMU punts to io-wq)
# needs: busybox
# iodepth: 1
phase read4k
dd if=/dev/vda of=/dev/null bs=4096 count=96 skip=256 iflag=direct 2>/dev/null
phase read64k
dd if=/dev/vda of=/dev/null bs=65536 count=24 skip=64 iflag=direct 2>/dev/null
phase read1m
dd if=/dev/vda of=/dev/null bs=1048576 count=4 skip=8 iflag=direct 2>/dev/null
phase write4k
dd if=/dev/zero of=/dev/vda bs=4096 count=64 seek=4096 oflag=direct conv=notrunc 2>/dev/null
phase write16k-fsync
dd if=/dev/zero of=/dev/vda bs=16384 count=16 seek=2048 oflag=direct conv=notrunc,fsync 2>/dev/null
