// Kernel types that users' tools read with CO-RE and the paired programs do not, so that gen.sh keeps them in the simulator's BTF: x86-64 struct pt_regs, which libbpf-tools' kprobes read their arguments from (BPF_KPROBE on vmlinux.h); request_queue's elevator, which biosnoop -Q tests. Built only by gen.sh.
typedef unsigned long long __u64;
#define SEC(name) __attribute__((section(name), used))

struct pt_regs {
	unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8;
	unsigned long ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
} __attribute__((preserve_access_index));

struct elevator_queue;

struct request_queue {
	struct elevator_queue *elevator;
} __attribute__((preserve_access_index));

char LICENSE[] SEC("license") = "GPL";

__u64 sum = 0;
void *elevator = 0;

SEC("kprobe/x")
int every_register(struct pt_regs *ctx)
{
	sum = ctx->r15 + ctx->r14 + ctx->r13 + ctx->r12 + ctx->bp + ctx->bx + ctx->r11 + ctx->r10 + ctx->r9 + ctx->r8 +
	      ctx->ax + ctx->cx + ctx->dx + ctx->si + ctx->di + ctx->orig_ax + ctx->ip + ctx->cs + ctx->flags + ctx->sp + ctx->ss;
	return 0;
}

SEC("kprobe/y")
int queue_elevator(struct pt_regs *ctx)
{
	elevator = ((struct request_queue *)ctx->di)->elevator;
	return 0;
}
