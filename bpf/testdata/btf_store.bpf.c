// A tp_btf program that stores through its BTF-typed argument: the kernel refuses it (only read is supported).
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

u64 seen = 0;

struct request___tool {
	int tag;
} __attribute__((preserve_access_index));

SEC("tp_btf/block_rq_issue")
int BPF_PROG(store_field, struct request___tool *rq)
{
	rq->tag = 0;
	return 0;
}
