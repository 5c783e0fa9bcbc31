// A trace whose host records match no guest request: no clock can be estimated, and the run's span still comes from the guest's times alone.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { onGuestClock, type RequestPath } from '../src/correlate/index.js';
import { replayFile } from '../src/replay/index.js';
import { openTrace, TraceWriter } from '../src/trace/index.js';
import { Playback } from '../src/tui/index.js';

const dir = mkdtempSync(join(tmpdir(), 'viotrace-no-clock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a trace whose two sides never match', () => {
  it('reports host-only requests without letting them stretch the run back to the clock origin', async () => {
    // The shipped baseline trace with every QEMU request moved by one sector: no pair, so no clock.
    const src = await openTrace('traces/sim-baseline.jsonl.gz');
    const out = join(dir, 'unmatched.jsonl');
    const { format: _f, version: _v, ...header } = src.header;
    const w = new TraceWriter(out, header);
    for await (const batch of src.batches()) for (const r of batch) w.write(r.kind === 'qemu_req' ? { ...r, sector: r.sector + 1 } : r);
    await w.close();

    const whole = await replayFile('traces/sim-baseline.jsonl.gz');
    const paths: RequestPath[] = [];
    const r = await replayFile(out, { keepPaths: 1_000_000, onPath: (p) => void paths.push(p) });
    expect(r.input.clock).toBeUndefined();
    const hostOnly = paths.filter((p) => p.match === 'host_only');
    expect(hostOnly.length).toBeGreaterThan(1000);
    expect(hostOnly.every((p) => !onGuestClock(p) && p.start === 0)).toBe(true);
    // The guest requests span what they spanned in the matched trace (a few hundred ms), not 6 hours.
    expect(r.input.durationNs).toBeLessThan(2 * whole.input.durationNs);
    expect(r.input.durationNs).toBeGreaterThan(0);

    // The dashboard counts them, and its timeline is the guest requests'.
    const pb = new Playback(paths, 'unmatched');
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    const s = pb.snapshot();
    expect(s.stats.all.matches.host_only).toBe(hostOnly.length);
    expect(s.duration).toBeLessThan(2 * whole.input.durationNs);
  });
});
