// Loops the verifier must walk, or refuse as the kernel does within its 1,000,000-instruction budget (and quickly).
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

// Fine: ten iterations.
SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(bounded, void *rq)
{
	volatile u64 s = 0;
	for (u64 i = 0; i < 10; i++) s += i;
	return s;
}

// Refused: the bound comes from the context, so every iteration is a new state.
SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(unbounded, void *rq)
{
	volatile u64 n = (u64)rq;
	u64 s = 0;
	for (u64 i = 0; i < n; i++) s += i * n;
	return s;
}

// Refused: a constant bound of 2,000,000 iterations is past the budget.
SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(too_long, void *rq)
{
	volatile u64 s = 0;
	for (u64 i = 0; i < 2000000; i++) s += i;
	return s;
}

// Fine, but long to walk: 20,000 iterations of a constant bound, each its own state (the counter decides the branch).
SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(long_bounded, void *rq)
{
	volatile u64 s = 0;
	for (u64 i = 0; i < 20000; i++) s += i;
	return s;
}
