// `viotrace convert`: a shipped trace into the binary form and back, record for record; a cut input stays cut.
import { copyFileSync, linkSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import type { TraceRecord } from '../src/records/index.js';
import { replayFile } from '../src/replay/index.js';
import { openTrace } from '../src/trace/index.js';
import { runCli } from './cli.js';

const dir = mkdtempSync(join(tmpdir(), 'viotrace-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function records(path: string): Promise<TraceRecord[]> {
  const t = await openTrace(path);
  const out: TraceRecord[] = [];
  for await (const b of t.batches()) out.push(...b);
  return out;
}

describe('viotrace convert', () => {
  it('rewrites the shipped noisy-neighbour trace as binary and back without losing a record', async () => {
    const src = 'traces/sim-noisy-neighbour.jsonl.gz';
    const bin = join(dir, 'nn.vtb');
    const back = join(dir, 'nn.jsonl');
    const a = await runCli(['convert', src, bin]);
    expect(a.code).toBe(0);
    expect(a.err).toMatch(/nn\.vtb: \d+ records \(binary\)/);
    expect((await openTrace(bin)).encoding).toBe('binary');
    expect((await runCli(['convert', bin, back])).code).toBe(0);
    const original = await records(src);
    expect(await records(bin)).toEqual(original);
    expect(await records(back)).toEqual(original);
    const [x, y] = [await replayFile(src, { keepPaths: 100_000 }), await replayFile(bin, { keepPaths: 100_000 })];
    expect(y.input.paths).toEqual(x.input.paths);
    expect(y.input.lost).toEqual(x.input.lost);
    expect((await openTrace(bin)).header).toEqual((await openTrace(src)).header);
  });

  it('keeps a cut input cut: the records before the cut, no end mark, exit 1 naming the place (a warning with --lenient)', async () => {
    const whole = join(dir, 'whole.vtb');
    await runCli(['convert', 'traces/sim-baseline.jsonl.gz', whole]);
    const cut = join(dir, 'cut.vtb');
    writeFileSync(cut, readFileSync(whole).subarray(0, Math.floor(statSync(whole).size / 2)));
    const out = join(dir, 'cut-copy.jsonl');
    const r = await runCli(['convert', cut, out]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${cut}@byte`);
    expect(r.err).toContain('is cut there too');
    const copy = await openTrace(out);
    let n = 0;
    for await (const b of copy.batches()) n += b.length;
    expect(n).toBeGreaterThan(0);
    expect(copy.summary.cut).toBeDefined();
    expect((await runCli(['convert', '--lenient', cut, join(dir, 'cut-copy2.jsonl')])).code).toBe(0);
  });

  it('refuses to write over its input', async () => {
    const r = await runCli(['convert', 'traces/sim-baseline.jsonl.gz', 'traces/sim-baseline.jsonl.gz']);
    expect(r.code).toBe(2);
  });

  // Another name for the same file (a hard link, a symbolic link) is the input too: writing it would
  // truncate the trace while it is being read (a 171,402-record trace kept 75,672 before this).
  it('refuses to write over its input under another name (hard or symbolic link), leaving it whole', async () => {
    const src = join(dir, 'linked.jsonl.gz');
    copyFileSync('traces/sim-baseline.jsonl.gz', src);
    const before = readFileSync(src);
    linkSync(src, join(dir, 'hard.vtb'));
    symlinkSync(src, join(dir, 'soft.vtb'));
    for (const other of ['hard.vtb', 'soft.vtb']) {
      const r = await runCli(['convert', src, join(dir, other)]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^viotrace: .*is the input/);
      expect(readFileSync(src).equals(before)).toBe(true);
    }
  });
});

describe('viotrace report -o', () => {
  it('refuses to write the report over the trace it reads (same name or a link to it), leaving it whole', async () => {
    const src = join(dir, 'reported.jsonl.gz');
    copyFileSync('traces/sim-baseline.jsonl.gz', src);
    const before = readFileSync(src);
    symlinkSync(src, join(dir, 'reported-link.json'));
    for (const out of [src, join(dir, 'reported-link.json')]) {
      const r = await runCli(['report', src, '--format', 'json', '-o', out]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^viotrace: .*is the input/);
      expect(readFileSync(src).equals(before)).toBe(true);
    }
  });

  it('checks the output can be written before reading the trace (a long replay is not wasted on it)', async () => {
    // A trace that fails on its first record: read first, its error would be the one shown.
    const bad = join(dir, 'bad.jsonl');
    const header = gunzipSync(readFileSync('traces/sim-baseline.jsonl.gz')).toString().split('\n')[0];
    writeFileSync(bad, `${header}\n{"kind":"banana"}\n`);
    expect((await runCli(['report', bad])).err).toMatch(/bad\.jsonl:2: /);
    const r = await runCli(['report', bad, '-o', join(dir, 'no-such-dir', 'r.json')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^viotrace: .*no-such-dir.*r\.json: cannot write: ENOENT/);
  });
});
