// A tool of the kind the white paper runs with bpftrace: block-layer issue-to-complete latency as a log2 histogram, a count, and a trace_printk line every 500 completions.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct rq_key {
	u32 dev;
	u32 pad;
	u64 sector;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct rq_key);
	__type(value, u64);
} issued SEC(".maps");

// usecs, log2 buckets: [2^i, 2^(i+1))
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} usecs SEC(".maps");

u64 completed = 0;
u64 unmatched = 0;

SEC("tracepoint/block/block_rq_issue")
int on_issue(struct trace_event_raw_block_rq *ctx)
{
	struct rq_key k = { .dev = ctx->dev, .sector = ctx->sector };
	u64 now = bpf_ktime_get_ns();
	bpf_map_update_elem(&issued, &k, &now, BPF_ANY);
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int on_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	struct rq_key k = { .dev = ctx->dev, .sector = ctx->sector };
	u64 *t = bpf_map_lookup_elem(&issued, &k);
	if (!t) {
		__sync_fetch_and_add(&unmatched, 1);
		return 0;
	}
	u64 us = (bpf_ktime_get_ns() - *t) / 1000;
	bpf_map_delete_elem(&issued, &k);
	u32 slot = 0;
	while (us > 1 && slot < 31) {
		us >>= 1;
		slot++;
	}
	u64 *n = bpf_map_lookup_elem(&usecs, &slot);
	if (n)
		__sync_fetch_and_add(n, 1);
	u64 done = __sync_fetch_and_add(&completed, 1) + 1;
	if (done % 500 == 0)
		bpf_printk("%llu requests completed", done);
	return 0;
}
