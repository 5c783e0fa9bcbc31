// A libbpf-tools style block tool on BTF-typed tracepoints (biolatency's and bitesize's tp_btf programs): the struct request * argument is a kernel pointer the verifier types from BTF, its fields read directly (rq->tag, rq->q->disk->major), which the kernel turns into faulting-safe PROBE_MEM loads.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* Flavours of the kernel's types, as libbpf-tools declare them (CO-RE drops the ___ suffix). */
struct gendisk___tool {
	int major;
	int first_minor;
	char disk_name[32];
} __attribute__((preserve_access_index));

struct request_queue___tool {
	struct gendisk___tool *disk;
	void *elevator;
} __attribute__((preserve_access_index));

struct request___tool {
	struct request_queue___tool *q;
	unsigned int cmd_flags;
	int tag;
	unsigned int __data_len;
	sector_t __sector;
} __attribute__((preserve_access_index));

#define REQ_OP_MASK 0xff
#define REQ_OP_WRITE 1
#define MAX_SLOTS 32

/* Keyed by the struct request * itself, as biosnoop keys its start map (&rq). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct request___tool *);
	__type(value, u64);
} start SEC(".maps");

/* usecs per direction, log2 buckets: [2^i, 2^(i+1)) */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} read_usecs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} write_usecs SEC(".maps");

/* Request sizes in KiB, log2 buckets, as bitesize counts them at issue. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} size_kib SEC(".maps");

u64 inserted = 0;
u64 completed = 0;
u64 unmatched = 0;
u64 bytes = 0;
u64 partial = 0;
/* Requests whose queue has no disk (never on a real block device; the branch is kept as tools keep it). */
u64 no_disk = 0;
s64 max_tag = -1;
u32 dev = 0;
/* The first letter of the disk name read directly, and the whole name through the helper. */
char first = 0;
char disk[32] = {};
u64 last_sector = 0;
/* Issues of requests whose queue has an I/O scheduler (q->elevator, as biosnoop -Q tests it). */
u64 elevator_issues = 0;

static __always_inline u32 log2_slot(u64 v)
{
	u32 slot = 0;

	while (v > 1 && slot < MAX_SLOTS - 1) {
		v >>= 1;
		slot++;
	}
	return slot;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request___tool *rq)
{
	__sync_fetch_and_add(&inserted, 1);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request___tool *rq)
{
	u64 now = bpf_ktime_get_ns();
	s64 tag = rq->tag;
	u32 slot = log2_slot(rq->__data_len / 1024);
	u64 *n = bpf_map_lookup_elem(&size_kib, &slot);

	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_map_update_elem(&start, &rq, &now, BPF_ANY);
	if (tag > max_tag)
		max_tag = tag;
	if (rq->q->elevator)
		__sync_fetch_and_add(&elevator_issues, 1);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request___tool *rq, int error, unsigned int nr_bytes)
{
	u64 *t = bpf_map_lookup_elem(&start, &rq);

	if (!t) {
		__sync_fetch_and_add(&unmatched, 1);
		return 0;
	}
	u32 slot = log2_slot((bpf_ktime_get_ns() - *t) / 1000);
	bpf_map_delete_elem(&start, &rq);
	u32 op = rq->cmd_flags & REQ_OP_MASK;
	u64 *n = bpf_map_lookup_elem(op == REQ_OP_WRITE ? (void *)&write_usecs : (void *)&read_usecs, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	if (rq->__data_len != nr_bytes)
		__sync_fetch_and_add(&partial, 1);
	__sync_fetch_and_add(&bytes, nr_bytes);
	__sync_fetch_and_add(&completed, 1);
	last_sector = rq->__sector;
	struct gendisk___tool *d = rq->q->disk;
	if (!d) {
		__sync_fetch_and_add(&no_disk, 1);
		return 0;
	}
	dev = ((u32)d->major << 20) | (u32)d->first_minor;
	first = d->disk_name[0];
	bpf_probe_read_kernel_str(&disk, sizeof(disk), d->disk_name);
	return 0;
}
