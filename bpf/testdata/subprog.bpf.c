// A bpf-to-bpf call and global data: .rodata configuration, .data and .bss counters.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

const volatile u64 min_bytes = 4096;	// .rodata: set by user space before load
u64 seen = 0;				// .bss
u64 big = 0;				// .bss
u64 weight = 3;				// .data

// A real call (not inlined): the verifier gives it its own frame.
static __noinline u64 score(u64 bytes, u64 w)
{
	if (bytes < min_bytes)
		return 0;
	return (bytes / min_bytes) * w;
}

SEC("kprobe/blk_account_io_done")
int BPF_KPROBE(account, u64 bytes)
{
	__sync_fetch_and_add(&seen, 1);
	u64 s = score(bytes, weight);
	if (s)
		__sync_fetch_and_add(&big, s);
	return 0;
}
