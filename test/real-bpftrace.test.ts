// The bpftrace capture scripts' output: a real capture from a virtio-blk VM read, replayed and held against fio's own figures; bad and cut files.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { TOP_STAGES } from '../src/correlate/index.js';
import { InputError } from '../src/errors.js';
import { replayFile } from '../src/replay/index.js';
import { collect, openCapture, readBpftrace, readBpftraceText, type RawEvent } from '../src/trace/index.js';
import { repoRoot } from './shared.js';

const dir = join(repoRoot, 'traces/real-bpftrace');
const capture = join(dir, 'randrw-4k-qd8.guest.bt.txt.gz');
const fio = JSON.parse(readFileSync(join(dir, 'randrw-4k-qd8.fio.json'), 'utf8')).jobs[0];
const text = gunzipSync(readFileSync(capture)).toString('utf8');

/** The one-line message the CLI would print (`file:line: why`) for a promise that must fail with bad input. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InputError) return e.describe();
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('real capture: viotrace-guest.bt under fio randrw 4k qd8 on a virtio-blk VM', async () => {
  const stream = readBpftrace(capture);
  const { events, stats } = await collect(stream);

  it('reads the header, every event by its tracepoint name, and the wrapper\'s drop counts', () => {
    expect(stream.header).toEqual({ version: 1, side: 'guest', script: 'viotrace-guest.bt' });
    expect(stats.events).toBe(14206);
    expect(stats.byName).toEqual({
      block_bio_queue: 2402, block_rq_insert: 2402, block_rq_issue: 2402, block_rq_complete: 2200, io_uring_submit_req: 2400, io_uring_complete: 2400,
    });
    expect(stats.unknown).toBe(0);
    // 2200 completions seen + 202 skipped = 2402 issued. The kernel skipped block_rq_complete's program: completion interrupts that came while
    // another BPF program ran on that CPU (capture.sh read recursion_misses before stopping bpftrace).
    expect(stream.drops).toEqual([{ program: 'block_rq_comple', count: 202, reason: 'recursion_misses' }]);
    expect(stats.lost).toBe(202);
    expect(stream.cut).toBeUndefined();
  });

  it('puts the per-CPU buffers back in time order', () => {
    expect(stream.reordered).toBe(3);
    for (let i = 1; i < events.length; i++) expect(events[i]!.ts >= events[i - 1]!.ts).toBe(true);
    const first = events[0]!;
    expect(first.clock).toBe('guest-mono');
    expect(typeof first.fields.dev).toBe('number');
    // Keys stay as printed: io_uring user_data is hex text, compared exactly.
    expect(events.find((e) => e.name === 'io_uring_submit_req')!.fields.user_data).toMatch(/^0x[0-9a-f]+$/);
  });

  const r = await replayFile(capture, { keepPaths: 10_000 });
  const all = r.input.stats.all;
  const byOp = (op: 'read' | 'write') => r.input.stats.groups.get('op')!.get(op)!;

  it('replays into guest-only paths whose stages sum to each total', () => {
    expect(r.kind).toBe('bpftrace-text');
    expect(all.matches.matched).toBe(0);
    expect(r.input.lost.guest).toBe(202);
    for (const p of r.input.paths!) expect(TOP_STAGES.reduce((a, s) => a + (p.stages[s.name] ?? 0), 0)).toBe(p.total);
    expect(r.notes.some((n) => n.includes('the kernel skipped the tracepoint:block:block_rq_complete program 202 times'))).toBe(true);
  });

  it("counts fio's I/Os less the completions the kernel skipped", () => {
    const ios = fio.read.total_ios + fio.write.total_ios;
    const seen = byOp('read').total.count + byOp('write').total.count;
    expect(seen).toBeLessThanOrEqual(ios);
    expect(seen).toBeGreaterThanOrEqual(ios - 202);
  });

  // Measured: reads 169.7 us (fio clat 91.7, lat 206.5), writes 186.4 us (clat 110.0, lat 221.4). The
  // tracepoints start inside io_uring_enter: after fio's submission latency starts (lat), before the
  // syscall returns (clat). Each direction's mean must fall between fio's two, and no request may be
  // slower than fio's slowest (which a stale join of a reused sector or user_data would break).
  it("lies between fio's completion and total latency, per direction", () => {
    for (const op of ['read', 'write'] as const) {
      const t = byOp(op).total;
      expect(t.mean()).toBeGreaterThan(fio[op].clat_ns.mean);
      expect(t.mean()).toBeLessThan(fio[op].lat_ns.mean);
      expect(t.max).toBeLessThanOrEqual(fio[op].lat_ns.max);
    }
  });
});

describe('bpftrace capture files that are cut or wrong', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'viotrace-bt-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const lines = text.split('\n');

  it('reads a capture killed mid-line: every complete event, with a warning naming the place', async () => {
    const cut = lines.slice(0, 5000).join('\n') + '\n' + lines[5000]!.slice(0, 40);
    const path = join(tmp, 'cut.bt.txt');
    writeFileSync(path, cut);
    const r = await replayFile(path);
    expect(r.cut?.where).toBe(`${path}:5001`);
    expect(r.cut?.reason).toBe('the file ends inside line 5001, 40 bytes into it (no newline after them): it was cut; 5000 complete lines were read');
    expect(r.input.stats.all.total.count).toBeGreaterThan(700);
  });

  it('names file:line for a malformed line in the middle, and --lenient skips and counts it', async () => {
    const bad = [...lines];
    bad[99] = '34708908596152 tracepoint:block:block_rq_issue cpu=0 pid=12281 dev=266338304 sector comm=fio';
    const path = join(tmp, 'bad.bt.txt');
    writeFileSync(path, bad.join('\n'));
    expect(await failure(replayFile(path))).toBe(`${path}:100: block_rq_issue: "sector" is not key=value (--lenient skips malformed lines)`);
    const r = await replayFile(path, { lenient: true });
    expect(r.input.skippedLines).toBe(1);
  });

  it('refuses events before a header, another version, a host capture where the guest side is needed', async () => {
    expect(await failure(collect(readBpftraceText('1 block_rq_issue cpu=0 pid=1 dev=1 sector=1 nr_sector=8 bytes=4096 rwbs=R comm=x\n', { label: 'x.txt' })))).toMatch(/^x.txt:1: .*no "# viotrace-bpftrace v1" header/);
    expect(await failure(collect(readBpftraceText('# viotrace-bpftrace v2 side=guest clock=monotonic\n', { label: 'v.txt' })))).toMatch(/^v.txt:1: unsupported viotrace-bpftrace version "v2"/);
    expect(await failure(collect(readBpftraceText('# viotrace-bpftrace v1 side=host clock=monotonic\n# end\n', { label: 'h.txt', side: 'guest' })))).toMatch(/^h.txt:1: a host-side capture where the guest side was expected/);
    const missing = `# viotrace-bpftrace v1 side=guest clock=monotonic\n5 block_rq_issue cpu=0 pid=1 dev=1 sector=1 nr_sector=8 rwbs=R comm=x y\n# end\n`;
    expect(await failure(collect(readBpftraceText(missing, { label: 'm.txt' })))).toBe('m.txt:2: block_rq_issue: no bytes= field (--lenient skips malformed lines)');
  });

  it('keeps a task name with spaces whole and counts bpftrace\'s own lost-event lines', async () => {
    const t = `Attaching 12 probes...\n# viotrace-bpftrace v1 side=host clock=monotonic\n7 tracepoint:io_uring:io_uring_submit_req cpu=1 pid=9 ctx=0x1 req=0x2 user_data=0x7f00 opcode=22 op_str=READ comm=IO iothread0\nLost 4 events\n# end\n`;
    const s = readBpftraceText(t, { label: 't.txt' });
    const { events, stats } = await collect(s);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'host', clock: 'host-mono', ts: 7n, name: 'io_uring_submit_req', task: 'IO iothread0', pid: 9, cpu: 1 });
    expect(events[0]!.fields).toEqual({ ctx: '0x1', req: '0x2', user_data: '0x7f00', opcode: 22, op_str: 'READ' });
    expect(stats.lost).toBe(4);
  });
});

// The capture lab run with --host-bpftrace: viotrace-host.bt ran beside the tracefs instances on the same
// QEMU (TCG, so no KVM events), so the script's output can be held against tracefs event for event.
describe('real full-path capture qd16-mixed-bpftrace: viotrace-host.bt against tracefs on one run', async () => {
  const folder = join(repoRoot, 'traces/real/qd16-mixed-bpftrace');
  const capture = await openCapture(folder);
  const bt = await collect(capture.hostBpftrace!());
  const iou = await collect(capture.hostIouring());
  const blk = await collect(capture.hostBlock());
  const hostDev = capture.manifest.host.dev;

  it("sees every io_uring event QEMU made, as tracefs's comm-filtered instance did", () => {
    for (const name of ['io_uring_create', 'io_uring_submit_req', 'io_uring_queue_async_work', 'io_uring_complete']) {
      expect(bt.stats.byName[name] ?? 0).toBe(iou.stats.byName[name] ?? 0);
    }
    expect(iou.stats.byName.io_uring_submit_req).toBe(348);
    // Same requests: the user_data of every submission, in order.
    const ud = (es: RawEvent[]) => es.filter((e) => e.name === 'io_uring_submit_req').map((e) => String(e.fields.user_data));
    expect(ud(bt.events)).toEqual(ud(iou.events));
  });

  it("sees the image's disk requests tracefs saw once bpftrace had attached (tracefs began a second earlier)", () => {
    const attached = bt.events[0]!.ts;
    for (const name of ['block_rq_issue', 'block_rq_complete']) {
      const ours = bt.events.filter((e) => e.name === name && e.fields.dev === hostDev).map((e) => `${e.fields.sector}+${e.fields.nr_sector}`);
      // tracefs prints microseconds: compare from the first whole microsecond after attaching.
      const theirs = blk.events.filter((e) => e.name === name && e.ts >= attached + 1000n).map((e) => `${e.fields.sector}+${e.fields.nr_sector}`);
      expect(ours.length).toBeGreaterThanOrEqual(theirs.length);
      expect(ours.length - theirs.length).toBeLessThanOrEqual(1);
      expect(ours.slice(-theirs.length)).toEqual(theirs);
    }
  });

  // Measured: 512 of 512 guest requests matched either way; host stage means within 4.3 us of each
  // other (qemu_submit 91.3 vs 94.2 us, host_io 455.3 vs 452.9 us): bpftrace stamps in nanoseconds
  // when its program runs, tracefs in microseconds when its own probe records.
  it('stitches the same requests through the same layers from either host recording', async () => {
    const fromTracefs = await replayFile(folder, { captureHost: 'tracefs' });
    const fromBpftrace = await replayFile(folder, { captureHost: 'bpftrace' });
    const a = fromTracefs.input.stats.all, b = fromBpftrace.input.stats.all;
    expect(b.matches).toEqual({ matched: 512, guest_only: 0, host_only: 4 });
    expect(b.matches).toEqual(a.matches);
    for (const [stage, h] of a.stages) {
      const o = b.stages.get(stage)!;
      expect(o.count).toBe(h.count);
      expect(Math.abs(o.mean() - h.mean())).toBeLessThan(5_000);
    }
  });

  it('says so when a capture has no bpftrace host stream', async () => {
    await expect(replayFile(join(repoRoot, 'traces/real/qd16-mixed'), { captureHost: 'bpftrace' })).rejects.toThrow(/no bpftrace host stream/);
  });
});

describe('a completion the kernel skipped', () => {
  it('does not lend its request\'s start to the next request at the same sector', async () => {
    const h = '# viotrace-bpftrace v1 side=guest clock=monotonic\n';
    const rq = (t: number, ev: string, extra = '') => `${t} ${ev} cpu=0 pid=7 dev=8388608 sector=4096 nr_sector=8 ${extra}rwbs=R comm=fio\n`;
    const text = h +
      rq(1_000_000, 'block_bio_queue') + rq(1_001_000, 'block_rq_issue', 'bytes=4096 ') + // its completion never printed
      rq(9_000_000, 'block_bio_queue') + rq(9_001_000, 'block_rq_issue', 'bytes=4096 ') + rq(9_101_000, 'block_rq_complete', 'error=0 ') + '# end\n';
    const path = join(mkdtempSync(join(tmpdir(), 'viotrace-bt-')), 'skip.bt.txt');
    writeFileSync(path, text);
    const r = await replayFile(path, { keepPaths: 10 });
    expect(r.input.paths!.map((p) => p.total)).toEqual([101_000]);
    expect(r.notes).toContain('1 requests never showed a completion (a later request at the same sector replaced them)');
  });
});
