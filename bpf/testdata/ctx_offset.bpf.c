// A kprobe program clang compiles and the kernel refuses: it reads pt_regs through a moved pointer.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

/* pt_regs as CO-RE sees it (as vmlinux.h declares it): each field offset is relocated. */
struct pt_regs___core {
	unsigned long dx;
	unsigned long si;
	unsigned long di;
} __attribute__((preserve_access_index));

// Fine: the field offset is in the load (and struct pt_regs, x86's layout, is in this object's BTF).
SEC("kprobe/virtqueue_add_sgs")
int BPF_KPROBE(arg_first, unsigned long vq)
{
	return vq != 0;
}

// The relocated &regs->di lands in a register and the loads go through it: "dereference of
// modified ctx ptr" in the kernel (a context load must carry its field offset in the instruction).
SEC("kprobe/virtqueue_add_sgs")
int arg_sum(struct pt_regs___core *regs)
{
	unsigned long *args = &regs->di;
	unsigned long s = 0;
	for (int i = 0; i < 3; i++)
		s += args[-i];
	return s;
}
