// The legacy `maps` section (struct bpf_map_def), as programs written before BTF-defined maps declare them.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

// The layout libbpf read from SEC("maps") before 1.0 (removed from its headers since).
struct bpf_map_def {
	unsigned int type;
	unsigned int key_size;
	unsigned int value_size;
	unsigned int max_entries;
	unsigned int map_flags;
};

struct bpf_map_def SEC("maps") counts = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(u32),
	.value_size = sizeof(u64),
	.max_entries = 128,
};

struct bpf_map_def SEC("maps") totals = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(u32),
	.value_size = sizeof(u64),
	.max_entries = 2,
};

SEC("kprobe/blk_account_io_done")
int BPF_KPROBE(legacy_count, u32 op)
{
	u64 one = 1;
	u64 *n = bpf_map_lookup_elem(&counts, &op);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&counts, &op, &one, BPF_NOEXIST);
	u32 k = op & 1;
	u64 *t = bpf_map_lookup_elem(&totals, &k);
	if (t)
		__sync_fetch_and_add(t, 1);
	return 0;
}
