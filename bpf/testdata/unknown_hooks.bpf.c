// Programs on hooks viotrace's hook table does not have, and one in a section libbpf would not know: `prog verify` must say so.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

// Fine: a hook viotrace simulates.
SEC("kprobe/blk_mq_end_request")
int BPF_KPROBE(known, void *rq)
{
	return 0;
}

SEC("kprobe/no_such_function_xyz")
int BPF_KPROBE(no_function, void *rq)
{
	return 0;
}

SEC("tracepoint/bogus/nonexistent")
int no_tracepoint(void *ctx)
{
	return 0;
}

SEC("frobnicate/whatever")
int no_type(void *ctx)
{
	return 0;
}
