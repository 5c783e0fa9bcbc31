/* lost.h: the count of records a ring buffer had no room for, kept by the paired programs.
 *
 * When the ring buffer is full, bpf_ringbuf_reserve fails and the record is gone, and the kernel
 * counts nothing. So each program adds one to this map instead, and user space (the simulator's
 * drain, `viotrace capture`'s loader) reads how many records it never saw. */
#ifndef VIOTRACE_LOST_H
#define VIOTRACE_LOST_H

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} lost SEC(".maps");

/* One record more that the ring buffer could not take. */
static __always_inline void count_lost(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&lost, &zero);

	if (n)
		__sync_fetch_and_add(n, 1);
}

#endif
