// Only arrays: a hash map's lookup may fail whatever the key, and the kernel makes the program check it.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, u64);
} counts SEC(".maps");

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(hash_zero_key)
{
	u32 zero = 0;
	u64 *n = bpf_map_lookup_elem(&counts, &zero);

	*n += 1;
	return 0;
}
