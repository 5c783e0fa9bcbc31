// --lenient on a capture-lab folder: junk lines in any of its streams are skipped with a note, as for single tracefs files.
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../../test/shared.js';
import { replayFile } from '../../replay/index.js';

const work = mkdtempSync(join(tmpdir(), 'viotrace-capture-lenient-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the shipped qd16-mixed capture with `junk` inserted before line `at` of `file`. */
function spoiled(file: string, at: number, junk: string): string {
  const dir = join(work, file.replace(/\W/g, '-'));
  cpSync(join(repoRoot, 'traces', 'real', 'qd16-mixed'), dir, { recursive: true });
  const lines = readFileSync(join(dir, file), 'utf8').split('\n');
  lines.splice(at - 1, 0, junk);
  writeFileSync(join(dir, file), lines.join('\n'));
  return dir;
}

describe('a capture folder with junk lines', () => {
  const clean = replayFile(join(repoRoot, 'traces', 'real', 'qd16-mixed'));
  for (const [file, at] of [['qemu-trace.log', 501], ['host-block.txt', 40], ['guest-serial.txt', 1000]] as const) {
    it(`${file}: stops at file:line; --lenient skips the line with a note naming it`, async () => {
      const dir = spoiled(file, at, 'garbage line');
      await expect(replayFile(dir)).rejects.toMatchObject({ where: join(dir, file) + `:${at}` });
      const r = await replayFile(dir, { lenient: true });
      expect(r.input.skippedLines).toBe(1);
      expect(r.skippedNote).toMatch(new RegExp(`^1 malformed lines skipped, the first at ${join(dir, file).replace(/[.]/g, '\\.')}:${at} \\(`));
      expect(r.input.stats.all.total.count).toBeGreaterThan(400);
      expect(r.input.stats.all.total.count).toBe((await clean).input.stats.all.total.count);
    });
  }
});
