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

  /** Fields with their setters, compiled once; and the record buffers, reused (a program never keeps its context). */
  private setters?: Map<string, (dv: DataView, out: Uint8Array, v: number | bigint | string) => void>;
  private readonly dataLoc: EventFormat['fields'] = [];
  private buffers = new Map<number, Uint8Array>();

  private compile(): Map<string, (dv: DataView, out: Uint8Array, v: number | bigint | string) => void> {
    const m = new Map<string, (dv: DataView, out: Uint8Array, v: number | bigint | string) => void>();
    for (const f of this.format.fields) {
      if (f.name.startsWith('common_')) continue;
      if (f.type.startsWith('__data_loc')) {
        this.dataLoc.push(f);
        continue;
      }
      const { offset, size } = f;
      const where = `${this.system}:${this.event}: field ${f.name}`;
      m.set(f.name, (dv, out, v) => {
        if (typeof v === 'string') {
          // ASCII, NUL-padded, at most size-1 bytes (as strncpy into a char array leaves it).
          const n = Math.min(v.length, size - 1);
          for (let i = 0; i < n; i++) out[offset + i] = v.charCodeAt(i) & 0x7f;
          return;
        }
        switch (size) {
          case 8:
            // Whole numbers below 2^53 (sectors, times) go in as two halves, without a BigInt.
            if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
              dv.setUint32(offset, v >>> 0, true);
              dv.setUint32(offset + 4, Math.floor(v / 4294967296), true);
            } else dv.setBigUint64(offset, BigInt.asUintN(64, BigInt(v)), true);
            return;
          case 4: dv.setUint32(offset, typeof v === 'number' ? v >>> 0 : Number(BigInt.asUintN(32, v)), true); return;
          case 2: dv.setUint16(offset, typeof v === 'number' ? v & 0xffff : Number(BigInt.asUintN(16, v)), true); return;
          case 1: dv.setUint8(offset, typeof v === 'number' ? v & 0xff : Number(BigInt.asUintN(8, v))); return;
          default: throw new Error(`${where} of ${size} bytes takes a string`);
        }
      });
    }
    return m;
  }

  /**
   * The record: fixed part with every field at its offset (unset fields zero), then the __data_loc
   * strings, each NUL-terminated, located by (length << 16 | offset) as the kernel encodes them.
   * The bytes are valid until the next encode of this tracepoint.
   */
  encode(values: TracepointValues, common: CommonFields): Uint8Array {
    const setters = (this.setters ??= this.compile());
    let dynamicBytes = 0;
    for (const f of this.dataLoc) {
      const v = values[f.name];
      dynamicBytes += (typeof v === 'string' ? v.length : 0) + 1;
    }
    const size = this.fixedSize + dynamicBytes;
    let out = this.buffers.get(size);
    if (out) out.fill(0);
    else this.buffers.set(size, (out = new Uint8Array(size)));
    const dv = new DataView(out.buffer);
    dv.setUint16(0, this.id, true);
    dv.setUint8(2, common.flags ?? 0);
    dv.setUint8(3, common.preemptCount ?? 0);
    dv.setInt32(4, common.pid, true);
    let at = this.fixedSize;
    for (const f of this.dataLoc) {
      const v = values[f.name];
      const str = typeof v === 'string' ? v : '';
      dv.setUint32(f.offset, ((str.length + 1) << 16) | at, true);
      for (let i = 0; i < str.length; i++) out[at + i] = str.charCodeAt(i) & 0x7f;
      at += str.length + 1;
    }
    for (const name in values) {
      const set = setters.get(name);
      if (set) set(dv, out, values[name]!);
      else if (!this.dataLoc.some((f) => f.name === name) && !name.startsWith('common_')) throw new Error(`${this.system}:${this.event} has no field ${name}`);
    }
    return out;
  }
}
