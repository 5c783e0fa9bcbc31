/* records.h: the ring-buffer records of the paired programs (docs/design/request-path.md §3).
 *
 * One source of layout: user space decodes records by reading these structs from the object's
 * BTF (field names and offsets), so a field added here reaches the decoder without a second
 * table. Every record starts with its kind. Times are bpf_ktime_get_ns() of the side's own clock;
 * 0 means "not seen". */
#ifndef VIOTRACE_RECORDS_H
#define VIOTRACE_RECORDS_H

enum vt_record_kind {
	VT_GUEST_RQ = 1,
	VT_GUEST_APP_OP = 2,
	VT_QEMU_REQ = 3,
	VT_URING_OP = 4,
	VT_HOST_BLK = 5,
	VT_KICK = 6,
	VT_NOTIFY = 7,
};

/* One guest block request, at block:block_rq_complete. */
struct vt_guest_rq {
	__u32 kind;
	__u32 dev;
	__u64 sector;
	__u32 nr_sector;
	__s32 error;
	__s32 hwq;
	__s32 vq;
	__s32 head;
	__u32 cpu;
	__u32 kick_seq;
	char rwbs[12];
	__u64 app_user_data;
	__u64 t_bio_queue;
	__u64 t_rq_insert;
	__u64 t_rq_issue;
	__u64 t_queue_rq;
	__u64 t_vq_add;
	__u64 t_kick;
	__u64 t_vring_interrupt;
	__u64 t_complete_rq;
	__u64 t_rq_complete;
};

/* One io_uring operation of a guest application, at io_uring:io_uring_complete. */
struct vt_guest_app_op {
	__u32 kind;
	__u32 pid;
	__u64 user_data;
	__u32 opcode;
	__s32 res;
	__u64 t_submit;
	__u64 t_complete;
};

/* One guest request as QEMU handled it, at virtio_blk_req_complete. */
struct vt_qemu_req {
	__u32 kind;
	__u32 qemu_pid;
	__u32 tid;
	__u32 vq;
	__u64 vdev;
	__u32 head;
	__u32 type;
	__u64 sector;
	__u64 nbytes;
	__u32 status;
	__u32 merged_count;
	__u64 user_data;
	__u32 notify_seq;
	__u32 pad;
	__u64 t_handle;
	__u64 t_pop;
	__u64 t_aio;
	__u64 t_req_complete;
};

/* One host io_uring operation, at io_uring:io_uring_complete. */
struct vt_uring_op {
	__u32 kind;
	__u32 pid;
	__u32 tid;
	__s32 fd;
	__u64 user_data;
	__u32 opcode;
	__s32 res;
	__u64 offset;
	__u64 nbytes;
	__u32 punted;
	__u32 resubmit;
	__u64 t_luring_submit;
	__u64 t_submit;
	__u64 t_complete;
};

/* One request on the host block device, at block:block_rq_complete. */
struct vt_host_blk {
	__u32 kind;
	__u32 dev;
	__u64 sector;
	__u32 nr_sector;
	__s32 error;
	__u32 pid;
	char rwbs[12];
	__u32 pad;
	__u64 t_insert;
	__u64 t_issue;
	__u64 t_complete;
};

/* A guest notify that exited to KVM (kvm:kvm_fast_mmio or kvm:kvm_pio). */
struct vt_kick {
	__u32 kind;
	__u32 qemu_pid;
	__u32 tid;
	__u32 pad;
	__u64 gpa;
	__u64 t;
};

/* One interrupt notification from QEMU and its injection by KVM. */
struct vt_notify {
	__u32 kind;
	__u32 qemu_pid;
	__u32 tid;
	__u32 vq;
	__u64 vdev;
	__u32 seq;
	__s32 vector;
	__u64 t_notify;
	__u64 t_inject;
};

#endif
