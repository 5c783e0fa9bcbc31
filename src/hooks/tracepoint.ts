// Tracepoint records byte for byte as the kernel writes them: common header, fields at their format-file offsets, __data_loc strings.
import { readFileSync } from 'node:fs';
import { parseFormatFile, type EventFormat } from '../trace/index.js';

/** Field values by the format file's field names; strings for char arrays and __data_loc strings. */
export type TracepointValues = Readonly<Record<string, number | bigint | string>>;

/** The common header every record starts with. */
export interface CommonFields {
  /** common_pid: the task the event fired in. */
  pid: number;
  /** common_flags (irqs-off, need-resched, hardirq, softirq bits). */
  flags?: number;
  /** common_preempt_count. */
  preemptCount?: number;
}

/** The vendored format files (src/hooks/formats), found from the package root so it works from src/ and dist/. */
const FORMATS_DIR = new URL('../../src/hooks/formats/', import.meta.url);

/** A compiled encoder for one tracepoint's records. */
export class TracepointLayout {
  readonly format: EventFormat;
  /** Bytes before the dynamic (__data_loc) area. */
  readonly fixedSize: number;
  private readonly fields: Map<string, EventFormat['fields'][number]>;

  constructor(readonly system: string, readonly event: string) {
    const file = new URL(`${system}/${event}.format`, FORMATS_DIR);
    this.format = parseFormatFile(readFileSync(file, 'utf8'));
    this.fields = new Map(this.format.fields.map((f) => [f.name, f]));
    this.fixedSize = Math.max(...this.format.fields.map((f) => f.offset + f.size));
  }

  /** The tracepoint's id (common_type). */
  get id(): number {
    return this.format.id ?? 0;
  }

  /** Field names, common ones included. */
  get fieldNames(): string[] {
    return this.format.fields.map((f) => f.name);
  }

  /**
   * The record: fixed part with every field at its offset (unset fields zero), then the __data_loc
   * strings, each NUL-terminated, located by (length << 16 | offset) as the kernel encodes them.
   */
  encode(values: TracepointValues, common: CommonFields): Uint8Array {
    const dynamic: { name: string; bytes: Uint8Array }[] = [];
    for (const f of this.format.fields) {
      if (f.type.startsWith('__data_loc')) {
        const v = values[f.name];
        dynamic.push({ name: f.name, bytes: new TextEncoder().encode(`${typeof v === 'string' ? v : ''}\0`) });
      }
    }
    const size = this.fixedSize + dynamic.reduce((n, d) => n + d.bytes.length, 0);
    const out = new Uint8Array(size);
    const dv = new DataView(out.buffer);
    dv.setUint16(0, this.id, true);
    dv.setUint8(2, common.flags ?? 0);
    dv.setUint8(3, common.preemptCount ?? 0);
    dv.setInt32(4, common.pid, true);
    let at = this.fixedSize;
    for (const d of dynamic) {
      const f = this.fields.get(d.name)!;
      dv.setUint32(f.offset, (d.bytes.length << 16) | at, true);
      out.set(d.bytes, at);
      at += d.bytes.length;
    }
    for (const [name, v] of Object.entries(values)) {
      const f = this.fields.get(name);
      if (!f) throw new Error(`${this.system}:${this.event} has no field ${name}`);
      if (f.type.startsWith('__data_loc') || name.startsWith('common_')) continue;
      if (typeof v === 'string') {
        out.set(new TextEncoder().encode(v).subarray(0, f.size - 1), f.offset);
        continue;
      }
      const b = BigInt(v);
      switch (f.size) {
        case 8: dv.setBigUint64(f.offset, BigInt.asUintN(64, b), true); break;
        case 4: dv.setUint32(f.offset, Number(BigInt.asUintN(32, b)), true); break;
        case 2: dv.setUint16(f.offset, Number(BigInt.asUintN(16, b)), true); break;
        case 1: dv.setUint8(f.offset, Number(BigInt.asUintN(8, b))); break;
        default: throw new Error(`${this.system}:${this.event}: field ${name} of ${f.size} bytes takes a string`);
      }
    }
    return out;
  }
}
