// `viotrace report` of truncated real captures, plain and gzip: the report of what was read, the cut named at file:line, exit 1 (--lenient: a warning, 0).
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { repoRoot, sharedPath } from './shared.js';

const work = mkdtempSync(join(tmpdir(), 'viotrace-report-cut-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A regular expression matching `s` literally. */
const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Counts the '\n' bytes of a buffer. */
function newlines(b: Buffer): number {
  let n = 0;
  for (const c of b) if (c === 10) n++;
  return n;
}

/** A JSON report without its source (whose name is the folder's). */
function body(out: string): unknown {
  const { source: _s, ...rest } = JSON.parse(out) as Record<string, unknown>;
  return rest;
}

/**
 * Cuts `name` (in a copy of the capture `from`) to half its bytes. Returns the copy, the cut file's
 * path, how many complete lines it still holds, how the cut must be named, and an oracle: a copy
 * whose file holds just those complete lines, whole (gzip: as zlib itself decodes them).
 */
function cutCapture(from: string, name: string): { dir: string; path: string; k: number; reason: RegExp; oracle: string } {
  const tag = `${from}-${name}`.replace(/\W/g, '-');
  const dir = join(work, tag);
  const oracle = join(work, `${tag}-oracle`);
  const src = join(repoRoot, 'traces', 'real', from);
  cpSync(src, dir, { recursive: true });
  cpSync(src, oracle, { recursive: true });
  const whole = readFileSync(join(src, name));
  const cut = whole.subarray(0, whole.length >> 1);
  writeFileSync(join(dir, name), cut);
  if (name.endsWith('.gz')) {
    const text = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });
    const k = newlines(text);
    writeFileSync(join(oracle, name), gzipSync(text.subarray(0, text.lastIndexOf(10) + 1)));
    const reason = new RegExp(`^the gzip stream is truncated: the file ends inside its compressed data \\(compressed byte ${cut.length}\\); ${k} complete lines were read$`);
    return { dir, path: join(dir, name), k, reason, oracle };
  }
  const k = newlines(cut);
  const lineStart = cut.lastIndexOf(10) + 1;
  writeFileSync(join(oracle, name), cut.subarray(0, lineStart));
  const reason = new RegExp(`^${literal(`the file ends inside line ${k + 1}, ${cut.length - lineStart} bytes into it (no newline after them): it was cut; ${k} complete lines were read`)}$`);
  return { dir, path: join(dir, name), k, reason, oracle };
}

/** The last line of stderr. */
const lastLine = (err: string): string => err.trimEnd().split('\n').at(-1)!;

describe('viotrace report of a capture folder with one file cut short', () => {
  const cases = [
    ['qd16-mixed-bpftrace', 'qemu-trace.log.gz', 'tracefs'],
    ['qd16-mixed-bpftrace', 'host-block.txt.gz', 'tracefs'],
    ['qd16-mixed-bpftrace', 'guest-serial.txt.gz', 'tracefs'],
    ['qd16-mixed-bpftrace', 'host.bt.txt.gz', 'bpftrace'],
    ['qd16-mixed', 'qemu-trace.log', 'tracefs'],
    ['qd16-mixed', 'host-block.txt', 'tracefs'],
    ['qd16-mixed', 'host-iouring.txt', 'tracefs'],
    ['qd16-mixed', 'guest-serial.txt', 'tracefs'],
  ] as const;
  for (const [from, name, host] of cases) {
    it(`${from}/${name}: the report of every line before the cut, the cut named at file:line, exit 1; --lenient the same report and a warning, exit 0`, async () => {
      const { dir, path, k, reason, oracle } = cutCapture(from, name);
      const hostEvents = ['--host-events', host];
      const text = await runCli(['report', dir, '--format', 'text', ...hostEvents]);
      expect(text.code, text.err).toBe(1);
      expect(text.out).toMatch(/^viotrace report: trace .* \(real capture\)\nrequests \d+: matched \d+/);
      const last = lastLine(text.err);
      expect(last.startsWith(`viotrace: ${path}:${k + 1}: `), last).toBe(true);
      expect(last.slice(`viotrace: ${path}:${k + 1}: `.length)).toMatch(reason);
      expect(text.err).not.toContain('malformed');

      const strict = await runCli(['report', dir, '--format', 'json', ...hostEvents]);
      const lenient = await runCli(['report', dir, '--format', 'json', '--lenient', ...hostEvents]);
      const want = await runCli(['report', oracle, '--format', 'json', ...hostEvents]);
      expect(strict.code).toBe(1);
      expect(lenient.code, lenient.err).toBe(0);
      expect(lastLine(lenient.err)).toBe(`viotrace: warning: ${last.slice('viotrace: '.length)}`);
      expect(lenient.err).not.toContain('malformed');
      // Nothing read before the cut is lost, and nothing of the half line is taken.
      expect(body(strict.out)).toEqual(body(want.out));
      expect(body(lenient.out)).toEqual(body(want.out));
      expect((body(strict.out) as { requests: { total: number } }).requests.total).toBeGreaterThan(0);
    });
  }

  it('guest-serial.txt cut at a line end inside its trace section: the missing END marker is the cut, named at file:line', async () => {
    const dir = join(work, 'serial-at-newline');
    cpSync(join(repoRoot, 'traces', 'real', 'qd16-mixed'), dir, { recursive: true });
    const path = join(dir, 'guest-serial.txt');
    const lines = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, lines.slice(0, 3000).join('\n') + '\n');
    const r = await runCli(['report', dir, '--format', 'text']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^viotrace report: /);
    expect(lastLine(r.err)).toBe(`viotrace: ${path}:3001: no "=== GUEST TRACE END ===" marker: the copy was cut; 3000 complete lines were read`);
    const l = await runCli(['report', dir, '--format', 'text', '--lenient']);
    expect([l.code, l.out]).toEqual([0, r.out]);
    expect(lastLine(l.err)).toBe(`viotrace: warning: ${lastLine(r.err).slice('viotrace: '.length)}`);
  });

  for (const [from, name] of [['qd16-mixed', 'guest-serial.txt'], ['qd16-mixed-bpftrace', 'guest-serial.txt.gz']] as const) {
    it(`${name} cut after its trace section ended: nothing of the trace is missing, so no cut`, async () => {
      const dir = join(work, `after-section-${name.replace(/\W/g, '-')}`);
      const src = join(repoRoot, 'traces', 'real', from);
      cpSync(src, dir, { recursive: true });
      const whole = readFileSync(join(src, name));
      const gz = name.endsWith('.gz');
      const text = gz ? gunzipSync(whole) : whole;
      const end = text.indexOf('=== GUEST TRACE END ===\r\n');
      expect(end).toBeGreaterThan(0);
      // Plain: mid-line, 5000 bytes past the marker. Gzip: the compressed bytes that inflate past it.
      let cut = whole.subarray(0, end + 5000);
      if (gz) {
        let at = whole.length - 9;
        while (gunzipSync(whole.subarray(0, at - 500), { finishFlush: constants.Z_SYNC_FLUSH }).length > end + 100) at -= 500;
        cut = whole.subarray(0, at);
        const got = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH });
        expect(got.length).toBeGreaterThan(end + 30);
        expect(got.length).toBeLessThan(text.length);
      }
      writeFileSync(join(dir, name), cut);
      const r = await runCli(['report', dir, '--format', 'json']);
      const all = await runCli(['report', src, '--format', 'json']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toContain(name);
      expect(body(r.out)).toEqual(body(all.out));
    });
  }
});

describe('viotrace report of a single tracefs file cut short, plain and gzip', () => {
  const text = readFileSync(sharedPath('traces/real-guest/randrw-4k-512k-qd32-io_uring.trace.txt'));
  for (const gz of [false, true]) {
    it(`${gz ? 'gzip' : 'plain'}: the report of what was read, the cut named, exit 1; --lenient a warning, exit 0`, async () => {
      const bytes = gz ? gzipSync(text, { level: 9 }) : text;
      const cut = bytes.subarray(0, bytes.length >> 1);
      const path = join(work, `guest-cut.trace.txt${gz ? '.gz' : ''}`);
      writeFileSync(path, cut);
      const got = gz ? gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }) : cut;
      const k = newlines(got);
      const oracle = join(work, 'guest-cut-oracle.trace.txt');
      writeFileSync(oracle, got.subarray(0, got.lastIndexOf(10) + 1));
      const r = await runCli(['report', path, '--format', 'json']);
      expect(r.code).toBe(1);
      expect(lastLine(r.err)).toMatch(new RegExp(`^viotrace: ${literal(path)}:${k + 1}: ${gz ? 'the gzip stream is truncated: ' : 'the file ends inside line '}.*; ${k} complete lines were read$`));
      const want = await runCli(['report', oracle, '--format', 'json']);
      expect(want.code, want.err).toBe(0);
      expect(body(r.out)).toEqual(body(want.out));
      const l = await runCli(['report', path, '--format', 'json', '--lenient']);
      expect(l.code).toBe(0);
      expect(l.out).toBe(r.out);
      expect(lastLine(l.err)).toBe(`viotrace: warning: ${lastLine(r.err).slice('viotrace: '.length)}`);
    });
  }
});
