// The notes a replay prints on stderr: each once, with the kernel's cut program names made whole, and consistent with each other.
import { describe, expect, it } from 'vitest';
import { probeOfProgram } from '../src/hooks/index.js';
import { runCli } from './cli.js';

const notes = (err: string): string[] => err.split('\n').filter((l) => l.startsWith('viotrace: note: '));

describe('replay notes', () => {
  it('a capture with several VM streams gives the accel note once', async () => {
    const r = await runCli(['replay', 'traces/real/qd16-mixed', '--no-tui']);
    expect(r.code, r.err).toBe(0);
    expect(notes(r.err).filter((n) => n.includes('accel tcg'))).toHaveLength(1);
  }, 60_000);

  it('names the skipped program in full and does not count its requests as in flight', async () => {
    const r = await runCli(['report', 'traces/real-bpftrace/randrw-4k-qd8.guest.bt.txt.gz', '--format', 'json']);
    expect(r.code, r.err).toBe(0);
    const n = notes(r.err);
    expect(n).toContain('viotrace: note: the kernel skipped the tracepoint:block:block_rq_complete program 202 times (recursion_misses: it fired while another BPF program ran on that CPU); the requests whose completion it skipped never end and are left out');
    expect(n.filter((l) => l.includes('still in flight'))).toEqual([]);
  }, 60_000);

  it('resolves names the kernel cut at 15 characters only when one hook fits', () => {
    expect(probeOfProgram('block_rq_comple', 'guest')?.name).toBe('block:block_rq_complete');
    expect(probeOfProgram('vring_interrupt', 'guest')?.name).toBe('vring_interrupt');
    expect(probeOfProgram('block_rq_', 'guest')).toBeUndefined();
    expect(probeOfProgram('no_such_program', 'guest')).toBeUndefined();
    // The host's too (capture folders' host bpftrace streams): io_uring_submit_req cut to 15.
    expect(probeOfProgram('io_uring_submit', 'host')?.name).toBe('io_uring:io_uring_submit_req');
  });
});
