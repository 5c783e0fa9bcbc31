// The kernel refuses a bpf_loop context that is not on the stack (here global data, a map value).
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 total = 0;

static long add(u64 i, void *ctx)
{
	*(u64 *)ctx += i;
	return 0;
}

SEC("kprobe/blk_mq_start_request")
int BPF_KPROBE(global_ctx, u64 n)
{
	bpf_loop(n, add, &total, 0);
	return 0;
}
