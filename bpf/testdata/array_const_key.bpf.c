// Array lookups the kernel (6.13 and later) knows cannot fail: a constant key below max_entries, so no NULL check is needed.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#include "array_counts.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64[8]);
} scratch SEC(".maps");

// The zero key: the value is used without a check.
SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(zero_key)
{
	u32 zero = 0;
	u64 *n = bpf_map_lookup_elem(&counts, &zero);

	*n += 1;
	return 0;
}

// A constant key other than zero: stored as 4 bytes at an 8-byte aligned slot, a spill the kernel tracks.
SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(second_key)
{
	u32 zero = 0;
	volatile u32 key = 2;
	u64 *first = bpf_map_lookup_elem(&counts, &zero);
	u64 *third = bpf_map_lookup_elem(&counts, (u32 *)&key);

	*third += *first;
	return 0;
}

// A per-CPU scratch buffer, indexed by a constant kept in the stack and loaded back (a narrow fill).
SEC("kprobe/blk_account_io_done")
int BPF_KPROBE(scratch_slot, u64 v)
{
	u32 zero = 0;
	volatile u32 slot = 5;
	u64 *buf = bpf_map_lookup_elem(&scratch, &zero);

	buf[slot] = v;
	return 0;
}

// A key that may be out of range still needs its check.
SEC("kprobe/blk_mq_complete_request")
int BPF_KPROBE(checked_key, u32 k)
{
	u64 *n = bpf_map_lookup_elem(&counts, &k);

	if (n)
		*n += 1;
	return 0;
}
