// SPDX-License-Identifier: GPL-2.0
/* guest.bpf.c: the guest half of viotrace's paired programs (docs/design/request-path.md §2-3).
 *
 * Timestamps every block request inside the VM at each hook of its path (bio queued, inserted,
 * issued, handed to virtio-blk, put on a virtqueue, kicked, interrupted, completed) in a hash map
 * keyed by (dev, sector), the only identity the block tracepoints carry, and emits one vt_guest_rq
 * record to the ring buffer when the request completes. Two requests in flight at one sector at
 * once (random I/O at a high queue depth does that now and then) share a key, and nothing the
 * tracepoints carry tells their timestamps apart: each of them gets a record with only what its
 * completion itself says, never one that mixes the two. The keys a correlator needs to find the
 * request on the host (virtqueue index, descriptor head, sector, length, direction) are read from
 * the kernel's own structures with CO-RE. */
#include "include/kernel.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "include/records.h"
#include "include/lost.h"

char LICENSE[] SEC("license") = "GPL";

/* Kicks remembered per virtqueue: a request looks its kick up by sequence at completion, so
 * this must exceed the kicks that can happen while one request is in flight on its queue. */
#define KICK_RING 64
#define MAX_INFLIGHT 16384
/* blk-mq's default request timeout (queue/io_timeout): a request issued longer ago than this has
 * been completed or aborted, so a state still held for it lost its completion (a program the
 * kernel skipped, a capture started mid-flight) and is not shared with the next one. */
#define RQ_TIMEOUT_NS 30000000000ULL

/* What the block tracepoints identify a request by. */
struct rq_key {
	u32 dev;
	u32 pad;
	u64 sector;
};

/* A bio between block_bio_queue and the request that carries it. Two bios can wait at one sector
 * at once (one for a tag while the next is queued): their starts cannot be told apart then. */
struct bio_start {
	u64 t;
	u64 app_user_data;
	u32 count;          /* bios queued under this key and not yet taken by a request */
	u32 shared;         /* more than one was at some time: the start above is not one bio's */
};

/* A request in flight, filled in hook by hook. */
struct rq_state {
	u64 t_bio_queue;
	u64 t_rq_insert;
	u64 t_rq_issue;
	u64 t_queue_rq;
	u64 t_vq_add;
	u64 app_user_data;
	u64 t_kick;
	u64 t_vring_interrupt;
	u64 t_complete_rq;
	u64 vq_ptr;
	u64 rq_ptr;         /* the struct request virtio_queue_rq last dispatched under this key */
	s32 hwq;
	s32 vq;
	s32 head;
	u32 kick_seq;
	u32 users;          /* requests issued under this key and not yet completed */
	u32 shared;         /* more than one was at some time: the times above are not one request's */
	u32 inserted;       /* requests inserted under this key and not yet issued (an elevator holds them) */
	u32 pad;
};

/* Per-virtqueue kick and interrupt state, keyed by the struct virtqueue address. */
struct vq_state {
	u32 seq;            /* batches closed by virtqueue_kick_prepare so far */
	u32 pad;
	u64 t_irq;          /* last vring_interrupt on this queue */
	u32 ring_seq[KICK_RING];
	u64 ring_t[KICK_RING]; /* notify time of that batch; 0 = suppressed (EVENT_IDX said no) */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct rq_key);
	__type(value, struct bio_start);
} bios SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct rq_key);
	__type(value, struct rq_state);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, struct vq_state);
} vqs SEC(".maps");

/* The request virtio_queue_rq is handling on this CPU, for virtqueue_add_sgs below it. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, u32);
	__type(value, struct rq_key);
} current_rq SEC(".maps");

/* virtqueue_kick_prepare's argument, from its entry to its return (by thread). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, u64);
	__type(value, u64);
} kick_prepare_vq SEC(".maps");

/* The application io_uring op a thread is submitting, so its bios inherit its user_data. */
struct app_submit {
	u64 user_data;
	u64 t;
	u32 opcode;
	u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, u64);
	__type(value, struct app_submit);
} app_current SEC(".maps");

struct app_key {
	u64 ctx;
	u64 user_data;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_INFLIGHT);
	__type(key, struct app_key);
	__type(value, struct app_submit);
} app_ops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

/* Referenced so that clang emits their BTF: the decoder reads the layouts from it. */
const volatile struct vt_guest_rq *unused_guest_rq __attribute__((unused));
const volatile struct vt_guest_app_op *unused_guest_app_op __attribute__((unused));

static __always_inline struct rq_key key_of(struct request *rq)
{
	struct rq_key k = {};
	struct gendisk *disk = BPF_CORE_READ(rq, q, disk);
	u32 major = BPF_CORE_READ(disk, major);
	u32 minor = BPF_CORE_READ(disk, first_minor);

	k.dev = major << 20 | minor;
	k.sector = BPF_CORE_READ(rq, __sector);
	return k;
}

static __always_inline struct rq_state *state_of(struct rq_key *k)
{
	struct rq_state *s = bpf_map_lookup_elem(&inflight, k);

	if (s)
		return s;
	struct rq_state init = { .hwq = -1, .vq = -1, .head = -1 };
	bpf_map_update_elem(&inflight, k, &init, BPF_NOEXIST);
	return bpf_map_lookup_elem(&inflight, k);
}

SEC("tracepoint/io_uring/io_uring_submit_req")
int io_uring_submit_req(struct trace_event_raw_io_uring_submit_req *ctx)
{
	u64 tid = bpf_get_current_pid_tgid();
	struct app_submit a = { .user_data = ctx->user_data, .t = bpf_ktime_get_ns(), .opcode = ctx->opcode };
	struct app_key k = { .ctx = (u64)ctx->ctx, .user_data = ctx->user_data };

	bpf_map_update_elem(&app_current, &tid, &a, BPF_ANY);
	bpf_map_update_elem(&app_ops, &k, &a, BPF_ANY);
	return 0;
}

SEC("tracepoint/io_uring/io_uring_complete")
int io_uring_complete(struct trace_event_raw_io_uring_complete *ctx)
{
	struct app_key k = { .ctx = (u64)ctx->ctx, .user_data = ctx->user_data };
	struct app_submit *a = bpf_map_lookup_elem(&app_ops, &k);

	if (!a)
		return 0;
	struct vt_guest_app_op *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
	if (r) {
		r->kind = VT_GUEST_APP_OP;
		r->pid = bpf_get_current_pid_tgid() >> 32;
		r->user_data = ctx->user_data;
		r->opcode = a->opcode;
		r->res = ctx->res;
		r->t_submit = a->t;
		r->t_complete = bpf_ktime_get_ns();
		bpf_ringbuf_submit(r, 0);
	} else {
		count_lost();
	}
	bpf_map_delete_elem(&app_ops, &k);
	return 0;
}

/* A bio waiting under `k` for a request: with another still waiting there (one older than any
 * request can wait was lost), neither's start is known. */
static __always_inline void bio_queued(struct rq_key *k, struct bio_start *b)
{
	struct bio_start *old = bpf_map_lookup_elem(&bios, k);

	if (old && b->t < old->t + RQ_TIMEOUT_NS) {
		old->count++;
		old->shared = 1;
		return;
	}
	b->count = 1;
	b->shared = 0;
	bpf_map_update_elem(&bios, k, b, BPF_ANY);
}

SEC("tracepoint/block/block_bio_queue")
int block_bio_queue(struct trace_event_raw_block_bio *ctx)
{
	struct rq_key k = { .dev = ctx->dev, .sector = ctx->sector };
	struct bio_start b = { .t = bpf_ktime_get_ns() };
	u64 tid = bpf_get_current_pid_tgid();
	struct app_submit *a = bpf_map_lookup_elem(&app_current, &tid);

	/* Submitted inline by io_uring in this thread: the bio belongs to that op. */
	if (a) {
		b.app_user_data = a->user_data;
		bpf_map_delete_elem(&app_current, &tid);
	}
	bio_queued(&k, &b);
	return 0;
}

/* One of the bios waiting under `k` is taken (by a request, or merged into one). */
static __always_inline void bio_taken(struct rq_key *k, struct bio_start *b)
{
	if (b->count > 1)
		b->count--;
	else
		bpf_map_delete_elem(&bios, k);
}

SEC("tracepoint/block/block_bio_backmerge")
int block_bio_backmerge(struct trace_event_raw_block_bio *ctx)
{
	/* The bio joined a request that keeps its own start: forget the bio's. */
	struct rq_key k = { .dev = ctx->dev, .sector = ctx->sector };
	struct bio_start *b = bpf_map_lookup_elem(&bios, &k);

	if (b)
		bio_taken(&k, b);
	return 0;
}

SEC("tracepoint/block/block_split")
int block_split(struct trace_event_raw_block_split *ctx)
{
	/* Both halves started when the bio did: carry its start to the second half's sector. */
	struct rq_key k = { .dev = ctx->dev, .sector = ctx->sector };
	struct bio_start *b = bpf_map_lookup_elem(&bios, &k);

	if (!b)
		return 0;
	struct bio_start copy = *b;
	struct rq_key nk = { .dev = ctx->dev, .sector = ctx->new_sector };
	bio_queued(&nk, &copy);
	return 0;
}

static __always_inline int rq_event(u32 dev, u64 sector, bool issue)
{
	struct rq_key k = { .dev = dev, .sector = sector };
	u64 now = bpf_ktime_get_ns();
	struct rq_state *s = state_of(&k);

	if (!s)
		return 0;
	/* A state older than any request can be in flight: its completion was never seen. */
	u64 since = s->t_rq_issue ? s->t_rq_issue : s->t_rq_insert;
	if (since && now > since + RQ_TIMEOUT_NS) {
		struct rq_state init = { .hwq = -1, .vq = -1, .head = -1 };
		*s = init;
	}
	/* The requests under this key besides this one: those issued and not completed, and those
	 * inserted and not issued (an elevator can hold one while another at its sector completes).
	 * An issue after an insert under the key is the inserted request's (if two were inserted,
	 * the state is shared already). A request dispatched again after a requeue was uncounted by
	 * virtio_queue_rq, which comes first. */
	u32 others = s->users + s->inserted;
	if (issue) {
		if (s->inserted) {
			s->inserted--;
			others--;
		}
		s->users++;
	} else {
		s->inserted++;
	}
	/* Another request at the same sector: no time here is one request's, nor its bio's start. */
	if (others || s->shared) {
		s->shared = 1;
		struct bio_start *b = bpf_map_lookup_elem(&bios, &k);
		if (b)
			bio_taken(&k, b);
		return 0;
	}
	if (!s->t_bio_queue) {
		struct bio_start *b = bpf_map_lookup_elem(&bios, &k);
		if (b) {
			if (!b->shared) {
				s->t_bio_queue = b->t;
				s->app_user_data = b->app_user_data;
			}
			bio_taken(&k, b);
		}
	}
	if (issue)
		s->t_rq_issue = now;
	else
		s->t_rq_insert = now;
	return 0;
}

SEC("tracepoint/block/block_rq_insert")
int block_rq_insert(struct trace_event_raw_block_rq *ctx)
{
	return rq_event(ctx->dev, ctx->sector, false);
}

SEC("tracepoint/block/block_rq_issue")
int block_rq_issue(struct trace_event_raw_block_rq *ctx)
{
	return rq_event(ctx->dev, ctx->sector, true);
}

SEC("kprobe/virtio_queue_rq")
int BPF_KPROBE(virtio_queue_rq, struct blk_mq_hw_ctx *hctx, struct blk_mq_queue_data *bd)
{
	struct request *rq = BPF_CORE_READ(bd, rq);
	struct rq_key k = key_of(rq);
	struct rq_state *s = state_of(&k);
	u32 zero = 0;

	if (s) {
		/* The same request dispatched again (requeued when its virtqueue was full): the
		 * block_rq_issue inside this call is its own again, not another request's. */
		if (s->rq_ptr == (u64)rq && s->users) {
			s->users--;
			if (!s->shared)
				s->t_rq_issue = 0;
		}
		s->rq_ptr = (u64)rq;
		s->t_queue_rq = bpf_ktime_get_ns();
		s->hwq = BPF_CORE_READ(hctx, queue_num);
	}
	bpf_map_update_elem(&current_rq, &zero, &k, BPF_ANY);
	return 0;
}

SEC("kprobe/virtqueue_add_sgs")
int BPF_KPROBE(virtqueue_add_sgs, struct virtqueue *vq)
{
	u32 zero = 0;
	struct rq_key *k = bpf_map_lookup_elem(&current_rq, &zero);

	if (!k || !k->dev)
		return 0;
	struct rq_state *s = bpf_map_lookup_elem(&inflight, k);
	if (!s)
		return 0;
	struct vring_virtqueue *vvq = (struct vring_virtqueue *)vq;
	u64 vq_ptr = (u64)vq;
	struct vq_state *q = bpf_map_lookup_elem(&vqs, &vq_ptr);

	s->t_vq_add = bpf_ktime_get_ns();
	s->vq = BPF_CORE_READ(vq, index);
	/* On a split ring the chain's head is the free list's head when it is added. */
	s->head = BPF_CORE_READ(vvq, packed_ring) ? -1 : (s32)BPF_CORE_READ(vvq, free_head);
	s->vq_ptr = vq_ptr;
	/* Published by the next batch virtqueue_kick_prepare closes on this queue. */
	s->kick_seq = (q ? q->seq : 0) + 1;
	k->dev = 0;
	return 0;
}

static __always_inline struct vq_state *vq_state_of(u64 vq_ptr)
{
	struct vq_state *q = bpf_map_lookup_elem(&vqs, &vq_ptr);

	if (q)
		return q;
	/* vq_state is too big for the stack: start from an all-zero value in the map. */
	static const struct vq_state zero;
	bpf_map_update_elem(&vqs, &vq_ptr, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&vqs, &vq_ptr);
}

SEC("kprobe/virtqueue_kick_prepare")
int BPF_KPROBE(virtqueue_kick_prepare, struct virtqueue *vq)
{
	u64 tid = bpf_get_current_pid_tgid();
	u64 vq_ptr = (u64)vq;

	bpf_map_update_elem(&kick_prepare_vq, &tid, &vq_ptr, BPF_ANY);
	return 0;
}

SEC("kretprobe/virtqueue_kick_prepare")
int BPF_KRETPROBE(virtqueue_kick_prepare_ret, bool notify)
{
	u64 tid = bpf_get_current_pid_tgid();
	u64 *vq_ptr = bpf_map_lookup_elem(&kick_prepare_vq, &tid);

	if (!vq_ptr)
		return 0;
	struct vq_state *q = vq_state_of(*vq_ptr);
	bpf_map_delete_elem(&kick_prepare_vq, &tid);
	if (!q)
		return 0;
	/* The batch is closed; its notify time comes at virtqueue_notify, or never if suppressed. */
	u32 seq = q->seq + 1;
	u32 slot = seq % KICK_RING;
	q->seq = seq;
	q->ring_seq[slot] = seq;
	q->ring_t[slot] = 0;
	return 0;
}

SEC("kprobe/virtqueue_notify")
int BPF_KPROBE(virtqueue_notify, struct virtqueue *vq)
{
	struct vq_state *q = vq_state_of((u64)vq);

	if (!q)
		return 0;
	u32 slot = q->seq % KICK_RING;
	if (q->ring_seq[slot] == q->seq)
		q->ring_t[slot] = bpf_ktime_get_ns();
	return 0;
}

SEC("kprobe/vring_interrupt")
int BPF_KPROBE(vring_interrupt, int irq, struct virtqueue *vq)
{
	struct vq_state *q = vq_state_of((u64)vq);

	if (q)
		q->t_irq = bpf_ktime_get_ns();
	return 0;
}

SEC("kprobe/blk_mq_complete_request")
int BPF_KPROBE(blk_mq_complete_request, struct request *rq)
{
	struct rq_key k = key_of(rq);
	struct rq_state *s = bpf_map_lookup_elem(&inflight, &k);

	if (!s)
		return 0;
	s->t_complete_rq = bpf_ktime_get_ns();
	/* This struct request is done: dispatched again under the key, it is a new request reusing
	 * it (blk-mq hands a tag's struct out again at once), not this one back after a requeue. */
	if (s->rq_ptr == (u64)rq)
		s->rq_ptr = 0;
	/* Called from virtblk_done inside vring_interrupt: the queue's last interrupt is this one. */
	u64 vq_ptr = s->vq_ptr;
	struct vq_state *q = bpf_map_lookup_elem(&vqs, &vq_ptr);
	if (q) {
		u32 slot = s->kick_seq % KICK_RING;
		s->t_vring_interrupt = q->t_irq;
		if (q->ring_seq[slot] == s->kick_seq)
			s->t_kick = q->ring_t[slot];
	}
	return 0;
}

SEC("tracepoint/block/block_rq_complete")
int block_rq_complete(struct trace_event_raw_block_rq_completion *ctx)
{
	struct rq_key k = { .dev = ctx->dev, .sector = ctx->sector };
	struct rq_state *s = bpf_map_lookup_elem(&inflight, &k);
	struct vt_guest_rq *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);

	if (r) {
		__builtin_memset(r, 0, sizeof(*r));
		r->kind = VT_GUEST_RQ;
		r->dev = ctx->dev;
		r->sector = ctx->sector;
		r->nr_sector = ctx->nr_sector;
		r->error = ctx->error;
		r->cpu = bpf_get_smp_processor_id();
		__builtin_memcpy(r->rwbs, ctx->rwbs, sizeof(ctx->rwbs));
		r->t_rq_complete = bpf_ktime_get_ns();
		r->hwq = -1;
		r->vq = -1;
		r->head = -1;
		if (s && !s->shared) {
			r->hwq = s->hwq;
			r->vq = s->vq;
			r->head = s->head;
			r->kick_seq = s->kick_seq;
			r->app_user_data = s->app_user_data;
			r->t_bio_queue = s->t_bio_queue;
			r->t_rq_insert = s->t_rq_insert;
			r->t_rq_issue = s->t_rq_issue;
			r->t_queue_rq = s->t_queue_rq;
			r->t_vq_add = s->t_vq_add;
			r->t_kick = s->t_kick;
			r->t_vring_interrupt = s->t_vring_interrupt;
			r->t_complete_rq = s->t_complete_rq;
		}
		bpf_ringbuf_submit(r, 0);
	} else {
		count_lost();
	}
	/* The last of the requests under the key takes the state with it. A completion with no issue
	 * seen is an inserted request's (its issue program was skipped). */
	if (s) {
		if (s->users)
			s->users--;
		else if (s->inserted)
			s->inserted--;
		if (!s->users && !s->inserted)
			bpf_map_delete_elem(&inflight, &k);
	}
	return 0;
}
