// KVM's raw tracepoints beside their tracepoints: the notify exit (kvm_fast_mmio's gpa; kvm_pio's port, and the value written read through its data pointer) and the interrupt's vector (kvm_apic_accept_irq), each counted and summed both ways.
#include "../include/kernel.h"
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "GPL";

u64 tp_mmio = 0, raw_mmio = 0, tp_gpa_sum = 0, raw_gpa_sum = 0;
u64 tp_pio = 0, raw_pio = 0, tp_pio_sum = 0, raw_pio_sum = 0;
u64 tp_irq = 0, raw_irq = 0, tp_vec_sum = 0, raw_vec_sum = 0;

SEC("tracepoint/kvm/kvm_fast_mmio")
int tp_fast_mmio(struct trace_event_raw_kvm_fast_mmio *ctx)
{
	tp_mmio++;
	tp_gpa_sum += ctx->gpa;
	return 0;
}

/* TP_PROTO(u64 gpa) */
SEC("raw_tp/kvm_fast_mmio")
int raw_fast_mmio(unsigned long long *ctx)
{
	raw_mmio++;
	raw_gpa_sum += ctx[0];
	return 0;
}

SEC("tracepoint/kvm/kvm_pio")
int tp_pio_exit(struct trace_event_raw_kvm_pio *ctx)
{
	if (!ctx->rw)
		return 0;
	tp_pio++;
	tp_pio_sum += ((u64)ctx->port << 16) | (ctx->val & 0xffff);
	return 0;
}

/* TP_PROTO(unsigned int rw, unsigned int port, unsigned int size, unsigned int count, const void *data) */
SEC("raw_tp/kvm_pio")
int raw_pio_exit(unsigned long long *ctx)
{
	u16 val = 0;

	if (!(u32)ctx[0])
		return 0;
	/* The guest's OUT data, as KVM copied it into the vCPU's pio_data page. */
	if (bpf_probe_read_kernel(&val, sizeof(val), (void *)ctx[4]))
		return 0;
	raw_pio++;
	raw_pio_sum += ((u64)(u32)ctx[1] << 16) | val;
	return 0;
}

SEC("tracepoint/kvm/kvm_apic_accept_irq")
int tp_accept_irq(struct trace_event_raw_kvm_apic_accept_irq *ctx)
{
	tp_irq++;
	tp_vec_sum += ctx->vec;
	return 0;
}

/* TP_PROTO(__u32 apicid, __u16 dm, __u16 tm, __u8 vec) */
SEC("raw_tp/kvm_apic_accept_irq")
int raw_accept_irq(unsigned long long *ctx)
{
	raw_irq++;
	raw_vec_sum += (u8)ctx[3];
	return 0;
}
