// Text inputs that begin with a UTF-8 byte-order mark, as Windows editors save them, read as they would without it.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './cli.js';
import { repoRoot, sharedPath } from './shared.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const dir = mkdtempSync(join(tmpdir(), 'viotrace-bom-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `bytes` under the same name in a folder of plain copies and one of copies with a BOM; returns both paths. */
function pair(name: string, bytes: Buffer): { plain: string; bom: string } {
  mkdirSync(join(dir, 'plain'), { recursive: true });
  mkdirSync(join(dir, 'bom'), { recursive: true });
  const plain = join(dir, 'plain', name), bom = join(dir, 'bom', name);
  writeFileSync(plain, bytes);
  writeFileSync(bom, Buffer.concat([BOM, bytes]));
  return { plain, bom };
}

/** Copies a folder, every file in it (and its subfolders) given a BOM. */
function withBoms(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else writeFileSync(p, Buffer.concat([BOM, readFileSync(p)]));
    }
  };
  walk(to);
}

/** The report of `args`, which must succeed. */
async function report(...args: string[]): Promise<{ out: string; err: string }> {
  const r = await runCli(['report', ...args]);
  expect(r.code, r.err).toBe(0);
  return r;
}

describe('a leading byte-order mark', () => {
  it('tracefs text (a real guest capture): the same report', async () => {
    const { plain, bom } = pair('guest.trace.txt', readFileSync(sharedPath('traces/real-guest/randrw-4k-512k-qd32-io_uring.trace.txt')));
    const a = await report(plain), b = await report(bom);
    expect(b.out).toBe(a.out);
    expect(JSON.parse(b.out).requests.guest_only).toBe(111);
  });

  it('a bpftrace capture: the same report', async () => {
    const { plain, bom } = pair('guest.bt.txt', gunzipSync(readFileSync(join(repoRoot, 'traces/real-bpftrace/randrw-4k-qd8.guest.bt.txt.gz'))));
    const a = await report(plain), b = await report(bom);
    expect(b.out).toBe(a.out);
  });

  it('a JSON Lines trace: the same report, and convert reads it', async () => {
    const { plain, bom } = pair('sim.jsonl', gunzipSync(readFileSync(join(repoRoot, 'traces/sim-baseline.jsonl.gz'))));
    const a = await report(plain), b = await report(bom);
    expect(b.out).toBe(a.out);
    expect(JSON.parse(b.out).requests.matched).toBeGreaterThan(0);
    const c = await runCli(['convert', bom, join(dir, 'from-bom.vtb')]);
    expect(c.code, c.err).toBe(0);
  });

  it('a capture folder whose manifest, logs, extents and formats all have one: the same report', async () => {
    const real = join(repoRoot, 'traces/real/qd16-mixed');
    const bom = join(dir, 'folders', basename(real));
    withBoms(real, bom);
    const a = await report(real), b = await report(bom);
    expect(b.out).toBe(a.out);
    expect(JSON.parse(b.out).requests.matched).toBe(512);
  });
});
