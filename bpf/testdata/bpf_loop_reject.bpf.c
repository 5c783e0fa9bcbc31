// Programs the kernel refuses for how they use bpf_loop, one reason each (the first refusal is compared with the kernel's).
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 total = 0;

// A callback may return only 0 (go on) or 1 (stop).
static long two(u64 i, void *ctx)
{
	return 2;
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(bad_return, u64 n)
{
	bpf_loop(n, two, NULL, 0);
	return 0;
}
