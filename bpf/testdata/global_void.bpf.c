// The kernel refuses a call of a global function taking void *: the memory's size cannot be known.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

__noinline u64 peek(void *p)
{
	return p ? *(u64 *)p : 0;
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(void_arg, u64 x)
{
	u64 v = x;
	return peek(&v);
}
