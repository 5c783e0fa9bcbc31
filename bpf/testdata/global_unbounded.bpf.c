// The kernel refuses a global function indexing with its argument unchecked, whatever its callers pass.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 table[4];

__noinline u64 pick(u32 i)
{
	return table[i];
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(unbounded, u64 x)
{
	return pick(2);
}
