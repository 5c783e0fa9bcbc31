// openCapture on the shipped capture-lab folders: manifest, all four streams, FIEMAP mapping, clock pairs, bad folders.
import { cpSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { InputError } from '../../errors.js';
import { repoRoot } from '../../../test/shared.js';
import { openCapture, realtimeToMono } from './capture.js';
import { fileOffsetToDeviceSector, fileRangeToDeviceRanges, parseFilefrag } from './fiemap.js';
import { collect } from './ftrace.js';

const dirOf = (name: string) => join(repoRoot, 'traces', 'real', name);

/** Per-event counts as grep would give them, for ftrace text (optionally only inside a marker section). */
function grepFtrace(path: string, section?: string): Record<string, number> {
  let text = readFileSync(path, 'utf8').replace(/\r/g, '');
  if (section) text = text.slice(text.indexOf(`=== ${section} BEGIN ===`), text.indexOf(`=== ${section} END ===`));
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^.*?\]\s.*?\d+\.\d+: (\w+): /gm)) out[m[1]] = (out[m[1]] ?? 0) + 1;
  return out;
}

describe('openCapture on the shipped real captures', () => {
  for (const [name, iodepth, guestRequests] of [
    ['qd1-mixed', 1, 209],
    ['qd16-mixed', 16, 512],
  ] as const) {
    it(`${name}: manifest, and all four streams parse completely, counted as grep counts`, async () => {
      const dir = dirOf(name);
      const c = await openCapture(dir);
      expect(c.manifest.job.iodepth).toBe(iodepth);
      expect(c.manifest.versions.guest_kernel).toMatch(/^6\.1\./);
      expect(c.manifest.versions.qemu).toMatch(/QEMU emulator version 7\.2/);
      expect(c.manifest.clocks).toMatchObject({ guest: 'guest-mono', qemu: 'host-realtime', host_iouring: 'host-mono', host_block: 'host-mono' });
      const guest = await collect(c.guest());
      expect(guest.stats.byName).toEqual(grepFtrace(join(dir, c.manifest.files.guest), 'GUEST TRACE'));
      expect(guest.stats.byName.block_rq_issue).toBe(guestRequests);
      const iou = await collect(c.hostIouring());
      expect(iou.stats.byName).toEqual(grepFtrace(join(dir, c.manifest.files.host_iouring)));
      const block = await collect(c.hostBlock());
      expect(block.stats.byName).toEqual(grepFtrace(join(dir, c.manifest.files.host_block)));
      const qemu = await collect(c.qemu());
      for (const r of [guest, iou, block, qemu]) {
        expect(r.stats.skipped + r.stats.unknown + r.stats.lost).toBe(0);
        expect(r.events.length).toBeGreaterThan(100);
      }
      expect(guest.events.every((e) => e.source === 'guest' && e.clock === 'guest-mono')).toBe(true);
      expect(block.events.every((e) => e.source === 'host' && e.clock === 'host-mono' && e.fields.dev === c.manifest.host.dev)).toBe(true);
      // QEMU punts the FSYNC of a flush to io-wq: its completion comes from an iou-wrk thread.
      const punt = iou.events.find((e) => e.name === 'io_uring_queue_async_work')!;
      expect(punt.fields.op_str).toBe('FSYNC');
      const done = iou.events.find((e) => e.name === 'io_uring_complete' && e.fields.user_data === punt.fields.user_data)!;
      expect(done.task).toMatch(/^iou-wrk-/);
    });
  }

  it('maps a QEMU file offset to a host device sector through the extents', async () => {
    const c = await openCapture(dirOf('qd1-mixed'));
    const [e0, e1] = c.extents.extents;
    expect(c.extents.blockSize).toBe(4096);
    expect(c.deviceSector(0)).toBe(e0.physical * 8);
    expect(c.deviceSector(4096 + 1024)).toBe((e0.physical + 1) * 8 + 2);
    expect(c.deviceSector(e1.logical * 4096)).toBe(e1.physical * 8);
    // A request across the first extent boundary is two device ranges.
    expect(c.deviceRanges(e1.logical * 4096 - 4096, 8192)).toEqual([
      { sector: (e0.physical + e0.length - 1) * 8, sectors: 8 },
      { sector: e1.physical * 8, sectors: 8 },
    ]);
    expect(c.deviceSector(c.extents.fileBytes + 4096)).toBeUndefined();
  });

  it('converts QEMU realtime to host mono with the recorded pairs', async () => {
    const c = await openCapture(dirOf('qd16-mixed'));
    const [before, , after] = c.clockPairs;
    expect(c.realtimeToHostMono(before.realtimeNs)).toBe(before.monoNs);
    expect(c.realtimeToHostMono(after.realtimeNs)).toBe(after.monoNs);
    // REALTIME and MONO tick together here: the offset moved by less than the pair widths (plus slew).
    const drift = after.realtimeNs - after.monoNs - (before.realtimeNs - before.monoNs);
    expect(drift < 100_000n && drift > -100_000n).toBe(true);
  });
});

describe('bad capture folders', () => {
  it('a folder without a manifest, a foreign schema, a missing stream: InputError naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'viotrace-capture-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    await expect(openCapture(dir)).rejects.toThrow(InputError);
    await expect(openCapture(dir)).rejects.toThrow(/no manifest\.json/);
    cpSync(dirOf('qd1-mixed'), join(dir, 'c'), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'c', 'manifest.json'), 'utf8'));
    writeFileSync(join(dir, 'c', 'manifest.json'), JSON.stringify({ ...manifest, schema: 'other/9' }));
    await expect(openCapture(join(dir, 'c'))).rejects.toThrow(/unknown capture schema "other\/9"/);
    writeFileSync(join(dir, 'c', 'manifest.json'), JSON.stringify({ ...manifest, files: { ...manifest.files, qemu: 'gone.log' } }));
    const c = await openCapture(join(dir, 'c'));
    expect(() => c.qemu()).toThrow(/capture file listed in the manifest is missing/);
  });

  it('filefrag output with delalloc extents (no sync) is refused; holes map to nothing', () => {
    const text = [
      'Filesystem type is: ef53',
      'File size of disk.img is 16384 (4 blocks of 4096 bytes)',
      ' ext:     logical_offset:        physical_offset: length:   expected: flags:',
      '   0:        0..       3:          0..         3:      4:             last,unknown_loc,delalloc,eof',
    ].join('\n');
    expect(() => parseFilefrag(text, 'e.txt')).toThrow(/run sync before filefrag/);
    expect(() => parseFilefrag('hello', 'e.txt')).toThrow(/not filefrag -e output/);
    const holes = parseFilefrag(
      ['File size of disk.img is 16384 (4 blocks of 4096 bytes)', '   0:        2..       3:       100..       101:      2:             last,eof'].join('\n'),
      'h.txt',
      2048,
    );
    expect(fileOffsetToDeviceSector(holes, 0)).toBeUndefined();
    expect(fileOffsetToDeviceSector(holes, 8192)).toBe(800 + 2048);
    expect(fileRangeToDeviceRanges(holes, 0, 16384)).toEqual([{ sector: 2848, sectors: 16 }]);
  });

  it('realtimeToMono interpolates between pairs and extrapolates with the nearest one', () => {
    const pairs = [
      { when: 'before', realtimeNs: 1000n, monoNs: 100n, widthNs: 0 },
      { when: 'after', realtimeNs: 2000n, monoNs: 1110n, widthNs: 0 },
    ];
    expect(realtimeToMono(pairs, 1500n)).toBe(605n);
    expect(realtimeToMono(pairs, 500n)).toBe(-400n);
    expect(realtimeToMono(pairs, 3000n)).toBe(2110n);
  });
});
