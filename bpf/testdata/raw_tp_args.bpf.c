// A raw tracepoint program that reads an argument its tracepoint does not have: block_rq_issue passes one (rq), this reads a second. The kernel loads it (raw tracepoint programs are verified against 12 arguments) and refuses to attach it (EINVAL).
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

u64 seen = 0;

SEC("raw_tp/block_rq_issue")
int second_arg(unsigned long long *ctx)
{
	seen = ctx[1];
	return 0;
}
