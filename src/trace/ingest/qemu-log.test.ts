// The QEMU log-trace reader on the shipped real captures, on untimed lines and on bad input.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../errors.js';
import { repoRoot } from '../../../test/shared.js';
import { collect } from './ftrace.js';
import { parseQemuArgs, qemuEventKeys, readQemuLog, readQemuLogText } from './qemu-log.js';

const capture = (name: string) => join(repoRoot, 'traces', 'real', name, 'qemu-trace.log');

/** `grep -c ':NAME '` per event: the independent count. */
function grepCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^\d+@\d+\.\d+:(\w+)/gm)) out[m[1]] = (out[m[1]] ?? 0) + 1;
  return out;
}

describe('readQemuLog on the shipped captures', () => {
  for (const name of ['qd1-mixed', 'qd16-mixed']) {
    it(`${name}: every line is a known event, counted as grep counts`, async () => {
      const path = capture(name);
      const { events, stats } = await collect(readQemuLog(path));
      expect(stats.byName).toEqual(grepCounts(readFileSync(path, 'utf8')));
      expect(stats.unknown).toBe(0);
      expect(stats.skipped).toBe(0);
      for (const e of events) {
        expect(e).toMatchObject({ source: 'qemu', clock: 'host-realtime', known: true });
        expect(qemuEventKeys[e.name].every((k) => e.fields[k] !== undefined)).toBe(true);
      }
      const handle = events.find((e) => e.name === 'virtio_blk_handle_read')!;
      expect(typeof handle.fields.sector).toBe('number');
      expect(handle.fields.vdev).toMatch(/^0x[0-9a-f]+$/);
      // TID@SEC.USEC: microseconds, so the last three digits of the nanoseconds are zero.
      expect(handle.ts % 1000n).toBe(0n);
    });
  }

  it('qd16-mixed shows QEMU merging requests (virtio_blk_submit_multireq with num_reqs > 1)', async () => {
    const { events } = await collect(readQemuLog(capture('qd16-mixed')));
    const merges = events.filter((e) => e.name === 'virtio_blk_submit_multireq' && (e.fields.num_reqs as number) > 1);
    expect(merges.length).toBeGreaterThan(5);
    expect(merges[0].fields).toMatchObject({ is_write: 1, start: 0 });
  });
});

describe('QEMU log lines', () => {
  const timed = '2148@1795549769.662049:virtio_blk_handle_read vdev 0x5573226b6ed0 req 0x5573228a03f0 sector 2048 nsectors 8';

  it('parses TID@SEC.USEC and key value pairs by name', async () => {
    const { events } = await collect(readQemuLogText(timed, { label: 'q.log' }));
    expect(events[0]).toMatchObject({
      pid: 2148, ts: 1795549769662049000n, name: 'virtio_blk_handle_read',
      fields: { vdev: '0x5573226b6ed0', req: '0x5573228a03f0', sector: 2048, nsectors: 8 },
    });
  });

  it('reads words between pairs, unkeyed values and (nil) the way QEMU prints them', () => {
    expect(parseQemuArgs('LuringState 0x55 submitted to kernel 3')).toEqual({ LuringState: '0x55', kernel: 3 });
    expect(parseQemuArgs('0x5573 freed')).toEqual({ arg0: '0x5573' });
    expect(parseQemuArgs('pool 0x1 req (nil) opaque 0x2')).toEqual({ pool: '0x1', req: '0x0', opaque: '0x2' });
  });

  it('untimed lines (no -msg timestamp=on): an error saying so, or kept and flagged', async () => {
    const untimed = timed.replace(/^\d+@[\d.]+:/, '');
    const err = await collect(readQemuLogText(untimed, { label: 'u.log' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).describe()).toMatch(/^u\.log:1: .*-msg timestamp=on/);
    const { events } = await collect(readQemuLogText(untimed, { label: 'u.log', untimed: 'keep' }));
    expect(events[0]).toMatchObject({ untimed: true, ts: 0n, name: 'virtio_blk_handle_read', fields: { sector: 2048 } });
  });

  it('malformed lines name file:line; lenient counts them; QEMU messages are not events', async () => {
    const text = [
      timed,
      '2148@1795549769.662050:virtio_blk_handle_read vdev 0x5573226b6ed0 sector 2048',
      '2026-11-24T23:29:09.123456Z qemu-system-x86_64: warning: something',
      '%%% garbage',
      timed,
    ].join('\n');
    const err = await collect(readQemuLogText(text, { label: 'm.log' })).catch((e: unknown) => e);
    expect((err as InputError).describe()).toMatch(/^m\.log:2: virtio_blk_handle_read lacks "req"/);
    const { events, stats } = await collect(readQemuLogText(text, { label: 'm.log', lenient: true }));
    expect(events.map((e) => e.line)).toEqual([1, 5]);
    expect(stats.skipped).toBe(2);
  });
});
