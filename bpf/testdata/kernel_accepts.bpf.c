// Programs Linux 6.18 loads (bpftool prog loadall) that viotrace's verifier or loader once refused.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

#define PERF_EVENT_ARRAY 4
#define CURRENT_CPU 0xffffffffULL

struct vq_seen {
	u64 first;
	u64 last;
	u32 kicks;
	/* 4 bytes of padding the initialiser leaves unwritten */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 64);
	__type(key, u64);
	__type(value, struct vq_seen);
} seen SEC(".maps");

// The value's padding goes to the helper uninitialised (allowed: tracing needs CAP_PERFMON).
SEC("kprobe/virtqueue_kick_prepare")
int BPF_KPROBE(padded_value, void *vq)
{
	u64 key = (u64)vq;
	struct vq_seen v = { .first = bpf_ktime_get_ns(), .last = 0, .kicks = 1 };
	bpf_map_update_elem(&seen, &key, &v, BPF_NOEXIST);
	return 0;
}

char cmd[16];

// A __data_loc field: its address is the record's address plus an offset read from the record.
SEC("tracepoint/block/block_rq_issue")
int data_loc(struct trace_event_raw_block_rq *ctx)
{
	u32 loc = ctx->__data_loc_cmd;
	bpf_probe_read_kernel_str(cmd, sizeof(cmd), (char *)ctx + (loc & 0xffff));
	return 0;
}

// bpf_printk with one argument passes r1-r3 only; trace_printk does not look at r4 and r5.
SEC("kprobe/virtqueue_notify")
int BPF_KPROBE(printk, void *vq)
{
	bpf_printk("notify %lx", vq);
	return 0;
}

// No max_entries: libbpf gives a perf_event_array one entry per possible CPU.
struct {
	__uint(type, PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(u32));
	__uint(value_size, sizeof(u32));
} irqs SEC(".maps");

SEC("kprobe/vring_interrupt")
int BPF_KPROBE(perf_default, int irq)
{
	u64 ts = bpf_ktime_get_ns();
	bpf_perf_event_output(ctx, &irqs, CURRENT_CPU, &ts, sizeof(ts));
	return 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, char[232]);
} small SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, u32);
	__type(value, char[256]);
} large SEC(".maps");

static __noinline int store_small(u32 k)
{
	char b[232];
	__builtin_memset(b, k, sizeof(b));
	return bpf_map_update_elem(&small, &k, b, BPF_ANY);
}

// 264 bytes of stack here and 240 in the call: 504 with the JIT's 16-byte rounding (544 with 32).
SEC("kprobe/virtqueue_add_sgs")
int BPF_KPROBE(stack_504, void *vq)
{
	char a[256];
	__builtin_memset(a, 1, sizeof(a));
	u32 k = 0;
	bpf_map_update_elem(&large, &k, a, BPF_ANY);
	return store_small((u64)vq & 3);
}
