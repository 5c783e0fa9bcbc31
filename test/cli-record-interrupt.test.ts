// `viotrace record` stopped with Ctrl-C says what it wrote, exits 130, and leaves a file that replays.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { repoRoot } from './shared.js';

describe('record interrupted', () => {
  it('prints one line with the records written, exits 130, and the file replays', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'viotrace-int-')), 'r.vtb');
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src', 'main.ts'), 'record', '--scenario', 'baseline', '--requests', '5000000', '-o', file], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VIOTRACE_THREADS: '1' } });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    // Interrupt once records are on their way to the file.
    const started = Date.now();
    while (!(existsSync(file) && statSync(file).size > 4096) && Date.now() - started < 60_000) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(code).toBe(130);
    expect(err).toMatch(new RegExp(`^viotrace: recording stopped \\(SIGINT\\): ${file.replace(/[.]/g, '\\.')}: \\d+ records of \\d+ requests written \\(viotrace replay reads it\\)\\n$`));
    const r = await runCli(['replay', file, '--no-tui']);
    expect([r.code, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/requests [1-9]\d*: matched/);
  }, 90_000);
});
