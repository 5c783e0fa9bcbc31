// fentry/fexit pairs on the guest's virtio-blk functions: time inside virtio_queue_rq (the batch's last request's call includes the kick) and inside virtqueue_notify (the VM exit), what virtqueue_kick_prepare and vring_interrupt returned, and the request blk_mq_start_request was given, read again on its return. (The kernel here refuses fentry and fexit programs with EPERM: no ftrace direct calls, so only viotrace's verifier checks these.)
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

/* ns inside virtqueue_notify: the notify's VM exit, log2 buckets. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_SLOTS);
	__type(key, u32);
	__type(value, u64);
} notify_ns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u32);
	__type(value, u64);
} notifying SEC(".maps");

u64 notify_returns = 0;
u64 notify_true = 0;
u64 interrupts = 0;
u64 irq_handled = 0;
u64 irq_none = 0;
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

static __always_inline u32 log2_slot(u64 v)
{
	u32 slot = 0;

	while (v > 1 && slot < MAX_SLOTS - 1) {
		v >>= 1;
		slot++;
	}
	return slot;
}

SEC("fentry/virtqueue_notify")
int BPF_PROG(notify_entry, void *vq)
{
	u32 cpu = bpf_get_smp_processor_id();
	u64 now = bpf_ktime_get_ns();

	__sync_fetch_and_add(&notifies, 1);
	bpf_map_update_elem(&notifying, &cpu, &now, BPF_ANY);
	return 0;
}

SEC("fexit/virtqueue_notify")
int BPF_PROG(notify_exit, void *vq, bool ret)
{
	u32 cpu = bpf_get_smp_processor_id();
	u64 *t = bpf_map_lookup_elem(&notifying, &cpu);

	__sync_fetch_and_add(&notify_returns, 1);
	if (ret)
		__sync_fetch_and_add(&notify_true, 1);
	if (!t)
		return 0;
	u32 slot = log2_slot(bpf_ktime_get_ns() - *t);
	u64 *n = bpf_map_lookup_elem(&notify_ns, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	bpf_map_delete_elem(&notifying, &cpu);
	return 0;
}

SEC("fentry/vring_interrupt")
int BPF_PROG(irq_entry, int irq, void *vq)
{
	__sync_fetch_and_add(&interrupts, 1);
	return 0;
}

SEC("fexit/vring_interrupt")
int BPF_PROG(irq_exit, int irq, void *vq, int ret)
{
	if (ret == 1)
		__sync_fetch_and_add(&irq_handled, 1);
	else if (ret == 0)
		__sync_fetch_and_add(&irq_none, 1);
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
