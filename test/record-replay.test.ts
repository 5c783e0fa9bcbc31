// Recording a scenario to a trace and replaying it: the same stitched answer, a cut recording still replays, the shipped traces.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayFile, type ReplayProgress } from '../src/replay/index.js';
import type { RequestPath } from '../src/correlate/index.js';
import { recordScenario, runAndReport, runLive } from '../src/run/index.js';
import { scenario } from '../src/sim/index.js';
import { openTrace } from '../src/trace/index.js';
import { jsonReport, textReport } from '../src/report/index.js';

const dir = mkdtempSync(join(tmpdir(), 'viotrace-rec-'));

describe('record and replay', () => {
  it('replays a recorded scenario to the same stitched answer as the run itself', async () => {
    const file = join(dir, 'baseline.jsonl.gz');
    const rec = await recordScenario(scenario('baseline')!, 5, 600, file);
    const live = runAndReport(scenario('baseline')!, 5, 600);
    const replayed = await replayFile(file);
    expect(replayed.cut).toBeUndefined();
    const a = live.input.stats.all;
    const b = replayed.input.stats.all;
    expect(b.matches).toEqual(a.matches);
    expect(b.matches.matched).toBe(rec.result.requests);
    expect(b.total.quantile(0.5)).toBe(a.total.quantile(0.5));
    expect(replayed.input.clock?.offsetNs).toBe(live.input.clock?.offsetNs);
    // The header carries the topology, addresses restored to bigints.
    const t = await openTrace(file);
    expect(typeof t.header.topology.vms[0]!.disks[0]!.vdev).toBe('bigint');
    expect(t.header.source).toEqual({ kind: 'scenario', name: 'baseline', seed: 5 });
  });

  it('records a scenario in the binary form (.vtb) that replays to exactly the paths of its JSON Lines twin', async () => {
    const bin = join(dir, 'noisy.vtb');
    const txt = join(dir, 'noisy.jsonl');
    const spec = scenario('noisy-neighbour')!;
    await recordScenario(spec, 2, 800, bin);
    await recordScenario(spec, 2, 800, txt);
    const fromBin = await replayFile(bin, { keepPaths: 10_000 });
    const fromTxt = await replayFile(txt, { keepPaths: 10_000 });
    expect((await openTrace(bin)).encoding).toBe('binary');
    expect(fromBin.cut).toBeUndefined();
    // Every request the run completed (800, of both VMs), and any in flight at its end.
    expect(fromBin.input.paths!.length).toBeGreaterThanOrEqual(800);
    expect(fromBin.input.paths).toEqual(fromTxt.input.paths);
    expect(fromBin.input.clock).toEqual(fromTxt.input.clock);
    expect(fromBin.input.unmatched).toEqual(fromTxt.input.unmatched);
  });

  it('tells the dashboard the source name at once and the clock estimate as it reads', async () => {
    const file = join(dir, 'progress.vtb');
    await recordScenario(scenario('baseline')!, 7, 2500, file);
    const seen: ReplayProgress[] = [];
    const r = await replayFile(file, { onProgress: (p) => seen.push({ ...p }) });
    expect(seen[0]).toMatchObject({ name: 'baseline (recorded)' });
    expect(seen[0]!.clock).toBeUndefined();
    const withClock = seen.filter((p) => p.clock);
    expect(withClock.length).toBeGreaterThan(0);
    // Part way through, the estimate is already within its uncertainty of the final one.
    const early = withClock[0]!.clock!;
    expect(Math.abs(early.offsetNs - r.input.clock!.offsetNs)).toBeLessThan(early.uncertaintyNs + r.input.clock!.uncertaintyNs + 1_000);
  });

  it('records what the live dashboard run shows (run --record): the trace replays to the same paths', async () => {
    const file = join(dir, 'live.jsonl.gz');
    const shown: RequestPath[] = [];
    let done = false;
    const result = await runLive(scenario('slow-disk')!, 3, 800, (u) => {
      shown.push(...u.fresh);
      done = u.done;
    }, () => false, { record: file });
    expect(done).toBe(true);
    const replayed = await replayFile(file, { keepPaths: 10_000 });
    expect(replayed.cut).toBeUndefined();
    expect(shown.length).toBe(result.requests);
    const totals = (ps: RequestPath[]) => ps.map((p) => `${p.sector}:${p.total}`).sort();
    expect(totals(replayed.input.paths!)).toEqual(totals(shown));
  });

  it('closes a live recording stopped early (q) with its end line: everything shown so far replays', async () => {
    const file = join(dir, 'live-stopped.jsonl.gz');
    let steps = 0;
    const result = await runLive(scenario('baseline')!, 3, 5_000, () => {}, () => ++steps > 20, { record: file });
    expect(result.requests).toBeLessThan(5_000);
    const replayed = await replayFile(file);
    expect(replayed.cut).toBeUndefined();
    expect(replayed.input.stats.all.matches.matched).toBeGreaterThan(0);
  });

  it('replays what a cut recording holds, and says it was cut', async () => {
    const file = join(dir, 'cut.jsonl');
    await recordScenario(scenario('baseline')!, 1, 800, file);
    const text = readFileSync(file, 'utf8');
    const cutFile = join(dir, 'cut-short.jsonl');
    writeFileSync(cutFile, text.slice(0, Math.floor(text.length * 0.6)));
    const r = await replayFile(cutFile);
    expect(r.cut?.reason).toMatch(/the recording was cut: no end line, last line incomplete; \d+ complete records were read/);
    expect(r.input.stats.all.matches.matched).toBeGreaterThan(200);
  });

  it('ships a simulated baseline and a noisy neighbour that replay fully stitched', async () => {
    const base = await replayFile('traces/sim-baseline.jsonl.gz');
    expect(base.input.stats.all.matches.guest_only).toBe(0);
    expect(base.input.stats.all.matches.matched).toBeGreaterThanOrEqual(3000);
    const noisy = await replayFile('traces/sim-noisy-neighbour.jsonl.gz');
    expect(noisy.input.stats.all.matches.guest_only).toBe(0);
    expect(noisy.input.stats.all.matches.host_only).toBe(0);
  });
});

describe('a recording killed midway', () => {
  it('leaves a gzip trace whose complete records replay, with a warning about the cut', async () => {
    const { spawn } = await import('node:child_process');
    const { statSync, existsSync } = await import('node:fs');
    const file = join(dir, 'killed.jsonl.gz');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'record', '--scenario', 'baseline', '--requests', '1000000', '-o', file], { stdio: 'ignore' });
    // Wait until it has flushed a fair amount, then kill it without a chance to close the file.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && !(existsSync(file) && statSync(file).size > 200_000)) await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const r = await replayFile(file);
    expect(r.cut?.reason).toMatch(/complete records were read/);
    expect(r.input.stats.all.matches.matched).toBeGreaterThan(500);
  }, 90_000);
});

describe('a trace that ended before the guest reaped', () => {
  it('reports the QEMU requests the guest had not reaped when its trace ended as in flight, in JSON and text', async () => {
    const file = join(dir, 'unreaped.jsonl');
    await recordScenario(scenario('baseline')!, 4, 1200, file);
    const whole = await replayFile(file);
    // The guest's last three completions on queue 0 left out, as if its trace had ended before it reaped them.
    const lines = readFileSync(file, 'utf8').split('\n');
    const parsed = lines.map((l) => (l.startsWith('{') ? JSON.parse(l) : undefined));
    const last = parsed.map((r, i) => [r, i] as const)
      .filter(([r]) => r?.kind === 'guest_rq' && r.vq === 0).sort(([a], [b]) => Number(a.tRqComplete) - Number(b.tRqComplete)).slice(-3).map(([, i]) => i);
    const cut = join(dir, 'unreaped-cut.jsonl');
    // The end line counts the records: three fewer now.
    const kept = lines.map((l, i) => (parsed[i]?.kind === 'end' ? JSON.stringify({ ...parsed[i], records: parsed[i].records - 3 }) : l)).filter((_, i) => !last.includes(i));
    writeFileSync(cut, kept.join('\n'));
    const r = await replayFile(cut);
    const inFlight = (whole.input.inFlightAtEnd ?? 0) + 3;
    expect(r.input.inFlightAtEnd).toBe(inFlight);
    const req = (jsonReport(r.input) as { requests: Record<string, number> }).requests;
    expect([req.matched, req.host_only, req.in_flight_at_end]).toEqual([whole.input.stats.all.matches.matched - 3, whole.input.stats.all.matches.host_only, inFlight]);
    expect(textReport(r.input)).toContain(`in flight at the end: ${inFlight} QEMU requests the guest had not reaped yet`);
  });
});
