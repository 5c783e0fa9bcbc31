// Start/end timestamping with a hash map, as biolatency does: issue stores ktime by request, completion takes the delta.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u64);
} starts SEC(".maps");

// log2 histogram of latencies in microseconds.
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 32);
	__type(key, u32);
	__type(value, u64);
} hist SEC(".maps");

static __always_inline u32 log2l(u64 v)
{
	u32 r = 0;
	for (int i = 0; i < 31 && v > 1; i++) {
		v >>= 1;
		r++;
	}
	return r;
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(start, void *rq)
{
	u64 key = (u64)rq;
	u64 ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&starts, &key, &ts, BPF_ANY);
	return 0;
}

SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(end, void *rq)
{
	u64 key = (u64)rq;
	u64 *ts = bpf_map_lookup_elem(&starts, &key);
	if (!ts)
		return 0;
	u64 delta_us = (bpf_ktime_get_ns() - *ts) / 1000;
	u32 slot = log2l(delta_us);
	u64 *count = bpf_map_lookup_elem(&hist, &slot);
	if (count)
		__sync_fetch_and_add(count, 1);
	bpf_map_delete_elem(&starts, &key);
	return 0;
}
