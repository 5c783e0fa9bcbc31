/* kernel.h: the few Linux 6.18 types the paired programs read, declared for CO-RE.
 *
 * Instead of a 3 MB vmlinux.h, only the fields used are declared; preserve_access_index makes
 * every access a CO-RE relocation, so libbpf (or viotrace's loader) fixes the offsets up against
 * the running kernel's BTF, as libbpf-tools do. Tracepoint records are the tracefs formats of
 * Linux 6.18 (kernel/tracefs-formats), byte for byte, common header included. */
#ifndef VIOTRACE_KERNEL_H
#define VIOTRACE_KERNEL_H

/* bpf_tracing.h picks the kernel's pt_regs field names (di, si, ...) when this is defined. */
#define __VMLINUX_H__

typedef unsigned char __u8;
typedef signed char __s8;
typedef unsigned short __u16;
typedef short __s16;
typedef unsigned int __u32;
typedef int __s32;
typedef unsigned long long __u64;
typedef long long __s64;
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __s32 s32;
typedef __u64 u64;
typedef __s64 s64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
typedef __u32 dev_t;
typedef __u64 sector_t;
enum { false = 0, true = 1 };

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_HASH = 5,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_CGROUP_ARRAY = 8,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum { BPF_ANY = 0, BPF_NOEXIST = 1, BPF_EXIST = 2 };

/* x86-64 struct pt_regs, the kprobe/uprobe context: a fixed ABI, read without relocation. */
struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};

#pragma clang attribute push(__attribute__((preserve_access_index)), apply_to = record)

struct gendisk {
	int major;
	int first_minor;
};

struct request_queue {
	struct gendisk *disk;
};

struct blk_mq_hw_ctx {
	unsigned int queue_num;
};

struct request {
	struct request_queue *q;
	struct blk_mq_hw_ctx *mq_hctx;
	unsigned int __data_len;
	sector_t __sector;
};

struct blk_mq_queue_data {
	struct request *rq;
	bool last;
};

struct virtqueue {
	unsigned int index;
};

/* The split/packed ring behind a struct virtqueue (drivers/virtio/virtio_ring.c). */
struct vring_virtqueue {
	struct virtqueue vq;
	bool packed_ring;
	unsigned int free_head;
};

#pragma clang attribute pop

/* Tracepoint records (tracefs formats of Linux 6.18). */
struct trace_entry {
	unsigned short type;
	unsigned char flags;
	unsigned char preempt_count;
	int pid;
};

/* block:block_bio_queue, block:block_bio_backmerge (same layout) */
struct trace_event_raw_block_bio {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	char rwbs[10];
	char comm[16];
};

/* block:block_split */
struct trace_event_raw_block_split {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	sector_t new_sector;
	char rwbs[10];
	char comm[16];
};

/* block:block_rq_insert, block:block_rq_issue (same layout) */
struct trace_event_raw_block_rq {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	unsigned int bytes;
	unsigned short ioprio;
	char rwbs[10];
	char comm[16];
	u32 __data_loc_cmd;
};

/* block:block_rq_complete */
struct trace_event_raw_block_rq_completion {
	struct trace_entry ent;
	dev_t dev;
	sector_t sector;
	unsigned int nr_sector;
	int error;
	unsigned short ioprio;
	char rwbs[10];
	u32 __data_loc_cmd;
};

/* io_uring:io_uring_submit_req */
struct trace_event_raw_io_uring_submit_req {
	struct trace_entry ent;
	void *ctx;
	void *req;
	unsigned long long user_data;
	u8 opcode;
	unsigned long long flags;
	bool sq_thread;
	u32 __data_loc_op_str;
};

/* io_uring:io_uring_queue_async_work */
struct trace_event_raw_io_uring_queue_async_work {
	struct trace_entry ent;
	void *ctx;
	void *req;
	u64 user_data;
	u8 opcode;
	unsigned long long flags;
	void *work;
	int rw;
	u32 __data_loc_op_str;
};

/* io_uring:io_uring_complete */
struct trace_event_raw_io_uring_complete {
	struct trace_entry ent;
	void *ctx;
	void *req;
	u64 user_data;
	int res;
	unsigned cflags;
	u64 extra1;
	u64 extra2;
};

/* kvm:kvm_exit */
struct trace_event_raw_kvm_exit {
	struct trace_entry ent;
	unsigned int exit_reason;
	unsigned long guest_rip;
	u32 isa;
	u64 info1;
	u64 info2;
	u32 intr_info;
	u32 error_code;
	unsigned int vcpu_id;
	u64 requests;
};

/* kvm:kvm_entry */
struct trace_event_raw_kvm_entry {
	struct trace_entry ent;
	unsigned int vcpu_id;
	unsigned long rip;
	bool immediate_exit;
	u32 intr_info;
	u32 error_code;
};

/* kvm:kvm_fast_mmio */
struct trace_event_raw_kvm_fast_mmio {
	struct trace_entry ent;
	u64 gpa;
};

/* kvm:kvm_pio */
struct trace_event_raw_kvm_pio {
	struct trace_entry ent;
	unsigned int rw;
	unsigned int port;
	unsigned int size;
	unsigned int count;
	unsigned int val;
};

/* kvm:kvm_apic_accept_irq */
struct trace_event_raw_kvm_apic_accept_irq {
	struct trace_entry ent;
	__u32 apicid;
	__u16 dm;
	__u16 tm;
	__u8 vec;
};

/* kvm:kvm_msi_set_irq */
struct trace_event_raw_kvm_msi_set_irq {
	struct trace_entry ent;
	__u64 address;
	__u64 data;
};

#endif
