// The kernel still makes a program check an array lookup whose constant key is max_entries or more.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#include "array_counts.h"

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(past_the_end)
{
	u32 zero = 0;
	volatile u32 key = 4;
	u64 *first = bpf_map_lookup_elem(&counts, &zero);
	u64 *fifth = bpf_map_lookup_elem(&counts, (u32 *)&key);

	*fifth += *first;
	return 0;
}
