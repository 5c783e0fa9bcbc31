// Programs on hooks viotrace's hook table does not have, and sections libbpf would not know or viotrace does not support: `prog verify` must say so.
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

// A BTF-typed program that overrides a kernel function's return value: not supported, said so.
SEC("fmod_ret/blk_mq_start_request")
int btf_typed(unsigned long long *ctx)
{
	return 0;
}

// A raw tracepoint the simulator does not fire: verified against 12 arguments, with a warning.
SEC("raw_tp/no_such_event")
int no_raw_event(unsigned long long *ctx)
{
	return 0;
}
