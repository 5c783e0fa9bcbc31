// fentry programs on the guest's virtio-blk and blk-mq functions (BPF trampolines, typed by the functions' BTF): ->queue_rq's request through bd->rq, read directly, and its hardware queue; the notify; the completion's request, which as an fentry argument may be NULL and is tested. (The kernel here refuses every fentry program with EPERM: no ftrace direct calls, so only viotrace's verifier checks these.)
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct request___tool {
	int tag;
	unsigned int __data_len;
} __attribute__((preserve_access_index));

struct blk_mq_queue_data___tool {
	struct request___tool *rq;
} __attribute__((preserve_access_index));

struct blk_mq_hw_ctx___tool {
	unsigned int queue_num;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct request___tool *);
	__type(value, u64);
} queued SEC(".maps");

u64 queue_rqs = 0;
u64 queue_bytes = 0;
u32 max_queue = 0;
s64 max_tag = -1;
u64 completions = 0;
u64 completed_bytes = 0;
/* Completions of requests ->queue_rq never saw. */
u64 unmatched = 0;
u64 null_rq = 0;
u64 kicks = 0;

SEC("fentry/virtio_queue_rq")
int BPF_PROG(queue_rq, struct blk_mq_hw_ctx___tool *hctx, const struct blk_mq_queue_data___tool *bd)
{
	struct request___tool *rq = bd->rq;
	u64 one = 1;
	u32 q = hctx->queue_num;
	s64 tag = rq->tag;

	__sync_fetch_and_add(&queue_rqs, 1);
	__sync_fetch_and_add(&queue_bytes, rq->__data_len);
	if (q > max_queue)
		max_queue = q;
	if (tag > max_tag)
		max_tag = tag;
	bpf_map_update_elem(&queued, &rq, &one, BPF_ANY);
	return 0;
}

SEC("fentry/virtqueue_notify")
int BPF_PROG(notify, void *vq)
{
	__sync_fetch_and_add(&kicks, 1);
	return 0;
}

SEC("fentry/blk_mq_complete_request")
int BPF_PROG(complete, struct request___tool *rq)
{
	if (!rq) {
		__sync_fetch_and_add(&null_rq, 1);
		return 0;
	}
	if (!bpf_map_lookup_elem(&queued, &rq))
		__sync_fetch_and_add(&unmatched, 1);
	bpf_map_delete_elem(&queued, &rq);
	__sync_fetch_and_add(&completions, 1);
	__sync_fetch_and_add(&completed_bytes, rq->__data_len);
	return 0;
}
