// The kernel refuses a global function reading its pointer argument without a NULL check.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct pair {
	u64 a, b;
};

__noinline u64 sum(struct pair *p)
{
	return p->a + p->b;
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(no_null_check, u64 x)
{
	struct pair p = { x, 1 };
	return sum(&p);
}
