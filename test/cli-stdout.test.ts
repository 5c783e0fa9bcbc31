// `-o -` (and convert's OUT `-`) is standard output, as for any Unix tool: never a file named "-".
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BINARY_MAGIC, openTrace } from '../src/trace/index.js';
import { runCli } from './cli.js';
import { repoRoot } from './shared.js';

const dir = mkdtempSync(join(tmpdir(), 'viotrace-stdout-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRACE = join(repoRoot, 'traces', 'sim-baseline.jsonl.gz');
// tsx from the repository, so the CLI can run in a folder of its own (where a stray "-" would show).
const TSX = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;

/**
 * Runs the CLI from source in an empty folder with its standard output going to a file (as
 * `> file` would): the bytes written there, stderr, the exit code, and what else the folder holds.
 */
function spawnCli(name: string, args: string[]): { code: number | null; out: Buffer; err: string; left: string[] } {
  const cwd = mkdtempSync(join(dir, `${name}-`));
  const outFile = join(dir, `${name}.out`);
  const fd = openSync(outFile, 'w');
  try {
    const r = spawnSync(process.execPath, ['--import', TSX, join(repoRoot, 'src', 'main.ts'), ...args], { cwd, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', env: { ...process.env, VIOTRACE_THREADS: '1' } });
    return { code: r.status, out: readFileSync(outFile), err: r.stderr, left: readdirSync(cwd) };
  } finally {
    closeSync(fd);
  }
}

describe('-o - is standard output', () => {
  it('report --scenario -o - prints the report and writes no file named "-"', () => {
    const r = spawnCli('report-scenario', ['report', '--scenario', 'baseline', '--requests', '200', '--format', 'json', '-o', '-']);
    expect([r.code, r.err, r.left]).toEqual([0, '', []]);
    const rep = JSON.parse(r.out.toString('utf8'));
    expect(rep.schema).toBe('viotrace.report/1');
    expect(rep.source).toMatchObject({ kind: 'scenario', name: 'baseline' });
  }, 60_000);

  it('report FILE -o - prints what report FILE prints', async () => {
    const r = spawnCli('report-file', ['report', TRACE, '--format', 'text', '-o', '-']);
    expect([r.code, r.left]).toEqual([0, []]);
    expect(r.out.toString('utf8')).toBe((await runCli(['report', TRACE, '--format', 'text'])).out);
  }, 60_000);

  it('record -o - writes a JSON Lines trace that reports as the same run recorded to a file', async () => {
    const r = spawnCli('record-jsonl', ['record', '--scenario', 'baseline', '--requests', '300', '-o', '-']);
    expect([r.code, r.left]).toEqual([0, []]);
    expect(r.err).toMatch(/^viotrace: standard output: \d+ records of \d+ requests \(lost: guest 0, host 0\)\n$/);
    expect(r.out.subarray(0, 1).toString()).toBe('{');
    const file = join(dir, 'record-file.jsonl');
    expect((await runCli(['record', '--scenario', 'baseline', '--requests', '300', '-o', file])).code).toBe(0);
    const fromStdout = JSON.parse((await runCli(['report', join(dir, 'record-jsonl.out')])).out);
    const fromFile = JSON.parse((await runCli(['report', file])).out);
    expect(fromStdout.requests).toEqual(fromFile.requests);
    expect(fromStdout.total).toEqual(fromFile.total);
    expect((await openTrace(join(dir, 'record-jsonl.out'))).summary.cut).toBeUndefined();
  }, 60_000);

  it('record -o - --binary writes the binary form when standard output is not a terminal', async () => {
    const r = spawnCli('record-vtb', ['record', '--scenario', 'baseline', '--requests', '300', '-o', '-', '--binary']);
    expect([r.code, r.left]).toEqual([0, []]);
    expect(r.out.subarray(0, BINARY_MAGIC.length).equals(BINARY_MAGIC)).toBe(true);
    const t = await openTrace(join(dir, 'record-vtb.out'));
    expect(t.encoding).toBe('binary');
    const rep = JSON.parse((await runCli(['report', join(dir, 'record-vtb.out')])).out);
    expect(rep.requests.matched).toBeGreaterThan(0);
  }, 60_000);

  it('refuses a binary trace on a terminal, exit 2, writing nothing', async () => {
    const was = process.stdout.isTTY;
    process.stdout.isTTY = true;
    try {
      const rec = await runCli(['record', '--scenario', 'baseline', '--requests', '50', '-o', '-', '--binary']);
      expect([rec.code, rec.out]).toEqual([2, '']);
      expect(rec.err).toBe('viotrace: a binary trace is not written to a terminal: redirect standard output to a file or a pipe, or leave out --binary for JSON Lines\n');
      const conv = await runCli(['convert', TRACE, '-', '--binary']);
      expect([conv.code, conv.out]).toEqual([2, '']);
    } finally {
      process.stdout.isTTY = was;
    }
  });

  it('convert IN - writes the JSON Lines copy convert IN OUT.jsonl would', async () => {
    const r = spawnCli('convert', ['convert', TRACE, '-']);
    expect([r.code, r.left]).toEqual([0, []]);
    expect(r.err).toMatch(/^viotrace: standard output: \d+ records \(JSON Lines\)\n$/);
    const file = join(dir, 'convert-file.jsonl');
    expect((await runCli(['convert', TRACE, file])).code).toBe(0);
    expect(r.out.equals(readFileSync(file))).toBe(true);
  }, 60_000);

  it('--binary with a named output is bad usage: the name chooses the form', async () => {
    const r = await runCli(['convert', TRACE, join(dir, 'x.jsonl'), '--binary']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--binary is for standard output');
    expect(existsSync(join(dir, 'x.jsonl'))).toBe(false);
  });

  it('run --record - is bad usage: standard output holds the summary', async () => {
    const r = await runCli(['run', '--requests', '50', '--no-tui', '--record', '-']);
    expect([r.code, r.out]).toEqual([2, '']);
    expect(r.err).toContain('--record -');
  });
});
