// A tp_btf program that reads past the end of struct request: the kernel refuses it.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 seen = 0;

SEC("tp_btf/block_rq_issue")
int BPF_PROG(past_struct, void *rq)
{
	seen = *(volatile u64 *)(rq + 4096);
	return 0;
}
