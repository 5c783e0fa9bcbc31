// Global (non-static) functions, which the kernel verifies each on its own from its BTF arguments: a scalar, memory or NULL, the context.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct pair {
	u64 a, b;
};

u64 last = 0;

// p is memory of sizeof(struct pair) or NULL: the function must check.
__noinline u64 sum(struct pair *p)
{
	if (!p)
		return 0;
	return p->a + p->b;
}

// A pointer to the program type's context struct is the context.
__noinline u64 first_arg(struct pt_regs *ctx)
{
	return PT_REGS_PARM1(ctx);
}

// A scalar argument is any number to the function: it bounds what it indexes itself.
__noinline u64 scaled(u32 shift)
{
	return 1ULL << (shift & 63);
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(globals, u64 x, u64 y)
{
	struct pair p = { x, y };
	last = sum(&p) + sum(0) + first_arg(ctx) * 1000 + scaled(4);
	return 0;
}
