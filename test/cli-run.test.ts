// `viotrace scenarios` and `viotrace run`: the scenario list, a run's summary, its JSON report and its records.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { sharedPath } from './shared.js';

describe('viotrace scenarios', () => {
  it('lists name, description and culprit as JSON', async () => {
    const r = await runCli(['scenarios', '--json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.out) as { name: string; description: string; culprit: string }[];
    expect(list.map((s) => `${s.name}:${s.culprit}`)).toContain('uring-saturation:qemu_submit');
    for (const s of list) expect(s.description.length).toBeGreaterThan(20);
  });
});

describe('viotrace run', () => {
  it('summarises a run: records, losses, the ground truth with its culprit', async () => {
    const r = await runCli(['run', '--scenario', 'guest-queueing', '--requests', '300', '--no-tui']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^scenario guest-queueing \(seed 1\)/);
    expect(r.out).toMatch(/records: guest \d+, host \d+ \(.*qemu_req \d+.*\); lost: guest 0, host 0/);
    expect(r.out).toMatch(/guest_queue\s+\S+ mean\s+\d+\.\d%  <- culprit/);
  });

  it('prints the JSON report of the run', async () => {
    const r = await runCli(['run', '--scenario', 'baseline', '--requests', '200', '--seed', '3', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.schema).toBe('viotrace.report/1');
    expect(report.source).toEqual({ kind: 'scenario', name: 'baseline', seed: 3 });
    expect(report.requests.total).toBe(200);
  });

  it('prints the same JSON report when it also records, the source still the scenario', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'viotrace-rec-')), 'r.jsonl');
    const recorded = await runCli(['run', '--scenario', 'baseline', '--requests', '200', '--seed', '3', '--record', file, '--json']);
    expect(recorded.code, recorded.err).toBe(0);
    const plain = await runCli(['run', '--scenario', 'baseline', '--requests', '200', '--seed', '3', '--json']);
    expect(JSON.parse(recorded.out)).toEqual(JSON.parse(plain.out));
  });

  it('prints every record, one JSON object a line, the same for the same seed', async () => {
    const a = await runCli(['run', '--requests', '100', '--records']);
    const b = await runCli(['run', '--requests', '100', '--records']);
    expect(a.out).toBe(b.out);
    const lines = a.out.trim().split('\n').map((l) => JSON.parse(l) as { side: string; record: string });
    expect(new Set(lines.map((l) => `${l.side}:${l.record}`))).toEqual(new Set(['guest:guest_rq', 'guest:guest_app_op', 'host:qemu_req', 'host:uring_op', 'host:host_blk', 'host:kick', 'host:notify']));
  });

  it('refuses an unknown scenario with exit 2', async () => {
    const r = await runCli(['run', '--scenario', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown scenario "nope"');
  });
});

describe('viotrace report --scenario', () => {
  it('--requests 500 reports exactly 500 requests, as record and run --json do', async () => {
    const r = await runCli(['report', '--scenario', 'baseline', '--requests', '500', '--format', 'json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect([report.requests.total, report.requests.matched, report.total.count]).toEqual([500, 500, 500]);
    expect(JSON.parse((await runCli(['run', '--requests', '500', '--json'])).out).requests.total).toBe(500);
    const file = join(mkdtempSync(join(tmpdir(), 'viotrace-n-')), 'n.jsonl');
    const rec = await runCli(['record', '--scenario', 'baseline', '--requests', '500', '-o', file]);
    expect(rec.err).toMatch(/ records of 500 requests /);
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('"kind":"guest_rq"'))).toHaveLength(500);
  });

  it('exports every stitched request of a run to Perfetto, guest and host stages as slices', async () => {
    const r = await runCli(['report', '--scenario', 'baseline', '--requests', '150', '--format', 'perfetto']);
    expect(r.code, r.err).toBe(0);
    const slices = (JSON.parse(r.out).traceEvents as { ph: string; name: string }[]).filter((e) => e.ph === 'X');
    const requests = slices.filter((s) => / read \d+\+8$/.test(s.name)).length;
    expect(requests).toBeGreaterThanOrEqual(150);
    for (const stage of ['notify', 'qemu_submit', 'host_io', 'device', 'interrupt']) expect(slices.some((s) => s.name === stage), stage).toBe(true);
  });

  it('keeps as many slowest requests as --slowest asks, as report FILE does', async () => {
    for (const n of [0, 3, 25]) {
      const r = await runCli(['report', '--scenario', 'baseline', '--requests', '200', '--slowest', String(n)]);
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out).slowest).toHaveLength(n);
    }
  });

  it('runs for simulated seconds with --duration, the same run as run --duration', async () => {
    const r = await runCli(['report', '--scenario', 'baseline', '--duration', '0.01', '--seed', '4']);
    expect(r.code, r.err).toBe(0);
    const run = await runCli(['run', '--scenario', 'baseline', '--duration', '0.01', '--seed', '4', '--json']);
    expect(JSON.parse(r.out)).toEqual(JSON.parse(run.out));
    expect(JSON.parse(r.out).requests.total).toBeGreaterThan(500);
  }, 60_000);
});

describe('viotrace run --duration', () => {
  it('runs for simulated seconds instead of a request count', async () => {
    const r = await runCli(['run', '--duration', '0.02', '--no-tui']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^\d+ requests in 20\.00ms simulated/m);
  }, 60_000);
  it('records for simulated seconds too', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'viotrace-dur-')), 'd.jsonl');
    const r = await runCli(['record', '--scenario', 'baseline', '--duration', '0.01', '-o', file]);
    expect(r.code, r.err).toBe(0);
    const back = await runCli(['report', file, '--format', 'json']);
    const requests = JSON.parse(back.out).requests.total as number;
    // 10 ms of a ~120k IOPS scenario.
    expect(requests).toBeGreaterThan(500);
    expect(requests).toBeLessThan(3000);
  }, 60_000);
  it.each([
    [['run', '--duration', '1', '--requests', '10'], 'run takes --requests N or --duration SECONDS, not both'],
    [['record', '--scenario', 'baseline', '-o', 'x.jsonl', '--duration', '1', '--requests', '10'], 'record takes --requests N or --duration SECONDS, not both'],
    [['report', '--scenario', 'baseline', '--duration', '1', '--requests', '10'], 'report takes --requests N or --duration SECONDS, not both'],
    [['run', '--duration', '0'], '--duration must be simulated seconds, more than 0 and at most 3600 (got "0")'],
    [['run', '--duration', 'abc'], '--duration must be simulated seconds, more than 0 and at most 3600 (got "abc")'],
  ])('%j is bad usage', async (args, message) => {
    const r = await runCli(args);
    expect([r.code, r.err]).toEqual([2, `viotrace: ${message}\n`]);
  });
});

describe('viotrace run --job', () => {
  const job = (text: string): string => {
    const file = join(mkdtempSync(join(tmpdir(), 'viotrace-job-')), 'j.fio');
    writeFileSync(file, text);
    return file;
  };

  it("runs a real fio run's jobs (its JSON output) for their runtime, the report naming the job", async () => {
    const r = await runCli(['run', '--job', sharedPath('traces', 'real-guest', 'randread-4k-qd8-io_uring.fio.json'), '--json']);
    expect(r.code, r.err).toBe(0);
    const report = JSON.parse(r.out);
    expect(report.source).toEqual({ kind: 'scenario', name: 'baseline', seed: 1, job: 'randread-4k-qd8-io_uring.fio.json' });
    // rate_iops=3000 for runtime=2: 6,000 requests, all 4 KiB reads.
    expect(report.requests.total).toBe(6000);
    expect(report.requests.matched).toBe(6000);
  }, 60_000);

  it('ends at number_ios on any scenario, and says on stderr what it simulates differently', async () => {
    const r = await runCli(['accuracy', '--scenario', 'slow-disk', '--job', job('[j]\nrw=randread\niodepth=8\nnumber_ios=400\nfsync=4\n'), '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ requests: 400, precision: 1 });
    expect(r.err).toMatch(/^viotrace: note: .*j\.fio:5: fsync=4: not simulated, ignored$/m);
  }, 60_000);

  it('refuses what it cannot simulate with the line, exit 1', async () => {
    const file = job('[global]\ndirect=1\n[t]\nrw=randtrim\n');
    const r = await runCli(['run', '--job', file, '--no-tui']);
    expect([r.code, r.err]).toEqual([1, `viotrace: ${file}:4: rw=randtrim: not simulated (read, write, randread, randwrite, randrw, rw/readwrite)\n`]);
    const missing = await runCli(['report', '--job', `${file}.gone`]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/j\.fio\.gone: cannot read: ENOENT/);
  });
});

describe('viotrace run --qemu-loop', () => {
  const qemuReqs = (out: string) => out.split('\n').filter((l) => l.includes('"record":"qemu_req"')).map((l) => JSON.parse(l) as { qemu_pid: number; tid: number });

  it("moves a scenario's devices to QEMU's main loop (tid = QEMU's pid) or to the iothread", async () => {
    const main = await runCli(['run', '--scenario', 'baseline', '--qemu-loop', 'main', '--requests', '100', '--records']);
    expect(main.code, main.err).toBe(0);
    const onMain = qemuReqs(main.out);
    // Every completed request's, and those QEMU completed that the guest had not yet reaped.
    expect(onMain.length).toBeGreaterThanOrEqual(100);
    expect(onMain.length).toBeLessThan(110);
    for (const r of onMain) expect(r.tid).toBe(r.qemu_pid);
    const io = await runCli(['run', '--scenario', 'main-loop-busy', '--qemu-loop', 'iothread', '--requests', '100', '--records']);
    expect(io.code, io.err).toBe(0);
    const onIothread = qemuReqs(io.out);
    expect(onIothread.length).toBeGreaterThanOrEqual(100);
    expect(onIothread.length).toBeLessThan(110);
    for (const r of onIothread) expect(r.tid).not.toBe(r.qemu_pid);
  });

  it('refuses a loop it does not know, exit 2', async () => {
    const r = await runCli(['accuracy', '--scenario', 'baseline', '--qemu-loop', 'vcpu']);
    expect([r.code, r.err]).toEqual([2, 'viotrace: --qemu-loop takes iothread or main, not "vcpu"\n']);
  });
});
