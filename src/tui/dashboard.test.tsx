// Dashboard component tests (ink-testing-library) on the real guest capture: each view and each key.
import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayFile } from '../replay/index.js';
import { sharedPath } from '../../test/shared.js';
import type { RequestPath } from '../correlate/index.js';
import { Dashboard, Playback, parseFilter } from './index.js';

let paths: RequestPath[] = [];
beforeAll(async () => {
  const r = await replayFile(sharedPath('traces/real-guest/randrw-4k-512k-qd32-io_uring.trace.txt'), { keepPaths: 1000 });
  paths = r.input.paths!;
});

const tick = () => new Promise((r) => setTimeout(r, 60));
const ESC = '\u001B';
const keys = { tab: '\t', down: `${ESC}[B`, up: `${ESC}[A`, enter: '\r', right: `${ESC}[C`, left: `${ESC}[D`, escape: ESC };

/** Renders a finished playback (all requests in) without the frame timer, so frames are deterministic. */
async function mount(seek = Infinity) {
  const pb = new Playback(paths, 'randrw-qd32');
  pb.seekTo(seek);
  const app = render(<Dashboard playback={pb} tick={false} />);
  await tick();
  const press = async (k: string) => {
    app.stdin.write(k);
    await tick();
    return app.lastFrame() ?? '';
  };
  return { pb, app, press };
}

describe('Dashboard', () => {
  it('shows the header and the stage breakdown in path order', async () => {
    const { app } = await mount();
    const f = app.lastFrame()!;
    expect(f).toContain('requests 111');
    expect(f).toContain('clock n/a (one side)');
    const order = ['guest_submit', 'guest_queue', 'vdisk', 'guest_reap'].map((s) => f.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(f).toMatch(/vdisk\s+guest\s+\S+\s+\S+\s+\S+\s+79\.0%/);
    app.unmount();
  });

  it('tab cycles views: histogram, slowest, back to stages', async () => {
    const { app, press } = await mount();
    expect(await press(keys.tab)).toContain('latency histogram: guest_submit');
    expect(await press(keys.tab)).toMatch(/780\.0us\s+guest\/254:0 write 46657752\+88/);
    expect(await press(keys.tab)).toContain('[stages]');
    app.unmount();
  });

  it('arrows select the stage the histogram shows', async () => {
    const { app, press } = await mount();
    await press(keys.down);
    await press(keys.down);
    expect(await press(keys.tab)).toContain('latency histogram: vdisk (111 samples)');
    app.unmount();
  });

  it('enter expands the selected slowest request into its waterfall', async () => {
    const { app, press } = await mount();
    await press(keys.tab);
    await press(keys.tab);
    await press(keys.down);
    const f = await press(keys.enter);
    expect(f).toMatch(/753\.0us\s+guest\/254:0 read 46595984\+976/);
    expect(f).toMatch(/vdisk\s+642\.0us/);
    app.unmount();
  });

  it('s sorts: stages by share, slowest by start', async () => {
    const { app, press } = await mount();
    const f = await press('s');
    expect(f.indexOf('vdisk')).toBeLessThan(f.indexOf('guest_submit'));
    await press(keys.tab);
    await press(keys.tab);
    const g = await press('s');
    expect(g).not.toMatch(/^\s*780\.0us/m);
    app.unmount();
  });

  it('/ filters by op; a bad filter says why', async () => {
    const { app, press } = await mount();
    await press('/');
    for (const c of 'op=write') await press(c);
    const f = await press(keys.enter);
    expect(f).toContain('filter: op=write');
    expect(f).toMatch(/requests (\d+)/);
    const n = Number(/requests (\d+)/.exec(f)![1]);
    expect(n).toBe(paths.filter((p) => p.op === 'write').length);
    await press('/');
    for (const c of 'colour=red') await press(c);
    expect(await press(keys.enter)).toContain('unknown filter key "colour"');
    app.unmount();
  });

  it('p pauses, + and - change the speed, arrows seek', async () => {
    const { pb, app, press } = await mount(0);
    expect(await press('p')).toContain('PAUSED');
    expect(await press('+')).toContain('x2');
    await press('-');
    expect(await press('-')).toContain('x0.50');
    await press(keys.right);
    expect(pb.position).toBeCloseTo(pb.duration / 10, 0);
    await press(keys.left);
    expect(pb.position).toBe(0);
    app.unmount();
  });

  it('? shows the help overlay with every key; esc closes it', async () => {
    const { app, press } = await mount();
    const f = await press('?');
    for (const k of ['quit', 'pause / resume', 'next view', 'filter', 'replay faster', 'seek']) expect(f).toContain(k);
    expect(await press(keys.escape)).not.toContain('pause / resume');
    app.unmount();
  });
});

describe('parseFilter', () => {
  it('reads key=value pairs and refuses unknown keys', () => {
    expect(parseFilter('vm=vm1 queue=2 op=read')).toEqual({ vm: 'vm1', queue: 2, op: 'read' });
    expect(() => parseFilter('speed=2')).toThrow(/unknown filter key/);
  });
});

describe('live playback', () => {
  it('is not finished while a simulation feeds it, and takes newer stitches in place', async () => {
    const { Playback } = await import('./playback.js');
    const paths = (await import('../replay/index.js')).replayFile;
    const all = (await paths('traces/sim-baseline.jsonl.gz', { keepPaths: 1_000_000 })).input.paths!;
    const pb = new Playback(all.slice(0, 100), 'live test');
    pb.live = true;
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    expect(pb.snapshot()).toMatchObject({ live: true, finished: false });
    expect(pb.snapshot().stats.all.matches.matched).toBe(100);
    pb.update(all.slice(0, 500));
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    expect(pb.snapshot().stats.all.matches.matched).toBe(500);
    pb.live = false;
    expect(pb.snapshot().finished).toBe(true);
  });
});
