// The print-fmt compiler on the real Linux 6.18 format files and on lines the kernel printed.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/shared.js';
import { compilePrintFmt, parseFormatFile } from './print-fmt.js';

const formatsDir = sharedPath('kernel', 'tracefs-formats');
function format(system: string, event: string) {
  return parseFormatFile(readFileSync(join(formatsDir, system, `${event}.format`), 'utf8'));
}

describe('parseFormatFile', () => {
  it('reads name, id, fields and print fmt of every shared format file', () => {
    let n = 0;
    for (const system of readdirSync(formatsDir, { withFileTypes: true })) {
      if (!system.isDirectory()) continue;
      for (const f of readdirSync(join(formatsDir, system.name))) {
        const fmt = parseFormatFile(readFileSync(join(formatsDir, system.name, f), 'utf8'));
        expect(fmt.name).toBe(f.replace('.format', ''));
        expect(fmt.fields[0].name).toBe('common_type');
        expect(fmt.printFmt.startsWith('"')).toBe(true);
        // Every one compiles.
        expect(() => compilePrintFmt(fmt.printFmt)).not.toThrow();
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(40);
  });

  it('rejects text that is not a format file', () => {
    expect(() => parseFormatFile('hello')).toThrow(/not a tracefs format file/);
  });
});

describe('compilePrintFmt', () => {
  it('names block_rq_issue fields after the record (6.18: with ioprio)', () => {
    const g = compilePrintFmt(format('block', 'block_rq_issue').printFmt);
    expect(g.names).toEqual(['dev_major', 'dev_minor', 'rwbs', 'bytes', 'cmd', 'sector', 'nr_sector', 'ioprio_class', 'ioprio_hint', 'ioprio_level', 'comm']);
    // A line from shared/design/capture-lab.md (host 6.18).
    expect(g.parse('254,0 RS 4096 () 48564224 + 8 be,0,4 [qemu-system-x86]')).toEqual({
      dev_major: 254, dev_minor: 0, dev: (254 << 20) | 0, rwbs: 'RS', bytes: 4096, cmd: '', sector: 48564224, nr_sector: 8,
      ioprio_class: 'be', ioprio_hint: 0, ioprio_level: 4, comm: 'qemu-system-x86',
    });
    // A 6.1 line (no ioprio) does not fit the 6.18 format.
    expect(g.parse('254,0 RS 4096 () 2048 + 8 [dd]')).toBeUndefined();
  });

  it('accepts libtraceevent printing an unevaluated symbol in hex (trace-cmd: 0x2,0,4)', () => {
    const g = compilePrintFmt(format('block', 'block_rq_complete').printFmt);
    expect(g.parse('254,0 RA () 38483832 + 8 0x2,0,4 [0]')).toMatchObject({ ioprio_class: '0x2', error: 0, sector: 38483832 });
  });

  it('keeps 0x on hex keys and reads ternaries as their strings', () => {
    const g = compilePrintFmt(format('io_uring', 'io_uring_queue_async_work').printFmt);
    const f = g.parse(
      'ring 000000008ab6a714, request 00000000ee6866de, user_data 0x7f51c9dddd90, opcode FSYNC, flags 0x10000080010, normal queue, work 000000002669bcfa',
    );
    expect(f).toEqual({
      ctx: '000000008ab6a714', req: '00000000ee6866de', user_data: '0x7f51c9dddd90', op_str: 'FSYNC', flags: '0x10000080010',
      rw: 'normal', work: '000000002669bcfa',
    });
  });

  it('parses io_uring_complete with its trailing space, and reads (____ptrval____) as a pointer', () => {
    const g = compilePrintFmt(format('io_uring', 'io_uring_complete').printFmt);
    expect(g.parse('ring (____ptrval____), req (____ptrval____), user_data 0x7fa190002ac0, result 4096, cflags 0x0 extra1 0 extra2 0 ')).toMatchObject({
      ctx: '(____ptrval____)', user_data: '0x7fa190002ac0', res: 4096, extra2: 0,
    });
  });

  it('parses kvm events from their formats (symbolic exit reasons, ternaries, %llx without 0x)', () => {
    // No KVM on the capture machine: these lines are written from the formats' print fmts, as the kernel prints them.
    const exit = compilePrintFmt(format('kvm', 'kvm_exit').printFmt);
    expect(
      exit.parse('vcpu 0 reason EPT_MISCONFIG rip 0xffffffff81a2c1b1 info1 0x0000000000000000 info2 0x0000000000000000 intr_info 0x00000000 error_code 0x00000000 requests 0x0000000000000000'),
    ).toMatchObject({ vcpu_id: 0, exit_reason: 'EPT_MISCONFIG', guest_rip: '0xffffffff81a2c1b1' });
    const mmio = compilePrintFmt(format('kvm', 'kvm_fast_mmio').printFmt);
    expect(mmio.parse('fast mmio at gpa 0xfe003000')).toEqual({ gpa: '0xfe003000' });
    const msi = compilePrintFmt(format('kvm', 'kvm_msi_set_irq').printFmt);
    expect(msi.parse('dst 0 vec 34 (Fixed|physical|edge)')).toMatchObject({ address: '0', data: 34 });
    const pio = compilePrintFmt(format('kvm', 'kvm_pio').printFmt);
    expect(pio.parse('pio_write at 0xcfc size 4 count 1 val 0x80000000 ')).toMatchObject({ rw: 'write', port: '0xcfc', size: 4 });
    const setIrq = compilePrintFmt(format('kvm', 'kvm_set_irq').printFmt);
    expect(setIrq.parse('gsi 11 level 1 source 0')).toEqual({ gsi: 11, level: 1, irq_source_id: 0 });
  });

  it('returns undefined for text of another shape, so a malformed line is never half-parsed', () => {
    const g = compilePrintFmt(format('block', 'block_bio_queue').printFmt);
    expect(g.parse('254,0 RS 2048 + [dd]')).toBeUndefined();
    expect(g.parse('garbage')).toBeUndefined();
  });
});
