// Refused by Linux 6.7 and later, accepted by earlier kernels (which walk a callback once): after bpf_loop(2) the counter may be 2, past the 2-byte array.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#include "bpf_loop_counter.h"

SEC("kprobe/blk_mq_complete_request")
int BPF_KPROBE(twice)
{
	struct counter c = { .i = 0, .j = 0 };
	bpf_loop(2, bump, &c, 0);
	return pick[c.i];
}
