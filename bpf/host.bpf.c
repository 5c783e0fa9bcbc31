// SPDX-License-Identifier: GPL-2.0
/* host.bpf.c: the host half of viotrace's paired programs (docs/design/request-path.md §2-3).
 *
 * Follows each guest request through KVM and QEMU to the host kernel and back: the notify exit
 * (kvm_fast_mmio / kvm_pio), QEMU popping the request (virtio_blk_handle_request), the merged
 * group it is submitted with (blk_aio_preadv/pwritev, VirtIOBlockReq.mr_next), the io_uring SQE
 * QEMU queues for it (luring_do_submit: user_data is the LuringAIOCB address), the host io_uring
 * and block layer, QEMU's completion and the interrupt it sends back (virtio_notify_irqfd ->
 * kvm_apic_accept_irq). Every key it emits exists on a real host. */
#include "include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "include/qemu.h"
#include "include/records.h"
#include "include/lost.h"

char LICENSE[] SEC("license") = "GPL";

/* Keeps the QEMU types in BTF for the simulator (see qemu.h); never read. */
__attribute__((used)) struct qemu_layouts qemu_layouts;

#define MAX_INFLIGHT 16384
/* QEMU merges at most 32 requests (VIRTIO_BLK_MAX_MERGE_REQS). */
#define MAX_MERGE 32

/* Host block device to follow (dev_t, major<<20|minor); 0 follows every device. */
const volatile u32 host_dev = 0;

/* A guest request inside QEMU, keyed by its VirtIOBlockReq address. */
struct qreq_state {
	u64 vdev;
	u64 vq_ptr;
	u64 sector;
	u64 nbytes;
	u64 user_data;
	u64 t_handle;
	u64 t_pop;
	u64 t_aio;
	u32 vq;
	u32 head;
	u32 type;
	u32 merged_count;
	u32 tid;
	u32 pad;
};

/* An io_uring operation QEMU queued, keyed by (tgid, user_data). */
struct uring_key {
	u64 tgid;
	u64 user_data;
};

struct uring_state {
	u64 offset;
	u64 nbytes;
	u64 t_luring_submit;
	u64 t_submit;
	s32 fd;
	u32 opcode;
	u32 tid;
	u32 punted;
	u32 resubmit;
	u32 pad;
};

/* The group of requests blk_aio_* was called with, until luring_do_submit in the same thread. */
struct aio_chain {
	u64 first_req;
	u64 t;
};

struct blk_key {
	u32 dev;
	u32 pad;
	u64 sector;
};

struct blk_state {
	u64 t_insert;
	u64 t_issue;
	u32 pid;
	u32 users;          /* requests issued under this key and not yet completed */
	u32 shared;         /* more than one was at some time: the times above are not one request's */
	u32 pad;
};

/* blk-mq's default request timeout: a state older than this lost its completion (a program the
 * kernel skipped) and is not shared with the next request at its sector. */
#define RQ_TIMEOUT_NS 30000000000ULL

/* An interrupt notification waiting for KVM to inject it, by the thread that signalled it. */
struct pending_notify {
	u64 vdev;
	u64 t;
	u32 vq;
	u32 seq;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u64);
} vq_handle SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, u64);
	__type(value, struct qreq_state);
} reqs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, u64);
} handling SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, struct aio_chain);
} chains SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct uring_key);
	__type(value, struct uring_state);
} urings SEC(".maps");

/* user_data recently completed: a submit of one of them without luring_do_submit is QEMU
 * resubmitting a short read (luring_resubmit_short_read). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct uring_key);
	__type(value, u8);
} uring_done SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct blk_key);
	__type(value, struct blk_state);
} blks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u32);
} notify_seq SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, struct pending_notify);
} pending SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 512 * 1024);
} events SEC(".maps");

/* Referenced so that clang emits their BTF: the decoder reads the layouts from it. */
const volatile struct vt_qemu_req *unused_qemu_req __attribute__((unused));
const volatile struct vt_uring_op *unused_uring_op __attribute__((unused));
const volatile struct vt_host_blk *unused_host_blk __attribute__((unused));
const volatile struct vt_kick *unused_kick __attribute__((unused));
const volatile struct vt_notify *unused_notify __attribute__((unused));

static __always_inline void emit_kick(u64 gpa)
{
	struct vt_kick *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	u64 id = bpf_get_current_pid_tgid();

	if (!r) {
		count_lost();
		return;
	}
	r->kind = VT_KICK;
	r->qemu_pid = id >> 32;
	r->tid = (u32)id;
	r->pad = 0;
	r->gpa = gpa;
	r->t = bpf_ktime_get_ns();
	bpf_ringbuf_submit(r, 0);
}

SEC("tracepoint/kvm/kvm_fast_mmio")
int kvm_fast_mmio(struct trace_event_raw_kvm_fast_mmio *ctx)
{
	emit_kick(ctx->gpa);
	return 0;
}

SEC("tracepoint/kvm/kvm_pio")
int kvm_pio(struct trace_event_raw_kvm_pio *ctx)
{
	/*
	 * Only writes can be a virtio notify. With port I/O notify (legacy virtio-pci, or QEMU's
	 * modern-pio-notify) every queue writes its index to the same port, so the doorbell is the
	 * port and the value written: port << 16 | queue.
	 */
	if (ctx->rw)
		emit_kick(((__u64)ctx->port << 16) | (ctx->val & 0xffff));
	return 0;
}

SEC("uprobe//usr/bin/qemu-system-x86_64:virtio_blk_handle_vq")
int BPF_KPROBE(virtio_blk_handle_vq, void *s, void *vq)
{
	u64 vq_ptr = (u64)vq;
	u64 now = bpf_ktime_get_ns();

	bpf_map_update_elem(&vq_handle, &vq_ptr, &now, BPF_ANY);
	return 0;
}

SEC("uprobe//usr/bin/qemu-system-x86_64:virtio_blk_handle_request")
int BPF_KPROBE(virtio_blk_handle_request, struct VirtIOBlockReq *req)
{
	struct qreq_state st = {};
	u64 id = bpf_get_current_pid_tgid();
	u64 req_ptr = (u64)req;
	u64 out_sg = 0, hdr_base = 0;
	struct virtio_blk_outhdr hdr = {};
	u16 queue_index = 0;

	st.t_pop = bpf_ktime_get_ns();
	st.tid = (u32)id;
	bpf_probe_read_user(&st.head, sizeof(st.head), &req->elem.index);
	bpf_probe_read_user(&st.vdev, sizeof(st.vdev), &req->dev);
	bpf_probe_read_user(&st.vq_ptr, sizeof(st.vq_ptr), &req->vq);
	bpf_probe_read_user(&queue_index, sizeof(queue_index), &((struct VirtQueue *)st.vq_ptr)->queue_index);
	st.vq = queue_index;
	/* The request header is still in guest memory (mapped into QEMU): out_sg[0]. */
	bpf_probe_read_user(&out_sg, sizeof(out_sg), &req->elem.out_sg);
	bpf_probe_read_user(&hdr_base, sizeof(hdr_base), (void *)out_sg);
	bpf_probe_read_user(&hdr, sizeof(hdr), (void *)hdr_base);
	st.type = hdr.type;
	st.sector = hdr.sector;
	u64 *t = bpf_map_lookup_elem(&vq_handle, &st.vq_ptr);
	if (t)
		st.t_handle = *t;
	bpf_map_update_elem(&reqs, &req_ptr, &st, BPF_ANY);
	bpf_map_update_elem(&handling, &id, &req_ptr, BPF_ANY);
	return 0;
}

SEC("uretprobe//usr/bin/qemu-system-x86_64:virtio_blk_handle_request")
int BPF_KRETPROBE(virtio_blk_handle_request_ret)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 *req_ptr = bpf_map_lookup_elem(&handling, &id);

	if (!req_ptr)
		return 0;
	u64 req = *req_ptr;
	bpf_map_delete_elem(&handling, &id);
	/* The request's own data length, read before a merge rebuilds the first one's qiov. */
	struct qreq_state *st = bpf_map_lookup_elem(&reqs, &req);
	if (st)
		bpf_probe_read_user(&st->nbytes, sizeof(st->nbytes), &((struct VirtIOBlockReq *)req)->qiov.size);
	return 0;
}

static __always_inline int aio_start(void *opaque)
{
	u64 id = bpf_get_current_pid_tgid();
	struct aio_chain c = { .first_req = (u64)opaque, .t = bpf_ktime_get_ns() };

	bpf_map_update_elem(&chains, &id, &c, BPF_ANY);
	return 0;
}

SEC("uprobe//usr/bin/qemu-system-x86_64:blk_aio_preadv")
int blk_aio_preadv(struct pt_regs *ctx)
{
	/* opaque, the group's first VirtIOBlockReq, is the sixth argument (r9). */
	return aio_start((void *)ctx->r9);
}

SEC("uprobe//usr/bin/qemu-system-x86_64:blk_aio_pwritev")
int blk_aio_pwritev(struct pt_regs *ctx)
{
	/* opaque, the group's first VirtIOBlockReq, is the sixth argument (r9). */
	return aio_start((void *)ctx->r9);
}

SEC("uprobe//usr/bin/qemu-system-x86_64:luring_do_submit")
int BPF_KPROBE(luring_do_submit, int fd, struct LuringAIOCB *luringcb, void *s, u64 offset, int type)
{
	u64 id = bpf_get_current_pid_tgid();
	struct uring_key k = { .tgid = id >> 32, .user_data = (u64)luringcb };
	struct uring_state u = { .offset = offset, .fd = fd, .opcode = type, .tid = (u32)id };
	u64 qiov = 0;

	u.t_luring_submit = bpf_ktime_get_ns();
	bpf_probe_read_user(&qiov, sizeof(qiov), &luringcb->qiov);
	bpf_probe_read_user(&u.nbytes, sizeof(u.nbytes), &((struct QEMUIOVector *)qiov)->size);
	bpf_map_update_elem(&urings, &k, &u, BPF_ANY);

	/* Give every request of the group blk_aio_* was called with this user_data. */
	struct aio_chain *c = bpf_map_lookup_elem(&chains, &id);
	if (!c)
		return 0;
	u64 t_aio = c->t;
	u64 req = c->first_req;
	u32 n = 0;
	bpf_map_delete_elem(&chains, &id);
	u64 walk = req;
	for (int i = 0; i < MAX_MERGE && walk; i++) {
		n++;
		bpf_probe_read_user(&walk, sizeof(walk), &((struct VirtIOBlockReq *)walk)->mr_next);
	}
	for (int i = 0; i < MAX_MERGE && req; i++) {
		struct qreq_state *st = bpf_map_lookup_elem(&reqs, &req);
		if (st) {
			st->user_data = (u64)luringcb;
			st->t_aio = t_aio;
			st->merged_count = n;
		}
		bpf_probe_read_user(&req, sizeof(req), &((struct VirtIOBlockReq *)req)->mr_next);
	}
	return 0;
}

SEC("tracepoint/io_uring/io_uring_submit_req")
int io_uring_submit_req(struct trace_event_raw_io_uring_submit_req *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct uring_key k = { .tgid = id >> 32, .user_data = ctx->user_data };
	struct uring_state *u = bpf_map_lookup_elem(&urings, &k);

	if (!u) {
		/* Not queued by luring_do_submit: a short-read resubmission, or not QEMU's. */
		if (!bpf_map_lookup_elem(&uring_done, &k))
			return 0;
		struct uring_state r = { .resubmit = 1, .opcode = ctx->opcode, .tid = (u32)id, .fd = -1 };
		bpf_map_update_elem(&urings, &k, &r, BPF_ANY);
		u = bpf_map_lookup_elem(&urings, &k);
		if (!u)
			return 0;
	}
	u->t_submit = bpf_ktime_get_ns();
	u->opcode = ctx->opcode;
	return 0;
}

SEC("tracepoint/io_uring/io_uring_queue_async_work")
int io_uring_queue_async_work(struct trace_event_raw_io_uring_queue_async_work *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct uring_key k = { .tgid = id >> 32, .user_data = ctx->user_data };
	struct uring_state *u = bpf_map_lookup_elem(&urings, &k);

	if (u)
		u->punted = 1;
	return 0;
}

SEC("tracepoint/io_uring/io_uring_complete")
int io_uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	u64 id = bpf_get_current_pid_tgid();
	struct uring_key k = { .tgid = id >> 32, .user_data = ctx->user_data };
	struct uring_state *u = bpf_map_lookup_elem(&urings, &k);
	u8 one = 1;

	if (!u)
		return 0;
	struct vt_uring_op *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		r->kind = VT_URING_OP;
		r->pid = k.tgid;
		r->tid = u->tid;
		r->fd = u->fd;
		r->user_data = ctx->user_data;
		r->opcode = u->opcode;
		r->res = ctx->res;
		r->offset = u->offset;
		r->nbytes = u->nbytes;
		r->punted = u->punted;
		r->resubmit = u->resubmit;
		r->t_luring_submit = u->t_luring_submit;
		r->t_submit = u->t_submit;
		r->t_complete = bpf_ktime_get_ns();
		bpf_ringbuf_submit(r, 0);
	} else {
		count_lost();
	}
	bpf_map_delete_elem(&urings, &k);
	bpf_map_update_elem(&uring_done, &k, &one, BPF_ANY);
	return 0;
}

static __always_inline int blk_event(u32 dev, u64 sector, bool issue)
{
	if (host_dev && dev != host_dev)
		return 0;
	struct blk_key k = { .dev = dev, .sector = sector };
	struct blk_state *b = bpf_map_lookup_elem(&blks, &k);
	u64 now = bpf_ktime_get_ns();

	if (b) {
		u64 since = b->t_issue ? b->t_issue : b->t_insert;
		if (since && now > since + RQ_TIMEOUT_NS)
			b = NULL; /* its completion was never seen: start over */
	}
	if (!b) {
		struct blk_state init = { .pid = bpf_get_current_pid_tgid() >> 32 };
		bpf_map_update_elem(&blks, &k, &init, BPF_ANY);
		b = bpf_map_lookup_elem(&blks, &k);
		if (!b)
			return 0;
	}
	/* Issued (or inserted) again under a key still in flight: two requests at one sector of the
	 * device (two guest requests at one sector reach it at once), whose times nothing the
	 * tracepoints carry tells apart. Each gets a record with only its completion. */
	if (issue ? b->t_issue : (b->t_insert || b->t_issue)) {
		if (issue)
			b->users++;
		b->shared = 1;
		return 0;
	}
	if (issue) {
		b->t_issue = now;
		b->users++;
	} else
		b->t_insert = now;
	return 0;
}

SEC("tracepoint/block/block_rq_insert")
int block_rq_insert(struct trace_event_raw_block_rq *ctx)
{
	return blk_event(ctx->dev, ctx->sector, false);
}

SEC("tracepoint/block/block_rq_issue")
int block_rq_issue(struct trace_event_raw_block_rq *ctx)
{
	return blk_event(ctx->dev, ctx->sector, true);
}

SEC("tracepoint/block/block_rq_complete")
int block_rq_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	struct blk_key k = { .dev = ctx->dev, .sector = ctx->sector };
	struct blk_state *b = bpf_map_lookup_elem(&blks, &k);

	if (!b)
		return 0;
	struct vt_host_blk *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		__builtin_memset(r, 0, sizeof(*r));
		r->kind = VT_HOST_BLK;
		r->dev = ctx->dev;
		r->sector = ctx->sector;
		r->nr_sector = ctx->nr_sector;
		r->error = ctx->error;
		r->pid = b->pid;
		__builtin_memcpy(r->rwbs, ctx->rwbs, sizeof(ctx->rwbs));
		if (!b->shared) {
			r->t_insert = b->t_insert;
			r->t_issue = b->t_issue;
		}
		r->t_complete = bpf_ktime_get_ns();
		bpf_ringbuf_submit(r, 0);
	} else {
		count_lost();
	}
	/* The last of the requests under the key takes the state with it. */
	if (b->users > 1)
		b->users--;
	else
		bpf_map_delete_elem(&blks, &k);
	return 0;
}

SEC("uprobe//usr/bin/qemu-system-x86_64:virtio_blk_req_complete")
int BPF_KPROBE(virtio_blk_req_complete, struct VirtIOBlockReq *req, u8 status)
{
	u64 req_ptr = (u64)req;
	struct qreq_state *st = bpf_map_lookup_elem(&reqs, &req_ptr);

	if (!st)
		return 0;
	struct vt_qemu_req *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		u64 vq_ptr = st->vq_ptr;
		u32 *seq = bpf_map_lookup_elem(&notify_seq, &vq_ptr);
		r->kind = VT_QEMU_REQ;
		r->qemu_pid = bpf_get_current_pid_tgid() >> 32;
		r->tid = st->tid;
		r->vq = st->vq;
		r->vdev = st->vdev;
		r->head = st->head;
		r->type = st->type;
		r->sector = st->sector;
		r->nbytes = st->nbytes;
		r->status = status;
		r->merged_count = st->merged_count ? st->merged_count : 1;
		r->user_data = st->user_data;
		/* Reported to the guest by the next notification on its queue. */
		r->notify_seq = (seq ? *seq : 0) + 1;
		r->pad = 0;
		r->t_handle = st->t_handle;
		r->t_pop = st->t_pop;
		r->t_aio = st->t_aio;
		r->t_req_complete = bpf_ktime_get_ns();
		bpf_ringbuf_submit(r, 0);
	} else {
		count_lost();
	}
	bpf_map_delete_elem(&reqs, &req_ptr);
	return 0;
}

static __always_inline void emit_notify(struct pending_notify *p, s32 vector, u64 t_inject)
{
	struct vt_notify *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	u64 id = bpf_get_current_pid_tgid();

	if (!r) {
		count_lost();
		return;
	}
	r->kind = VT_NOTIFY;
	r->qemu_pid = id >> 32;
	r->tid = (u32)id;
	r->vq = p->vq;
	r->vdev = p->vdev;
	r->seq = p->seq;
	r->vector = vector;
	r->t_notify = p->t;
	r->t_inject = t_inject;
	bpf_ringbuf_submit(r, 0);
}

SEC("uprobe//usr/bin/qemu-system-x86_64:virtio_notify_irqfd")
int BPF_KPROBE(virtio_notify_irqfd, void *vdev, struct VirtQueue *vq)
{
	u64 id = bpf_get_current_pid_tgid();
	u64 vq_ptr = (u64)vq;
	u32 one = 1;
	u32 *seq = bpf_map_lookup_elem(&notify_seq, &vq_ptr);
	u16 queue_index = 0;

	if (seq)
		*seq += 1;
	else
		bpf_map_update_elem(&notify_seq, &vq_ptr, &one, BPF_ANY);
	seq = bpf_map_lookup_elem(&notify_seq, &vq_ptr);
	if (!seq)
		return 0;
	/* A notification of this thread never injected (e.g. the slow path): report it as is. */
	struct pending_notify *old = bpf_map_lookup_elem(&pending, &id);
	if (old) {
		emit_notify(old, -1, 0);
		bpf_map_delete_elem(&pending, &id);
	}
	bpf_probe_read_user(&queue_index, sizeof(queue_index), &vq->queue_index);
	struct pending_notify p = { .vdev = (u64)vdev, .t = bpf_ktime_get_ns(), .vq = queue_index, .seq = *seq };
	bpf_map_update_elem(&pending, &id, &p, BPF_ANY);
	return 0;
}

/* The call returns: a notification still pending was suppressed (virtio_should_notify said no:
 * EVENT_IDX), as it is for most completions while the guest's handler runs or an interrupt is on
 * its way. Reported at once, so the requests it covers need not wait for the thread's next call. */
SEC("uretprobe//usr/bin/qemu-system-x86_64:virtio_notify_irqfd")
int BPF_KRETPROBE(virtio_notify_irqfd_ret)
{
	u64 id = bpf_get_current_pid_tgid();
	struct pending_notify *p = bpf_map_lookup_elem(&pending, &id);

	if (!p)
		return 0;
	emit_notify(p, -1, 0);
	bpf_map_delete_elem(&pending, &id);
	return 0;
}

static __always_inline int injected(s32 vector)
{
	u64 id = bpf_get_current_pid_tgid();
	struct pending_notify *p = bpf_map_lookup_elem(&pending, &id);

	/* The irqfd fast path injects in the signalling thread itself. */
	if (!p)
		return 0;
	emit_notify(p, vector, bpf_ktime_get_ns());
	bpf_map_delete_elem(&pending, &id);
	return 0;
}

SEC("tracepoint/kvm/kvm_apic_accept_irq")
int kvm_apic_accept_irq(struct trace_event_raw_kvm_apic_accept_irq *ctx)
{
	return injected(ctx->vec);
}

SEC("tracepoint/kvm/kvm_msi_set_irq")
int kvm_msi_set_irq(struct trace_event_raw_kvm_msi_set_irq *ctx)
{
	/* MSI data: the vector is its low byte. */
	return injected(ctx->data & 0xff);
}
