// The kernel refuses a call passing less memory than the global function's argument type says.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct pair {
	u64 a, b;
};

__noinline u64 sum(struct pair *p)
{
	if (!p)
		return 0;
	return p->a + p->b;
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(too_small, u64 x)
{
	u64 v = x;
	return sum((struct pair *)&v);
}
