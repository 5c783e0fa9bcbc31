// A tool configured the way libbpf-tools configure theirs: const volatile options that user space sets before load (viotrace prog run --set), the kernel version from .kconfig choosing a tracepoint's argument layout, a cgroup filter, and a field of older kernels behind an option, which libbpf poisons where the kernel's BTF lacks it.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "GPL";

extern int LINUX_KERNEL_VERSION __kconfig;
/* Not a value viotrace knows: __weak makes it 0 instead of a load error. */
extern int CONFIG_VIOTRACE_NOT_THERE __kconfig __weak;

const volatile bool filter_cg = false;
const volatile bool per_op = false;
const volatile bool old_disk_field = false;

struct request___tool {
	unsigned int cmd_flags;
} __attribute__((preserve_access_index));

/* Linux before 5.17 kept the disk in the request; 6.18's BTF has no such field. */
struct request___old {
	struct gendisk *rq_disk;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, u32);
} cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u64);
} start SEC(".maps");

/* Completions by op (all under 0 unless per_op). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, u32);
	__type(value, u64);
} by_op SEC(".maps");

s64 cgroup_answer = 1;
u64 old_disks = 0;
int weak_config = -1;

static __always_inline bool filtered(void)
{
	if (!filter_cg)
		return false;
	cgroup_answer = bpf_current_task_under_cgroup(&cgroups, 0);
	return !cgroup_answer;
}

SEC("raw_tp/block_rq_issue")
int BPF_PROG(on_issue)
{
	/* TP_PROTO(struct request_queue *q, struct request *rq) before 5.11, (struct request *rq) since. */
	u64 rq = LINUX_KERNEL_VERSION < KERNEL_VERSION(5, 11, 0) ? ctx[1] : ctx[0];
	u64 now = bpf_ktime_get_ns();

	if (filtered())
		return 0;
	bpf_map_update_elem(&start, &rq, &now, BPF_ANY);
	return 0;
}

SEC("raw_tp/block_rq_complete")
int BPF_PROG(on_complete, struct request *rq)
{
	u64 key = (u64)rq;
	u32 op = 0;
	u64 one = 1, *n;

	weak_config = CONFIG_VIOTRACE_NOT_THERE;
	if (filtered() || !bpf_map_lookup_elem(&start, &key))
		return 0;
	bpf_map_delete_elem(&start, &key);
	if (per_op)
		op = BPF_CORE_READ((struct request___tool *)rq, cmd_flags) & 0xff;
	if (old_disk_field && BPF_CORE_READ((struct request___old *)rq, rq_disk))
		old_disks++;
	n = bpf_map_lookup_elem(&by_op, &op);
	if (n)
		__sync_fetch_and_add(n, 1);
	else
		bpf_map_update_elem(&by_op, &op, &one, BPF_NOEXIST);
	return 0;
}
