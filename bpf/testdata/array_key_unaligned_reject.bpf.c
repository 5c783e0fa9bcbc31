// A constant key the kernel does not know: 4 bytes stored at fp-4, not at the start of an 8-byte slot, are plain data.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#include "array_counts.h"

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(unaligned_key)
{
	u32 key = 3;
	u64 *n = bpf_map_lookup_elem(&counts, &key);

	__sync_fetch_and_add(n, 1);
	return 0;
}
