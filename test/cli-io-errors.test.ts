// Files that cannot be written or read (a missing directory, a folder, a full disk) are one line naming the file, exit 1, never a stack.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { repoRoot } from './shared.js';

const TRACE = 'traces/sim-baseline.jsonl.gz';
const dir = mkdtempSync(join(tmpdir(), 'viotrace-io-'));
const folder = join(dir, 'folder.vtb');
mkdirSync(folder);
// A name convert and record accept that fails on the first write, as a full disk does.
const full = join(dir, 'full.vtb');
symlinkSync('/dev/full', full);

const ENOENT = 'cannot write: ENOENT (no such file or directory)';

describe('outputs that cannot be written', () => {
  it.each([
    [['convert', TRACE, '/nonexist/d/x.vtb'], `/nonexist/d/x.vtb: ${ENOENT}`],
    [['convert', TRACE, folder], `${folder}: cannot write: EISDIR (illegal operation on a directory); give a file name, not a folder`],
    [['convert', TRACE, full], `${full}: cannot write: ENOSPC (no space left on device)`],
    [['report', TRACE, '-o', '/nonexist/r.json'], `/nonexist/r.json: ${ENOENT}`],
    [['report', TRACE, '-o', dir], `${dir}: cannot write: EISDIR (illegal operation on a directory); give a file name, not a folder`],
    [['report', '--scenario', 'baseline', '--requests', '100', '-o', '/nonexist/r.json'], `/nonexist/r.json: ${ENOENT}`],
    [['record', '--scenario', 'baseline', '--requests', '100', '-o', '/nonexist/x.jsonl'], `/nonexist/x.jsonl: ${ENOENT}`],
    [['record', '--scenario', 'baseline', '--requests', '300', '-o', full], `${full}: cannot write: ENOSPC (no space left on device)`],
    [['run', '--requests', '100', '--record', '/nonexist/x.jsonl', '--no-tui'], `/nonexist/x.jsonl: ${ENOENT}`],
  ])('%j', async (args, line) => {
    const r = await runCli(args);
    expect([r.code, r.err]).toEqual([1, `viotrace: ${line}\n`]);
  }, 30_000);

  it('checks an output without truncating it or leaving a file: a convert that fails on its input destroys nothing', async () => {
    const kept = join(dir, 'kept.vtb');
    writeFileSync(kept, 'an earlier trace');
    expect((await runCli(['convert', join(dir, 'missing.jsonl'), kept])).code).toBe(1);
    expect(readFileSync(kept, 'utf8')).toBe('an earlier trace');
    const fresh = join(dir, 'fresh.vtb');
    expect((await runCli(['convert', join(dir, 'missing.jsonl'), fresh])).code).toBe(1);
    expect(existsSync(fresh)).toBe(false);
  });

  it('a convert input that is a folder is one line', async () => {
    const r = await runCli(['convert', dir, join(dir, 'o.vtb')]);
    expect([r.code, r.err]).toEqual([1, `viotrace: ${dir}: cannot read: EISDIR (illegal operation on a directory); give a file, not a folder\n`]);
  });

  it('a full standard output is one line and exit 1', () => {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'main.ts'), 'report', TRACE, '--format', 'json'], { cwd: repoRoot, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      expect([r.status, r.stderr]).toEqual([1, 'viotrace: standard output: cannot write: ENOSPC (no space left on device)\n']);
    } finally {
      closeSync(fd);
    }
  }, 30_000);
});

describe('convert output names', () => {
  it('refuses a name that is neither .jsonl[.gz] nor .vtb[.gz]', async () => {
    const r = await runCli(['convert', TRACE, join(dir, 'out.txt')]);
    expect([r.code, r.err]).toEqual([2, `viotrace: ${join(dir, 'out.txt')}: the output name must end in .jsonl, .jsonl.gz, .vtb or .vtb.gz (it chooses the form)\n`]);
  });
});

describe('inputs that are a pipe', () => {
  // `viotrace report /dev/stdin < f` or `report <(zcat f)`: a trace is read more than once (its kind
  // told from its first bytes, then its records), which a pipe does not allow.
  for (const args of [['report', '--format', 'text'], ['replay', '--json'], ['convert']]) {
    it(`${args[0]} of a pipe is one line naming it, exit 1`, async () => {
      const fifo = join(dir, `${args[0]}.fifo`);
      spawnSync('mkfifo', [fifo]);
      // A writer, so that opening the pipe (were it opened) does not wait forever.
      const writer = spawn('sh', ['-c', `cat ${TRACE} > ${fifo}`], { cwd: repoRoot, stdio: 'ignore' });
      const r = await runCli(args[0] === 'convert' ? ['convert', fifo, join(dir, 'from-fifo.vtb')] : [...args, fifo]);
      writer.kill();
      expect(r.code).toBe(1);
      expect(r.err).toBe(`viotrace: ${fifo}: a pipe, not a file: a trace is read more than once (its kind, then its records); save it to a file first\n`);
    });
  }
});
