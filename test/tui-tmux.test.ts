// The dashboard as a person sees it: run in tmux, keys typed with send-keys, screen read with capture-pane.
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './shared.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `viotrace-e2e-${process.pid}`;
// A server of our own (-L): other tmux users on the machine can neither see nor kill it.
const socket = `viotrace-e2e-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-t', session);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** One key at a time, as a person types (Ink reads a burst of keys as one chunk). */
async function key(k: string) {
  tmux('send-keys', '-t', session, k);
  await sleep(400);
}
async function waitFor(re: RegExp, ms = 20_000): Promise<string> {
  const end = Date.now() + ms;
  let s = '';
  while (Date.now() < end) {
    s = screen();
    if (re.test(s)) return s;
    await sleep(200);
  }
  throw new Error(`screen never showed ${re}:\n${s}`);
}

describe.skipIf(!hasTmux)('dashboard in tmux (80x24)', () => {
  afterAll(() => spawnSync('tmux', ['-L', socket, 'kill-server']));

  it('opens on the shipped real capture, switches views, expands, shows help, and quits cleanly on q', async () => {
    // CI must be unset: with CI set, Ink prints only the final frame.
    const cmd = `cd ${JSON.stringify(repoRoot)} && env -u CI npx tsx src/main.ts replay --speed 8 traces/real-guest/randrw-4k-512k-qd32-io_uring.trace.txt; echo EXIT=$?; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd);
    let s = await waitFor(/\[finished x8\]/);
    expect(s).toMatch(/requests 111/);
    expect(s).toMatch(/vdisk\s+guest/);
    await key('Tab');
    s = await waitFor(/\[histogram\]/);
    expect(s).toMatch(/latency histogram/);
    await key('Tab');
    s = await waitFor(/\[slowest\]/);
    expect(s).toMatch(/780\.0us/);
    await key('Enter');
    s = await waitFor(/vdisk\s+637\.0us/);
    await key('?');
    s = await waitFor(/pause \/ resume/);
    await key('Escape');
    await key('q');
    s = await waitFor(/EXIT=0/);
    expect(s).not.toMatch(/viotrace: internal error/);
  }, 60_000);

  it('opens on a scenario and shows its culprit with the largest share', async () => {
    tmux('kill-session', '-t', session);
    const cmd = `cd ${JSON.stringify(repoRoot)} && env -u CI npx tsx src/main.ts run --scenario guest-queueing --requests 5000 --speed 1; echo EXIT=$?; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd);
    // The simulation runs alongside the dashboard: requests arrive while it shows [live].
    const live = await waitFor(/\[live x1\]/, 40_000);
    const early = Number(/requests (\d+)/.exec(live)?.[1] ?? 0);
    const s = await waitFor(/\[finished x1\]/, 60_000);
    expect(Number(/requests (\d+)/.exec(s)?.[1])).toBeGreaterThan(early);
    expect(s).toMatch(/scenario guest-queueing \(seed 1\)/);
    const share = (stage: string): number => Number(new RegExp(`^${stage}\\s.*?(\\d+\\.\\d)%`, 'm').exec(s)?.[1] ?? -1);
    expect(share('guest_queue')).toBeGreaterThan(50);
    expect(share('guest_queue')).toBeGreaterThan(share('host_io'));
    await key('q');
    await waitFor(/EXIT=0/);
  }, 90_000);

  it('opens a heavy scenario at once saying it is starting, and quits on q then without waiting for the simulation', async () => {
    tmux('kill-session', '-t', session);
    // Ten million requests: minutes of simulation, so an exit at all shows q did not wait for it.
    const cmd = `cd ${JSON.stringify(repoRoot)} && env -u CI npx tsx src/main.ts run --scenario guest-elevator --requests 10000000; echo EXIT=$?; sleep 30`;
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '24', cmd);
    // Its programs are verified and the stitcher waits for a clock estimate: not "trace 0ns/0ns" and "n/a (one side)".
    const s = await waitFor(/starting: simulating/, 40_000);
    expect(s).toMatch(/clock waiting for the first estimate/);
    expect(s).not.toMatch(/one side/);
    tmux('send-keys', '-t', session, 'q');
    expect(await waitFor(/EXIT=0/, 10_000)).not.toMatch(/\[finished/);
  }, 90_000);
});
