// fentry/fexit pairs on the guest's virtio-blk functions: time inside virtio_queue_rq (the batch's last request's call includes the kick), what virtqueue_kick_prepare returned, and the request blk_mq_start_request was given, read again on its return. (The kernel here refuses fentry and fexit programs with EPERM: no ftrace direct calls, so only viotrace's verifier checks these.)
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct request___tool {
	int tag;
} __attribute__((preserve_access_index));

#define MAX_SLOTS 32

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} entered SEC(".maps");

/* ns inside virtio_queue_rq, log2 buckets. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} queue_rq_ns SEC(".maps");

u64 queue_rq_returns = 0;
u64 nonzero_status = 0;
u64 kicks_wanted = 0;
u64 kicks_not_wanted = 0;
u64 notifies = 0;
u64 starts_returned = 0;
s64 max_tag = -1;
u64 unmatched = 0;

SEC("fentry/virtio_queue_rq")
int BPF_PROG(queue_rq_entry, void *hctx, void *bd)
{
	u32 cpu = bpf_get_smp_processor_id();
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&entered, &cpu, &now, BPF_ANY);
	return 0;
}

SEC("fexit/virtio_queue_rq")
int BPF_PROG(queue_rq_exit, void *hctx, void *bd, int ret)
{
	u32 cpu = bpf_get_smp_processor_id();
	u64 *t = bpf_map_lookup_elem(&entered, &cpu);
	u32 slot = 0;

	__sync_fetch_and_add(&queue_rq_returns, 1);
	if (ret)
		__sync_fetch_and_add(&nonzero_status, 1);
	if (!t) {
		__sync_fetch_and_add(&unmatched, 1);
		return 0;
	}
	u64 ns = bpf_ktime_get_ns() - *t;
	while (ns > 1 && slot < MAX_SLOTS - 1) {
		ns >>= 1;
		slot++;
	}
	u64 *n = bpf_map_lookup_elem(&queue_rq_ns, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_map_delete_elem(&entered, &cpu);
	return 0;
}

SEC("fexit/virtqueue_kick_prepare")
int BPF_PROG(kick_prepare_exit, void *vq, bool ret)
{
	if (ret)
		__sync_fetch_and_add(&kicks_wanted, 1);
	else
		__sync_fetch_and_add(&kicks_not_wanted, 1);
	return 0;
}

SEC("fentry/virtqueue_notify")
int BPF_PROG(notify_entry, void *vq)
{
	__sync_fetch_and_add(&notifies, 1);
	return 0;
}

SEC("fexit/blk_mq_start_request")
int BPF_PROG(start_exit, struct request___tool *rq)
{
	s64 tag;

	if (!rq)
		return 0;
	tag = rq->tag;
	__sync_fetch_and_add(&starts_returned, 1);
	if (tag > max_tag)
		max_tag = tag;
	return 0;
}
