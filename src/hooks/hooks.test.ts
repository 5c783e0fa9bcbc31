// The hook table against the real format files and the paired programs; tracepoint contexts byte for byte.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/shared.js';
import { loadObject, parseBtf } from '../vm/index.js';
import { findHook, HOOKS, PT_REGS, ptRegs, tracepointLayout } from './index.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/** Fields of a shared format file, read with a regex of our own (not the code under test). */
function sharedFields(system: string, event: string): { name: string; offset: number; size: number; dataLoc: boolean }[] {
  const text = readFileSync(sharedPath('kernel', 'tracefs-formats', system, `${event}.format`), 'utf8');
  return [...text.matchAll(/field:(.*?);\s*offset:(\d+);\s*size:(\d+);/g)].map((m) => ({
    name: m[1]!.trim().split(/\s+/).pop()!.replace(/\[.*$/, ''), offset: Number(m[2]), size: Number(m[3]), dataLoc: m[1]!.includes('__data_loc'),
  }));
}

describe('vendored format files', () => {
  for (const system of readdirSync(repo('src/hooks/formats'))) {
    for (const file of readdirSync(repo(`src/hooks/formats/${system}`))) {
      it(`${system}/${file} is the Linux 6.18 file`, () => {
        expect(readFileSync(repo(`src/hooks/formats/${system}/${file}`), 'utf8')).toBe(readFileSync(sharedPath('kernel', 'tracefs-formats', system, file), 'utf8'));
      });
    }
  }
});

describe('tracepoint contexts', () => {
  const tracepoints = [...new Set(HOOKS.filter((h) => h.kind === 'tracepoint').map((h) => h.name))];
  it.each(tracepoints)('%s: every field at its format-file offset, common header first', (name) => {
    const [system, event] = name.split(':') as [string, string];
    const layout = tracepointLayout(name);
    const fields = sharedFields(system, event);
    // A distinct value per field, so a field written at the wrong offset shows.
    const values: Record<string, bigint | string> = {};
    fields.forEach((f, i) => {
      if (f.name.startsWith('common_')) return;
      values[f.name] = f.dataLoc || (f.size > 8) ? `v${i}` : BigInt(0x11 * (i + 1)) & ((1n << BigInt(8 * f.size)) - 1n);
    });
    const rec = layout.encode(values, { pid: 4321, flags: 1, preemptCount: 2 });
    const dv = new DataView(rec.buffer);
    const id = Number(/^ID: (\d+)/m.exec(readFileSync(sharedPath('kernel', 'tracefs-formats', system, `${event}.format`), 'utf8'))![1]);
    expect(dv.getUint16(0, true)).toBe(id);
    expect([dv.getUint8(2), dv.getUint8(3), dv.getInt32(4, true)]).toEqual([1, 2, 4321]);
    for (const f of fields) {
      if (f.name.startsWith('common_')) continue;
      const v = values[f.name]!;
      if (f.dataLoc) {
        const loc = dv.getUint32(f.offset, true);
        const at = loc & 0xffff;
        const len = loc >>> 16;
        expect(new TextDecoder().decode(rec.subarray(at, at + len))).toBe(`${v}\0`);
      } else if (typeof v === 'string') {
        expect(new TextDecoder().decode(rec.subarray(f.offset, f.offset + v.length))).toBe(v);
      } else {
        let got = 0n;
        for (let b = f.size - 1; b >= 0; b--) got = (got << 8n) | BigInt(rec[f.offset + b]!);
        expect(got, f.name).toBe(v);
      }
    }
  });

  it('refuses a field the event does not have', () => {
    expect(() => tracepointLayout('block:block_rq_issue').encode({ secter: 1 }, { pid: 1 })).toThrow(/no field secter/);
  });
});

describe('pt_regs', () => {
  it('puts arguments where libbpf\'s PT_REGS_PARM1..6 read them (x86-64)', () => {
    const r = ptRegs({ args: [1n, 2n, 3n, 4n, 5n, 6n], ret: 7n, ip: 0xffffffff81000000n });
    const dv = new DataView(r.buffer);
    // bpf_tracing.h, __TARGET_ARCH_x86: PARM1 di (112), PARM2 si (104), PARM3 dx (96), PARM4 cx (88), PARM5 r8 (72), RC ax (80).
    expect([112, 104, 96, 88, 72, 64, 80].map((o) => dv.getBigUint64(o, true))).toEqual([1n, 2n, 3n, 4n, 5n, 6n, 7n]);
    expect(dv.getBigUint64(PT_REGS.ip, true)).toBe(0xffffffff81000000n);
    expect(r.length).toBe(168);
  });
});

describe('the paired programs and the table', () => {
  const btf = parseBtf(readFileSync(repo('bpf/btf/linux-6.18.min.btf')), 'min');
  it('every program of guest.bpf.o and host.bpf.o attaches to a hook of its side, and every hook has a program', () => {
    const used = new Set<string>();
    for (const side of ['guest', 'host'] as const) {
      const o = loadObject(readFileSync(repo(`bpf/${side}.bpf.o`)), `${side}.bpf.o`, { possibleCpus: 2, targetBtf: btf });
      for (const p of o.programs) {
        const h = findHook(side, p.kind, p.attachTo);
        expect(h, `${side} ${p.kind} ${p.attachTo}`).toBeDefined();
        used.add(`${h!.side} ${h!.kind} ${h!.name}`);
      }
    }
    const unused = HOOKS.filter((h) => !used.has(`${h.side} ${h.kind} ${h.name}`)).map((h) => `${h.side} ${h.kind} ${h.name}`);
    expect(unused).toEqual([]);
  });
});
