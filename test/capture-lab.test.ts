// The capture lab's scripts: always a syntax and job-header check; a real run and the interrupt test only with VIOTRACE_LAB=1 (root, QEMU).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, openCapture } from '../src/trace/ingest/index.js';
import { repoRoot } from './shared.js';

const lab = join(repoRoot, 'scripts', 'capture-lab');
const isRoot = process.getuid?.() === 0;
const hasQemu = spawnSync('qemu-system-x86_64', ['--version']).status === 0;
const labWanted = process.env.VIOTRACE_LAB === '1';
const skipReason = !labWanted
  ? 'set VIOTRACE_LAB=1 to run real QEMU captures (needs root and qemu-system-x86; about a minute)'
  : !isRoot
    ? 'needs root (tracefs instances)'
    : !hasQemu
      ? 'needs qemu-system-x86_64 (capture.sh installs it from Debian)'
      : '';

describe('capture lab scripts', () => {
  it('parse as bash', () => {
    for (const f of ['capture.sh', 'guest-init.sh', 'interrupt-test.sh']) {
      expect(spawnSync('bash', ['-n', join(lab, f)]).status, f).toBe(0);
    }
  });

  it('every job states what it is, what it needs and its queue depth', () => {
    const jobs = readdirSync(join(lab, 'jobs')).filter((f) => f.endsWith('.sh'));
    expect(jobs).toEqual(expect.arrayContaining(['qd1-mixed.sh', 'qd16-mixed.sh']));
    for (const j of jobs) {
      const text = readFileSync(join(lab, 'jobs', j), 'utf8');
      expect(text, j).toMatch(/^# job: .+$/m);
      expect(text, j).toMatch(/^# needs: (busybox|fio)$/m);
      expect(text, j).toMatch(/^# iodepth: \d+$/m);
    }
  });

  it('refuses bad usage with exit 2', () => {
    const r = spawnSync('bash', [join(lab, 'capture.sh'), '--job']);
    expect(r.status).not.toBe(0);
    expect(spawnSync('bash', [join(lab, 'capture.sh'), '--no-such-flag']).status).toBe(2);
  });
});

describe.skipIf(skipReason !== '')(`capture lab on this machine${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('makes a qd1 capture whose four streams all parse', { timeout: 300_000 }, async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'viotrace-lab-test-')), 'cap');
    try {
      execFileSync(join(lab, 'capture.sh'), ['--job', 'qd1-mixed', '-o', out], { stdio: 'pipe', timeout: 280_000 });
      const c = await openCapture(out);
      for (const s of [c.guest(), c.qemu(), c.hostIouring(), c.hostBlock()]) {
        const { events, stats } = await collect(s);
        expect(events.length).toBeGreaterThan(100);
        expect(stats.skipped).toBe(0);
      }
    } finally {
      rmSync(join(out, '..'), { recursive: true, force: true });
    }
  });

  it('leaves nothing behind when interrupted (SIGINT) or killed (SIGKILL, then --clean)', { timeout: 300_000 }, () => {
    const out = execFileSync(join(lab, 'interrupt-test.sh'), { encoding: 'utf8', timeout: 280_000 });
    expect(out).toMatch(/ok: SIGINT mid-run/);
    expect(out).toMatch(/ok: SIGKILL mid-run/);
  });
});
