// Per-CPU counters: a PERCPU_ARRAY of event counts and a PERCPU_HASH of bytes by device.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u64);
} calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 64);
	__type(key, u32);
	__type(value, u64);
} bytes_by_dev SEC(".maps");

SEC("kprobe/blk_account_io_done")
int BPF_KPROBE(count, u32 dev, u32 bytes)
{
	u32 zero = 0;
	u64 *n = bpf_map_lookup_elem(&calls, &zero);
	if (n)
		*n += 1;
	u64 *b = bpf_map_lookup_elem(&bytes_by_dev, &dev);
	if (b) {
		*b += bytes;
	} else {
		u64 first = bytes;
		bpf_map_update_elem(&bytes_by_dev, &dev, &first, BPF_NOEXIST);
	}
	return 0;
}
