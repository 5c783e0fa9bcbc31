// Programs clang compiles happily and the kernel's verifier refuses: `viotrace prog verify` must say why and where.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u64);
} starts SEC(".maps");

// Fine: looks the start up and checks it before use.
SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(checked, void *rq)
{
	u64 key = (u64)rq;
	u64 *ts = bpf_map_lookup_elem(&starts, &key);
	if (!ts)
		return 0;
	return *ts > 0;
}

// Refused: dereferences the lookup's result without a NULL check.
SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(unchecked, void *rq)
{
	u64 key = (u64)rq;
	u64 *ts = bpf_map_lookup_elem(&starts, &key);
	return *ts > 0;
}
