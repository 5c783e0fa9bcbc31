/* qemu.h: the QEMU structures the host program reads, at their offsets in QEMU 7.2 on x86-64.
 *
 * QEMU ships no BTF, so these are plain layouts (no CO-RE): padding fields hold the members the
 * program does not read, and _Static_asserts pin every offset that is read. The offsets follow
 * QEMU 7.2's sources (include/hw/virtio/virtio.h, include/hw/virtio/virtio-blk.h,
 * include/qemu/iov.h, block/io_uring.c); on another build check them with
 * `pahole -C VirtIOBlockReq qemu-system-x86_64`. viotrace's simulator lays out simulated QEMU
 * memory from the BTF clang emits for this file, so this header is the one source. */
#ifndef VIOTRACE_QEMU_H
#define VIOTRACE_QEMU_H

struct qemu_iovec {
	__u64 iov_base;
	__u64 iov_len;
};

/* include/qemu/iov.h: QEMUIOVector (size overlays local_iov.iov_len). */
struct QEMUIOVector {
	__u64 iov;          /* struct iovec * */
	int niov;
	int pad0;            /* the union that follows holds pointers: 8-aligned */
	int nalloc;
	int pad1;
	__u64 local_iov_base;
	__u64 size;         /* data bytes */
};

/* include/hw/virtio/virtio.h: VirtQueueElement. */
struct VirtQueueElement {
	unsigned int index;  /* descriptor chain head */
	unsigned int len;
	unsigned int ndescs;
	unsigned int out_num;
	unsigned int in_num;
	unsigned int pad;
	__u64 in_addr;
	__u64 out_addr;
	__u64 in_sg;         /* struct iovec * */
	__u64 out_sg;        /* struct iovec *: out_sg[0] is the virtio_blk_outhdr */
};

/* The request header the driver puts first in every chain (virtio spec 5.2.6). */
struct virtio_blk_outhdr {
	__u32 type;          /* VIRTIO_BLK_T_IN 0, OUT 1, FLUSH 4, GET_ID 8, DISCARD 11, WRITE_ZEROES 13 */
	__u32 ioprio;
	__u64 sector;
};

/* include/hw/virtio/virtio-blk.h: VirtIOBlockReq. */
struct VirtIOBlockReq {
	struct VirtQueueElement elem;         /* 0 */
	__s64 sector_num;                     /* 56 */
	__u64 dev;                            /* 64: VirtIOBlock *, whose first member is the VirtIODevice */
	__u64 vq;                             /* 72: VirtQueue * */
	char inhdr_undo[24];                  /* 80 */
	char outhdr_undo[24];                 /* 104 */
	__u64 in;                             /* 128 */
	struct virtio_blk_outhdr out;         /* 136 */
	struct QEMUIOVector qiov;             /* 152 */
	__u64 in_len;                         /* 192 */
	__u64 next;                           /* 200 */
	__u64 mr_next;                        /* 208: next request of a merged (multireq) group, 0 ends it */
};

/* hw/virtio/virtio.c: VirtQueue (the members up to vdev). */
struct VirtQueue {
	char vring[48];                       /* 0: VRing */
	__u64 used_elems;                     /* 48 */
	__u16 last_avail_idx;                 /* 56 */
	_Bool last_avail_wrap_counter;
	char pad0;
	__u16 shadow_avail_idx;               /* 60 */
	_Bool shadow_avail_wrap_counter;
	char pad1;
	__u16 used_idx;                       /* 64 */
	_Bool used_wrap_counter;
	char pad2;
	__u16 signalled_used;                 /* 68 */
	_Bool signalled_used_valid;
	_Bool notification;
	__u16 queue_index;                    /* 72 */
	__u16 pad3;
	unsigned int inuse;                   /* 76 */
	__u16 vector;                         /* 80 */
	char pad4[6];
	__u64 handle_output;                  /* 88 */
	__u64 vdev;                           /* 96: VirtIODevice * */
};

/* block/io_uring.c: LuringAIOCB, whose address is the io_uring user_data. */
struct LuringAIOCB {
	__u64 co;                             /* 0 */
	char sqeq[64];                        /* 8: struct io_uring_sqe */
	__s64 ret;                            /* 72 */
	__u64 qiov;                           /* 80: QEMUIOVector * */
	_Bool is_read;                        /* 88 */
};

/* Every QEMU type above, so that a kept symbol of this type puts them all into the object's BTF
 * (clang emits BTF only for types some kept symbol or function uses): the simulator lays QEMU's
 * memory out from that BTF, so this header stays the one source of the offsets. */
struct qemu_layouts {
	/* By value: clang describes a struct only reached through a pointer as a forward declaration. */
	struct VirtIOBlockReq req;
	struct VirtQueue vq;
	struct LuringAIOCB lcb;
	struct qemu_iovec iov;
};

#define QEMU_OFFSET(t, m) __builtin_offsetof(struct t, m)
_Static_assert(QEMU_OFFSET(QEMUIOVector, size) == 32, "QEMUIOVector.size");
_Static_assert(QEMU_OFFSET(VirtIOBlockReq, sector_num) == 56, "VirtIOBlockReq.sector_num");
_Static_assert(QEMU_OFFSET(VirtIOBlockReq, vq) == 72, "VirtIOBlockReq.vq");
_Static_assert(QEMU_OFFSET(VirtIOBlockReq, out) == 136, "VirtIOBlockReq.out");
_Static_assert(QEMU_OFFSET(VirtIOBlockReq, qiov) == 152, "VirtIOBlockReq.qiov");
_Static_assert(QEMU_OFFSET(VirtIOBlockReq, mr_next) == 208, "VirtIOBlockReq.mr_next");
_Static_assert(QEMU_OFFSET(VirtQueue, queue_index) == 72, "VirtQueue.queue_index");
_Static_assert(QEMU_OFFSET(VirtQueue, vdev) == 96, "VirtQueue.vdev");
_Static_assert(QEMU_OFFSET(LuringAIOCB, qiov) == 80, "LuringAIOCB.qiov");

#endif
