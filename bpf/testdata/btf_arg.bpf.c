// A tp_btf program that reads an argument its tracepoint does not have: the kernel knows block_rq_issue's arguments from BTF at load, so it refuses the read (a raw_tp program is refused only at attach).
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 seen = 0;

SEC("tp_btf/block_rq_issue")
int second_arg(unsigned long long *ctx)
{
	seen = ctx[1];
	return 0;
}
