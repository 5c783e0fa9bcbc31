// bpf_loop with a static callback over a stack context, a global function called from the callback, and bpf_loop's error returns.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} buckets SEC(".maps");

struct walk {
	u64 sum;
	u64 stop_at;
};

// A global function: the verifier checks it on its own, from its BTF signature.
__noinline int count_bucket(u32 bucket)
{
	u64 one = 1, *v = bpf_map_lookup_elem(&buckets, &bucket);
	if (v) {
		__sync_fetch_and_add(v, 1);
		return 1;
	}
	bpf_map_update_elem(&buckets, &bucket, &one, BPF_ANY);
	return 0;
}

static long step(u64 i, void *ctx)
{
	struct walk *w = ctx;
	w->sum += i;
	count_bucket(i & 7);
	// 1 stops the loop: bpf_loop then returns the iterations run, this one included.
	return i == w->stop_at;
}

static void put(u32 slot, u64 v)
{
	bpf_map_update_elem(&out, &slot, &v, BPF_ANY);
}

// arg1 iterations, stopping after the iteration arg2; arg3 the flags bpf_loop is given.
SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(walk, u64 n, u64 stop_at, u64 flags)
{
	struct walk w = { .sum = 0, .stop_at = stop_at };
	long ret = bpf_loop(n, step, &w, flags);
	put(0, ret);
	put(1, w.sum);
	return 0;
}

// No context (NULL): the callback only counts.
static long tick(u64 i, void *ctx)
{
	count_bucket(8);
	return 0;
}

SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(ticks, u64 n)
{
	put(2, bpf_loop(n & 0xff, tick, NULL, 0));
	return 0;
}
