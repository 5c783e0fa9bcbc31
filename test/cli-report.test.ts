// `viotrace report` / `replay` end to end through the CLI: output, exit codes, file:line errors, cut files.
import { cpSync, rmSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { guestTime } from '../src/records/index.js';
import { TraceWriter } from '../src/trace/index.js';
import { runCli } from './cli.js';
import { repoRoot, sharedPath } from './shared.js';

/** Runs the CLI capturing stdout and stderr. */
const run = (...args: string[]): ReturnType<typeof runCli> => runCli(args);

const dir = mkdtempSync(join(tmpdir(), 'viotrace-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('viotrace report', () => {
  it('reports a real guest capture as JSON', async () => {
    const r = await run('report', sharedPath('traces/real-guest/randrw-4k-512k-qd32-io_uring.trace.txt'));
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.out);
    expect(rep.schema).toBe('viotrace.report/1');
    expect(rep.requests.guest_only).toBe(111);
    expect(r.err).toContain('no_host_records');
  });

  it('stops at a malformed tracefs line naming file:line, exit 1; --lenient skips it', async () => {
    const lines = readFileSync(sharedPath('traces/real-guest/randrw-4k-512k-qd32-io_uring.trace.txt'), 'utf8').split('\n');
    lines[20] = '             fio-3669    [000] .....  4378.931680: block_rq_issue: 254,0 RA banana';
    const bad = join(dir, 'bad.trace.txt');
    writeFileSync(bad, lines.join('\n'));
    const r = await run('report', '--format', 'text', bad);
    expect(r.code).toBe(1);
    expect(r.err.startsWith(`viotrace: ${bad}:21: `)).toBe(true);
    expect(r.err).toContain('block_rq_issue');
    expect(r.out).toBe('');
    const l = await run('report', '--format', 'text', '--lenient', bad);
    expect(l.code).toBe(0);
    expect(l.err).toContain('1 malformed lines skipped');
  });

  it('exits 2 on an unknown format', async () => {
    expect((await run('report', '--format', 'pdf', 'x')).code).toBe(2);
  });
});

describe('viotrace replay of a cut recording', () => {
  it('prints what was recorded, then names the cut and exits 1 (warning and 0 with --lenient)', async () => {
    const path = join(dir, 'cut.jsonl');
    const w = new TraceWriter(path, {
      tool: 'test', created: '2026-11-24T00:00:00Z', source: { kind: 'capture', name: 'cut' }, hooks: [],
      clocks: { guest: { domain: 'guest-mono', base: '0' }, host: { domain: 'host-mono', base: '0' } }, topology: { vms: [], hostDevices: [] },
    });
    for (let i = 0; i < 10; i++) {
      const t = 1_000_000 * (i + 1);
      w.write({
        kind: 'guest_rq', vm: 'vm1', dev: 254 * 2 ** 20, sector: i * 8, nrSectors: 8, op: 'read', rwbs: 'R', error: 0, hwq: 0, vq: 0, head: i,
        cpu: 0, kickSeq: 0, appUserData: 0n, tBioQueue: guestTime(t), tRqInsert: guestTime(0), tRqIssue: guestTime(t + 5_000),
        tQueueRq: guestTime(0), tVqAdd: guestTime(0), tKick: guestTime(0), tVringInterrupt: guestTime(0), tCompleteRq: guestTime(0), tRqComplete: guestTime(t + 105_000),
      });
    }
    w.flush();
    await new Promise((r) => setTimeout(r, 50)); // killed here: no close(), no end line
    const r = await run('replay', '--no-tui', path);
    expect(r.out).toContain('requests 10: matched 0, guest only 10');
    expect(r.err).toMatch(/cut\.jsonl:\d+: the recording was cut: no end line; 10 complete records were read/);
    expect(r.code).toBe(1);
    const l = await run('replay', '--no-tui', '--lenient', path);
    expect(l.code).toBe(0);
    expect(l.err).toContain('warning');
  });
});

describe('viotrace report: a Perfetto or OTLP export of more requests than it keeps', () => {
  // The export holds paths in memory (100,000 by default): the ones beyond are left out, and the user is told.
  it('says how many requests it left out, and --max-paths sets the limit', async () => {
    const r = await run('report', 'traces/real/qd16-mixed', '--format', 'perfetto', '--max-paths', '100');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('viotrace: note: the perfetto export holds the first 100 of 516 requests (--max-paths sets the limit)\n');
    const events = JSON.parse(r.out).traceEvents as { cat?: string }[];
    expect(events.filter((e) => e.cat === 'request').length).toBeLessThanOrEqual(100);
    const all = await run('report', 'traces/real/qd16-mixed', '--format', 'otlp');
    expect(all.err).not.toContain('export holds');
  });

  it('says it for --scenario too', async () => {
    const r = await run('report', '--scenario', 'baseline', '--requests', '300', '--format', 'otlp', '--max-paths', '50');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^viotrace: note: the otlp export holds the first 50 of \d+ requests \(--max-paths sets the limit\)\n$/);
  });
});

describe('viotrace report of a real capture whose gzip stream is cut', () => {
  const shipped = readFileSync(join(repoRoot, 'traces/real-bpftrace/randrw-4k-qd8.guest.bt.txt.gz'));
  /** Lines zlib itself decodes whole from the first `at` bytes. */
  const complete = (at: number) => gunzipSync(shipped.subarray(0, at), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8').split('\n').length - 1;

  it('reports what came before, names the line after the last complete one and the compressed byte, exit 1; --lenient the same report, a warning, exit 0', async () => {
    const at = shipped.length >> 1;
    const path = join(dir, 'cut.bt.txt.gz');
    writeFileSync(path, shipped.subarray(0, at));
    const k = complete(at);
    const line = `${path}:${k + 1}: the gzip stream is truncated: the file ends inside its compressed data (compressed byte ${at}); ${k} complete lines were read\n`;
    const r = await run('report', path, '--format', 'json');
    expect(r.code).toBe(1);
    expect(r.err.endsWith(`\nviotrace: ${line}`)).toBe(true);
    const l = await run('report', path, '--format', 'json', '--lenient');
    expect(l.code).toBe(0);
    expect(l.out).toBe(r.out);
    const total = JSON.parse(l.out).requests.total;
    // The whole capture replays 2200 requests; its first half about half of them.
    expect(total).toBeGreaterThan(800);
    expect(total).toBeLessThan(1400);
    expect(l.err.endsWith(`viotrace: warning: ${line}`)).toBe(true);
  });

  it('a capture folder with a cut stream: the report of the rest and the same line, exit 1; --lenient warns, exit 0', async () => {
    const folder = join(dir, 'cut-folder');
    cpSync(join(repoRoot, 'traces/real/qd16-mixed-bpftrace'), folder, { recursive: true });
    const qemu = join(folder, 'qemu-trace.log.gz');
    const gz = readFileSync(qemu);
    writeFileSync(qemu, gz.subarray(0, gz.length >> 1));
    const r = await run('report', folder, '--format', 'json');
    expect(r.code).toBe(1);
    const cut = r.err.trimEnd().split('\n').at(-1)!;
    expect(cut).toMatch(new RegExp(`^viotrace: ${qemu.replace(/[.]/g, '\\.')}:\\d+: the gzip stream is truncated: .*complete lines were read$`));
    const l = await run('report', folder, '--format', 'json', '--lenient');
    expect(l.code).toBe(0);
    expect(l.out).toBe(r.out);
    const rep = JSON.parse(l.out);
    expect(rep.requests.matched).toBeGreaterThan(100);
    expect(rep.requests.matched).toBeLessThan(512);
    expect(l.err).toContain(`viotrace: warning: ${cut.slice('viotrace: '.length)}\n`);
  });
});
