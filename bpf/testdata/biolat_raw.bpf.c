// A libbpf-tools style block tool on raw tracepoints (biolatency's raw_tp fallback, bitesize's reads): requests keyed by their struct request *, issue-to-complete latency per direction as log2 histograms, fields of the request read with CO-RE.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

/* What this tool reads beyond the paired programs' declarations: flavours of the kernel's types
 * (the ___ suffix is dropped when CO-RE matches them), as libbpf-tools declare them. */
struct gendisk___tool {
	char disk_name[32];
} __attribute__((preserve_access_index));

struct request_queue___tool {
	struct gendisk___tool *disk;
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

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u64);
} start SEC(".maps");

// usecs per direction, log2 buckets: [2^i, 2^(i+1))
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

u64 inserted = 0;
u64 completed = 0;
u64 unmatched = 0;
u64 bytes = 0;
/* Completions whose nr_bytes is not the request's __data_len (a partial completion). */
u64 partial = 0;
/* The highest tag seen: below the queue depth. */
s64 max_tag = -1;
/* The disk the last request was on, from rq->q->disk->disk_name. */
char disk[32] = {};

SEC("raw_tp/block_rq_insert")
int BPF_PROG(block_rq_insert, struct request___tool *rq)
{
	__sync_fetch_and_add(&inserted, 1);
	return 0;
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(block_rq_issue, struct request___tool *rq)
{
	u64 key = (u64)rq;
	u64 now = bpf_ktime_get_ns();
	s64 tag = BPF_CORE_READ(rq, tag);

	bpf_map_update_elem(&start, &key, &now, BPF_ANY);
	if (tag > max_tag)
		max_tag = tag;
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(block_rq_complete, struct request___tool *rq, int error, unsigned int nr_bytes)
{
	u64 key = (u64)rq;
	u64 *t = bpf_map_lookup_elem(&start, &key);

	if (!t) {
		__sync_fetch_and_add(&unmatched, 1);
		return 0;
	}
	u64 us = (bpf_ktime_get_ns() - *t) / 1000;
	bpf_map_delete_elem(&start, &key);
	u32 slot = 0;
	while (us > 1 && slot < MAX_SLOTS - 1) {
		us >>= 1;
		slot++;
	}
	u32 op = BPF_CORE_READ(rq, cmd_flags) & REQ_OP_MASK;
	u64 *n = bpf_map_lookup_elem(op == REQ_OP_WRITE ? (void *)&write_usecs : (void *)&read_usecs, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	if (BPF_CORE_READ(rq, __data_len) != nr_bytes)
		__sync_fetch_and_add(&partial, 1);
	__sync_fetch_and_add(&bytes, nr_bytes);
	__sync_fetch_and_add(&completed, 1);
	BPF_CORE_READ_STR_INTO(&disk, rq, q, disk, disk_name);
	return 0;
}
