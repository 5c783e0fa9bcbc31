// biosnoop's way of following a request (libbpf-tools): its task at block_io_start and at each bio merged into it (kprobe blk_account_io_merge_bio), its start (kprobe blk_mq_start_request, biotop's) and issue at block_rq_issue, one perf event per completion at block_rq_complete, keyed by struct request *; beside it the block_io_start, block_io_done and block_bio_backmerge tracepoint records, counted.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define BPF_MAP_TYPE_PERF_EVENT_ARRAY 4
#define BPF_F_CURRENT_CPU 0xffffffffULL

struct request___tool {
	unsigned int __data_len;
	sector_t __sector;
} __attribute__((preserve_access_index));

struct piddata {
	char comm[16];
	u32 pid;
};

/* One completion, as biosnoop sends it to user space. Like biosnoop's, it is not in this object's
 * BTF (no global uses it): io_event.bpf.c carries it, as a tool's header does for its user space. */
struct event {
	u64 delta_ns;
	u64 sector;
	u32 len;
	u32 pid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct request___tool *);
	__type(value, struct piddata);
} infobyreq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct request___tool *);
	__type(value, u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} events SEC(".maps");

u64 io_starts = 0;
u64 io_start_bytes = 0;
u64 io_dones = 0;
u64 io_done_bytes = 0;
/* Completions whose request had no block_io_start (its task unknown, biosnoop's '?'). */
u64 no_task = 0;
u64 output_errors = 0;
u64 merges = 0;
u64 backmerges = 0;
/* Merged bios whose request block_io_start had not seen. */
u64 merge_unknown = 0;
/* blk_mq_start_request's entries (biotop's start), and those of requests block_io_start had not seen. */
u64 mq_starts = 0;
u64 start_unknown = 0;
char done_comm[16] = {};

SEC("tp_btf/block_io_start")
int BPF_PROG(io_start, struct request___tool *rq)
{
	struct piddata p = {};

	p.pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&p.comm, sizeof(p.comm));
	bpf_map_update_elem(&infobyreq, &rq, &p, BPF_ANY);
	return 0;
}

/* pt_regs as a tool built on vmlinux.h reads it (BPF_KPROBE there is a CO-RE read of pt_regs.di),
 * so the kernel's BTF must have it. */
struct pt_regs___core {
	unsigned long di;
} __attribute__((preserve_access_index));

SEC("kprobe/blk_account_io_merge_bio")
int io_merge(struct pt_regs *ctx)
{
	struct request___tool *rq = (void *)((struct pt_regs___core *)ctx)->di;

	__sync_fetch_and_add(&merges, 1);
	if (!bpf_map_lookup_elem(&infobyreq, &rq))
		__sync_fetch_and_add(&merge_unknown, 1);
	return 0;
}

SEC("kprobe/blk_mq_start_request")
int mq_start(struct pt_regs *ctx)
{
	struct request___tool *rq = (void *)((struct pt_regs___core *)ctx)->di;

	__sync_fetch_and_add(&mq_starts, 1);
	if (!bpf_map_lookup_elem(&infobyreq, &rq))
		__sync_fetch_and_add(&start_unknown, 1);
	return 0;
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(rq_issue, struct request___tool *rq)
{
	u64 ts = bpf_ktime_get_ns();

	bpf_map_update_elem(&start, &rq, &ts, BPF_ANY);
	return 0;
}

SEC("tp_btf/block_rq_complete")
int BPF_PROG(rq_complete, struct request___tool *rq, int error, unsigned int nr_bytes)
{
	struct event ev = {};
	u64 *ts = bpf_map_lookup_elem(&start, &rq);
	struct piddata *p;

	if (!ts)
		return 0;
	ev.delta_ns = bpf_ktime_get_ns() - *ts;
	p = bpf_map_lookup_elem(&infobyreq, &rq);
	if (p) {
		__builtin_memcpy(&ev.comm, p->comm, sizeof(ev.comm));
		ev.pid = p->pid;
	} else {
		ev.comm[0] = '?';
		__sync_fetch_and_add(&no_task, 1);
	}
	ev.sector = rq->__sector;
	ev.len = rq->__data_len;
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev)))
		__sync_fetch_and_add(&output_errors, 1);
	bpf_map_delete_elem(&start, &rq);
	bpf_map_delete_elem(&infobyreq, &rq);
	return 0;
}

SEC("tracepoint/block/block_io_start")
int tp_io_start(struct trace_event_raw_block_rq *ctx)
{
	__sync_fetch_and_add(&io_starts, 1);
	__sync_fetch_and_add(&io_start_bytes, ctx->bytes);
	return 0;
}

SEC("tracepoint/block/block_io_done")
int tp_io_done(struct trace_event_raw_block_rq *ctx)
{
	__sync_fetch_and_add(&io_dones, 1);
	__sync_fetch_and_add(&io_done_bytes, ctx->bytes);
	bpf_probe_read_kernel_str(&done_comm, sizeof(done_comm), ctx->comm);
	return 0;
}

SEC("tracepoint/block/block_bio_backmerge")
int tp_backmerge(void *ctx)
{
	__sync_fetch_and_add(&backmerges, 1);
	return 0;
}
