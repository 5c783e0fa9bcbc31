/* bpf_loop_counter.h: the counter the bpf_loop_iterations* objects bump from a callback, and the 2-byte array they index with it. */
#ifndef VIOTRACE_BPF_LOOP_COUNTER_H
#define VIOTRACE_BPF_LOOP_COUNTER_H

u8 pick[2] = {0, 1};

struct counter {
	u64 i;
	u64 j;
};

static long bump(u64 idx, void *ctx)
{
	struct counter *c = ctx;
	c->i++;
	return 0;
}

#endif
