// Dashboard component tests (Ink on a fake terminal of a given size) on the real guest capture: each view and each key.
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { beforeAll, describe, expect, it } from 'vitest';
import { replayFile } from '../replay/index.js';
import { sharedPath } from '../../test/shared.js';
import type { RequestPath } from '../correlate/index.js';
import { Dashboard, Playback, parseFilter } from './index.js';
import { splitKeys } from './keys.js';

let paths: RequestPath[] = [];
/** The simulated baseline's paths: both sides, every stage and part. */
let simulated: RequestPath[] = [];
beforeAll(async () => {
  const r = await replayFile(sharedPath('traces/real-guest/randrw-4k-512k-qd32-io_uring.trace.txt'), { keepPaths: 1000 });
  paths = r.input.paths!;
  simulated = (await replayFile('traces/sim-baseline.jsonl.gz', { keepPaths: 1_000_000 })).input.paths!;
});

/** Fails unless `frame` fits a terminal of `columns` x `rows`: no line wider, a row to spare below, the title on top (led by the state when cut). */
function expectFits(frame: string, columns: number, rows: number) {
  const lines = plain(frame).split('\n');
  expect(lines.length, plain(frame)).toBeLessThan(rows);
  for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(columns);
  expect(lines[0]).toMatch(/^(viotrace |\[(finished|PAUSED|live|reading|playing) x)/);
}

/** A frame without colour codes. */
const plain = (frame: string) => frame.replace(/\u001B\[[0-9;]*m/g, '');
const tick = () => new Promise((r) => setTimeout(r, 60));
const ESC = '\u001B';
const keys = { tab: '\t', down: `${ESC}[B`, up: `${ESC}[A`, enter: '\r', right: `${ESC}[C`, left: `${ESC}[D`, escape: ESC };

/** A terminal's output of a given size, as Ink writes to it (debug mode: each frame whole); `resize` changes it as a terminal does. */
class FakeStdout extends EventEmitter {
  readonly isTTY = true;
  frames: string[] = [];
  constructor(
    public columns: number,
    public rows: number,
  ) {
    super();
  }
  write = (frame: string): boolean => {
    this.frames.push(frame);
    return true;
  };
  resize(columns: number, rows: number): void {
    this.columns = columns;
    this.rows = rows;
    this.emit('resize');
  }
}

/** A terminal's input: what `write` sends is read as one chunk, as keys typed fast or sent by tmux are. */
class FakeStdin extends EventEmitter {
  readonly isTTY = true;
  private data: string | null = null;
  write(data: string): void {
    this.data = data;
    this.emit('readable');
  }
  read = (): string | null => {
    const d = this.data;
    this.data = null;
    return d;
  };
  setEncoding(): void {}
  setRawMode(): void {}
  resume(): void {}
  pause(): void {}
  ref(): void {}
  unref(): void {}
}

/** Renders a finished playback of `from` (all requests in), or `playback`, on a terminal of `columns` x `rows`, without the frame timer, so frames are deterministic. */
async function mount({ seek = Infinity, columns = 100, rows = 24, from = paths, playback }: { seek?: number; columns?: number; rows?: number; from?: RequestPath[]; playback?: Playback } = {}) {
  const pb = playback ?? new Playback(from, 'randrw-qd32');
  pb.seekTo(seek);
  const stdout = new FakeStdout(columns, rows);
  const stdin = new FakeStdin();
  const app = render(<Dashboard playback={pb} tick={false} />, {
    stdout: stdout as unknown as NodeJS.WriteStream, stdin: stdin as unknown as NodeJS.ReadStream, stderr: new FakeStdout(columns, rows) as unknown as NodeJS.WriteStream,
    debug: true, exitOnCtrlC: false, patchConsole: false,
  });
  const lastFrame = () => stdout.frames.at(-1) ?? '';
  await tick();
  const press = async (k: string) => {
    stdin.write(k);
    await tick();
    return lastFrame();
  };
  return { pb, app: { ...app, lastFrame }, press, stdout };
}

describe('Dashboard', () => {
  it('shows the header and the stage breakdown in path order', async () => {
    const { app } = await mount();
    const f = app.lastFrame()!;
    expect(f).toContain('requests 111');
    // A guest-side capture: its requests are not 'unmatched', there was nothing to match.
    expect(f).toContain('guest side only');
    expect(f).not.toContain('unmatched');
    expect(f).toContain('clock n/a (one side)');
    const order = ['guest_submit', 'guest_queue', 'vdisk', 'guest_reap'].map((s) => f.indexOf(s));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(f).toMatch(/vdisk\s+guest\s+111\s+\S+\s+\S+\s+\S+\s+79\.0%/);
    app.unmount();
  });

  it('parts sit under the stage they split, with the count of requests that have them, and a line says which cover fewer', async () => {
    // As in iothread-stall: requests the guest did not kick have no vm_exit, qemu_wakeup or qemu_dispatch.
    const unkicked = new Set<string>(['vm_exit', 'qemu_wakeup', 'qemu_dispatch']);
    const from = simulated.map((p, i): RequestPath => {
      const { vm, disk, queue, op, sector, nrSectors, match, sharedHostOp, events, total, start } = p;
      const stages = Object.fromEntries(Object.entries(p.stages).filter(([k]) => i % 3 !== 0 || !unkicked.has(k)));
      return { vm, disk, queue, op, sector, nrSectors, match, sharedHostOp, events, stages, total, start };
    });
    const { app } = await mount({ columns: 120, rows: 40, from });
    const lines = plain(app.lastFrame()).split('\n');
    const row = (stage: string) => lines.findIndex((l) => new RegExp(`^\\s*${stage}\\s`).test(l));
    expect(row('vm_exit')).toBe(row('notify') + 1);
    expect(row('host_queue')).toBe(row('host_io') + 1);
    const having = (stage: string) => from.filter((p) => p.stages[stage as keyof RequestPath['stages']] !== undefined).length;
    expect(lines[row('notify')]).toMatch(new RegExp(`^notify\\s+boundary\\s+${having('notify')}\\s`));
    expect(lines[row('vm_exit')]).toMatch(new RegExp(`^ {2}vm_exit\\s+boundary\\s+${having('vm_exit')}\\s`));
    const covered = Math.max(...[...unkicked].map(having));
    expect(covered).toBeLessThan(having('notify'));
    // (The interrupt's parts are missing too where a handler already running reaped the request.)
    const note = lines.find((l) => l.startsWith('parts cover only the requests with their events: '));
    expect(note).toContain(`notify ${covered} of ${having('notify')}`);
    expect(note).toContain(`interrupt ${having('irq_delivery')} of ${having('interrupt')}`);
    app.unmount();
  });

  it('tab cycles views: histogram, slowest, back to stages', async () => {
    const { app, press } = await mount();
    expect(await press(keys.tab)).toContain('latency histogram: guest_submit');
    expect(await press(keys.tab)).toMatch(/780\.0us\s+guest\/254:0 write 46657752\+88/);
    expect(await press(keys.tab)).toContain('[stages]');
    app.unmount();
  });

  it('a histogram bucket with any samples gets a mark, however few', async () => {
    const { app, press } = await mount({ from: simulated });
    const f = plain(await press(keys.tab));
    const rows = [...f.matchAll(/^\s*\S+ -> \S+\s+(\d+) \|(@*) *\|$/gm)];
    expect(rows.length).toBeGreaterThan(2);
    expect(rows.some(([, n]) => Number(n) < 20)).toBe(true);
    for (const [, n, marks] of rows) expect(marks!.length > 0).toBe(Number(n) > 0);
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

  it('s sorts: stages by share, slowest by start; the view line says by what', async () => {
    const { app, press } = await mount();
    expect(app.lastFrame()).toContain('sort: path order');
    const f = await press('s');
    expect(f.indexOf('vdisk')).toBeLessThan(f.indexOf('guest_submit'));
    expect(f).toContain('sort: share');
    expect(await press(keys.tab)).not.toContain('sort:');
    expect(await press(keys.tab)).toContain('sort: total');
    const g = await press('s');
    expect(g).not.toMatch(/^\s*780\.0us/m);
    expect(g).toContain('sort: start');
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

  it('keys read in one chunk count one by one', async () => {
    const { app, press } = await mount();
    await press(keys.down + keys.down);
    expect(await press(keys.tab)).toContain('latency histogram: vdisk (111 samples)');
    app.unmount();
  });

  it('a filter typed in one chunk, return included, is applied and closes the prompt', async () => {
    const { app, press } = await mount();
    await press('/');
    const f = await press('op=write\r');
    expect(f).toContain('filter: op=write');
    expect(f).not.toContain('filter: op=write_');
    expect(Number(/requests (\d+)/.exec(f)![1])).toBe(paths.filter((p) => p.op === 'write').length);
    // A backspace in the chunk takes back the character before it.
    expect(await press('/op=reax\u007fd\r')).toContain('filter: op=read');
    app.unmount();
  });

  it('p pauses, + and - change the speed, arrows seek', async () => {
    const { pb, app, press } = await mount({ seek: 0 });
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

  it('q quits from the help overlay too, as the overlay says', async () => {
    const { app, press } = await mount();
    let exited = false;
    void app.waitUntilExit().then(() => (exited = true));
    expect(await press('?')).toContain('q, Ctrl-C');
    await press('q');
    expect(exited).toBe(true);
  });

  it('lays itself out again when the terminal is resized', async () => {
    const { app, stdout } = await mount();
    const bar = () => plain(app.lastFrame()).split('\n').find((l) => /^[█▓▒]+$/.test(l))?.length;
    expect(bar()).toBe(98);
    stdout.resize(120, 40);
    await tick();
    expect(bar()).toBe(118);
    app.unmount();
  });

  it('fits a 60x15 terminal: stage rows clipped with a count of the rest, narrow columns dropped, header fields packed', async () => {
    const { app } = await mount({ columns: 60, rows: 15, from: simulated });
    const f = app.lastFrame();
    expectFits(f, 60, 15);
    expect(f).toMatch(/^… \d+ more$/m);
    expect(f).toMatch(/^stage\s+count\s+p50\s+p99\s+share$/m);
    expect(f).toMatch(/in flight 0/);
    expect(f).toMatch(/clock waiting for the first estimate/);
    app.unmount();
  });

  it('on a 40x10 terminal the title keeps the playback state: it leads the cut line', async () => {
    const { app } = await mount({ columns: 40, rows: 10, playback: new Playback(simulated, 'scenario baseline (seed 1)') });
    const title = plain(app.lastFrame()).split('\n')[0]!;
    expect(title).toMatch(/^\[finished x1\]  /);
    expect(title.length).toBeLessThanOrEqual(40);
    app.unmount();
  });

  it('every view, the waterfall, the help and the filter prompt fit small terminals', async () => {
    for (const [columns, rows] of [[60, 15], [80, 24], [40, 10]] as const) {
      const { app, press } = await mount({ columns, rows, from: simulated });
      for (const k of [keys.down, keys.down, keys.down, keys.down, keys.down, keys.down, keys.down]) await press(k);
      expectFits(await press('/'), columns, rows);
      expectFits(await press('op=read'), columns, rows);
      await press(keys.enter);
      expectFits(await press(keys.tab), columns, rows);
      expectFits(await press(keys.tab), columns, rows);
      await press(keys.down);
      const waterfall = await press(keys.enter);
      expectFits(waterfall, columns, rows);
      if (rows > 15) expect(waterfall).toMatch(/host_io\s+\S+us/);
      expectFits(await press('?'), columns, rows);
      app.unmount();
    }
  });

  it('fits the terminal again when it is made smaller', async () => {
    const { app, stdout } = await mount({ columns: 120, rows: 40, from: simulated });
    expect(plain(app.lastFrame())).toMatch(/^stage\s+side\s+count\s+p50/m);
    stdout.resize(60, 15);
    await tick();
    expectFits(app.lastFrame(), 60, 15);
    app.unmount();
  });

  it('a live run with nothing handed over yet says it is starting and waiting for the clock, not "one side"', async () => {
    const pb = new Playback([], 'scenario guest-elevator (seed 1)');
    pb.live = true;
    pb.twoSided = true;
    const { app } = await mount({ playback: pb });
    const f = plain(app.lastFrame());
    expect(f).toContain('starting: simulating, waiting for the first clock estimate');
    expect(f).toContain('clock waiting for the first estimate');
    expect(f).not.toContain('n/a (one side)');
    expect(f).not.toContain('trace 0ns/0ns');
    app.unmount();
  });

  it('a replay that matches requests waits for the clock estimate rather than saying "one side"', async () => {
    const { app } = await mount({ from: simulated.slice(0, 100) });
    expect(plain(app.lastFrame())).toContain('clock waiting for the first estimate');
    // Both sides: unmatched requests by the side that has them.
    expect(plain(app.lastFrame())).toMatch(/unmatched guest \d+ host \d+/);
    app.unmount();
  });
});

describe('parseFilter', () => {
  it('reads key=value pairs and refuses unknown keys', () => {
    expect(parseFilter('vm=vm1 queue=2 op=read')).toEqual({ vm: 'vm1', queue: 2, op: 'read' });
    expect(() => parseFilter('speed=2')).toThrow(/unknown filter key/);
  });
});

describe('playback', () => {
  let all: RequestPath[] = [];
  beforeAll(() => {
    all = simulated;
  });

  it('is not finished while a simulation feeds it, and adds what arrives to what it has', () => {
    const pb = new Playback(all.slice(0, 100), 'live test');
    pb.live = true;
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    expect(pb.snapshot()).toMatchObject({ live: true, finished: false });
    expect(pb.snapshot().stats.all.matches.matched).toBe(100);
    pb.push(all.slice(100, 500));
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    expect(pb.snapshot().stats.all.matches.matched).toBe(500);
    pb.endOfInput();
    expect(pb.snapshot().finished).toBe(true);
  });

  it('counts a request once the position passes its completion, whatever order paths arrive in', () => {
    const shuffled = [...all.slice(0, 400)].reverse();
    const pb = new Playback(shuffled, 'order');
    const ends = all.slice(0, 400).map((p) => p.start + p.total).sort((a, b) => a - b);
    const t0 = Math.min(...all.slice(0, 400).map((p) => p.start));
    pb.seekTo(ends[199]! - t0);
    expect(pb.snapshot().stats.all.total.count).toBe(200);
    pb.seekTo(ends[99]! - t0); // backward: rebuilt from the history
    expect(pb.snapshot().stats.all.total.count).toBe(100);
    expect(pb.snapshot().inFlight).toBeGreaterThan(0);
  });

  it('keeps a bounded history: a live run past it filters the newest it kept, and says so', () => {
    const pb = new Playback(all.slice(0, 1000), 'bounded', undefined, undefined, { history: 100 });
    pb.live = true;
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    expect(pb.snapshot().stats.all.total.count).toBe(1000);
    expect(pb.snapshot().partialHistory).toBeUndefined();
    pb.setFilter(parseFilter('op=read'));
    const snap = pb.snapshot();
    expect(snap.partialHistory).toBeGreaterThanOrEqual(100);
    expect(snap.partialHistory).toBeLessThan(1000);
    expect(snap.stats.all.total.count).toBeLessThanOrEqual(snap.partialHistory!);
  });

  it('reads a replay again from its start for a backward seek past its history, then returns to the target', () => {
    const pb = new Playback([], 'reload', undefined, undefined, { history: 100 });
    let reloads = 0;
    pb.reading = true;
    pb.reload = () => reloads++;
    pb.push(all.slice(0, 1000));
    pb.endOfInput();
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    const end = pb.position;
    pb.seekTo(end / 2);
    expect(reloads).toBe(1);
    expect(pb.snapshot().stats.all.total.count).toBe(0);
    // The file is read again: the playback goes to the target as the paths come.
    pb.reading = true;
    pb.push(all.slice(0, 500));
    pb.push(all.slice(500, 1000));
    pb.endOfInput();
    expect(pb.position).toBeCloseTo(end / 2, -3);
    const count = pb.snapshot().stats.all.total.count;
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThan(1000);
  });

  it('makes a reader wait while many requests are queued, and lets it go as they play', async () => {
    const pb = new Playback(all.slice(0, 300), 'room', undefined, undefined, { pending: 200 });
    let free = false;
    const wait = pb.room().then(() => (free = true));
    await tick();
    expect(free).toBe(false);
    pb.seekTo(Number.MAX_SAFE_INTEGER);
    await wait;
    expect(free).toBe(true);
    await expect(pb.room()).resolves.toBeUndefined();
  });
});

describe('splitKeys', () => {
  it('splits a chunk into arrows, return, backspace, ctrl and printable keys', () => {
    const names = (s: string) => splitKeys(s).map((k) => (k.text ? `${k.name}:${k.text}` : k.name));
    expect(names('\u001B[B\u001B[B\u001BOA\u001B[1;5C')).toEqual(['down', 'down', 'up', 'right']);
    expect(names('op=r\r')).toEqual(['char:o', 'char:p', 'char:=', 'char:r', 'return']);
    expect(names('a\u007F\b\t\u0003\u001B')).toEqual(['char:a', 'backspace', 'backspace', 'tab', 'ctrl:c', 'escape']);
    expect(names('\u001B[5~x')).toEqual(['char:x']);
  });
});
