// bpf_loop as Linux 6.7 and later verify it: the callback walked once per iteration the count allows, until an iteration adds nothing; a counter the program never uses precisely is widened, so a loop of 100 is walked twice.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#include "bpf_loop_counter.h"

// i changes at every iteration and is widened; j does not, and stays the 1 it was (a safe index).
SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(widen)
{
	struct counter c = { .i = 0, .j = 1 };
	bpf_loop(100, bump, &c, 0);
	return pick[c.j];
}

// A count the verifier does not know, and a counter used only for its low bit.
SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(unknown_count, u64 n)
{
	struct counter c = { .i = 0, .j = 1 };
	bpf_loop(n, bump, &c, 0);
	return c.i & 1;
}

// bpf_loop(1): the counter is 0 or 1 after it, both safe indexes.
SEC("kprobe/blk_mq_complete_request")
int BPF_KPROBE(once)
{
	struct counter c = { .i = 0, .j = 0 };
	bpf_loop(1, bump, &c, 0);
	return pick[c.i];
}
