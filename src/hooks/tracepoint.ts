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

/** A compiled store of a record's fixed fields; returns the number of fields set. */
type Fill = (values: TracepointValues, dv: DataView, out: Uint8Array) => number;

/** One field value, as TracepointValues holds it. */
export type TracepointValue = number | bigint | string;

/** Most fields a positional encoder takes (the widest record viotrace fires has 8). */
export const MAX_POSITIONAL_FIELDS = 8;

/**
 * Encodes a record from values given in a fixed field order (TracepointLayout.encoder), with
 * common_pid; the bytes and `view` are valid until its next call.
 */
export interface PositionalEncoder {
  (pid: number, a?: TracepointValue, b?: TracepointValue, c?: TracepointValue, d?: TracepointValue, e?: TracepointValue, f?: TracepointValue, g?: TracepointValue, h?: TracepointValue): Uint8Array;
  /** The view over the bytes the last call returned. */
  readonly view: DataView;
}

/** The store of one fixed field from `v`, as encode's fill does it (a string into a char array, numbers little-endian). */
function storeField(where: string, f: EventFormat['fields'][number]): string {
  const { offset: o, size } = f;
  const num =
    size === 8 ? `if (typeof v === 'number' && v >= -9007199254740991 && v <= 9007199254740991 && v === Math.floor(v)) { dv.setUint32(${o}, v >>> 0, true); dv.setUint32(${o + 4}, Math.floor(v / 4294967296) >>> 0, true); } else if (typeof v === 'bigint' && v >= 0n && v <= 18446744073709551615n) dv.setBigUint64(${o}, v, true); else dv.setBigUint64(${o}, BigInt.asUintN(64, BigInt(v)), true);`
    : size === 4 ? `dv.setUint32(${o}, typeof v === 'number' ? v >>> 0 : Number(BigInt.asUintN(32, v)), true);`
    : size === 2 ? `dv.setUint16(${o}, typeof v === 'number' ? v & 65535 : Number(BigInt.asUintN(16, v)), true);`
    : size === 1 ? `dv.setUint8(${o}, typeof v === 'number' ? v & 255 : Number(BigInt.asUintN(8, v)));`
    : `throw new Error(${JSON.stringify(where)} + ': field ${f.name} of ${size} bytes takes a string');`;
  return `if (typeof v === 'string') { for (let i = 0, k = Math.min(v.length, ${size - 1}); i < k; i++) out[${o} + i] = v.charCodeAt(i) & 127; } else { ${num} }`;
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

  /** The fill function, compiled once; and the record buffers with their views, reused (a program never keeps its context). */
  private fill?: Fill;
  private readonly dataLoc: EventFormat['fields'] = [];
  private buffers = new Map<number, { out: Uint8Array; view: DataView }>();
  /** The view of the buffer the last encode returned. */
  view: DataView = new DataView(new ArrayBuffer(0));

  /**
   * Compiles the fixed fields' stores into one function that reads each value by name: a record's
   * fields are the same every firing, so the loads stay monomorphic and nothing is looked up by
   * name at run time. The generated text holds only field names the format file declares (checked
   * to be identifiers) and numbers; it returns how many fields it set, so the caller can tell that
   * a value named no field.
   */
  private compile(): Fill {
    const body: string[] = ['let v, n = 0;'];
    for (const f of this.format.fields) {
      if (f.name.startsWith('common_')) continue;
      if (f.type.startsWith('__data_loc')) {
        this.dataLoc.push(f);
        continue;
      }
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name)) throw new Error(`${this.system}:${this.event}: field name ${JSON.stringify(f.name)} is not an identifier`);
      // A string goes into a char array: ASCII, NUL-padded, at most size-1 bytes (as strncpy leaves it).
      body.push(`v = values.${f.name}; if (v !== undefined) { n++; ${storeField(`${this.system}:${this.event}`, f)} }`);
    }
    body.push('return n;');
    return new Function(`return function fill(values, dv, out) { ${body.join('\n')} };`)() as Fill;
  }

  /**
   * A compiled encoder taking the values of `fields` (names from the format file, no common_*)
   * in that order: the record encode() would build from an object with those fields, without
   * building the object or looking a name up per record. Its buffers are its own, one per record
   * size, and each remembers the values last written into it: a field whose value is the one it
   * holds (a device number, a comm, a constant pointer) is not written again. Every byte of a listed
   * field is written when its value changes; fields not listed stay zero. Throws for a name that is
   * not a field.
   */
  encoder(fields: readonly string[]): PositionalEncoder {
    // One per field list: a record is used before the next is encoded (programs do not keep their
    // context), so every site of this tracepoint with these fields can share it and its buffers.
    const key = fields.join(',');
    let enc = this.encoders.get(key);
    if (!enc) this.encoders.set(key, (enc = this.compileEncoder(fields)));
    return enc;
  }

  private readonly encoders = new Map<string, PositionalEncoder>();

  private compileEncoder(fields: readonly string[]): PositionalEncoder {
    const where = `${this.system}:${this.event}`;
    if (fields.length > MAX_POSITIONAL_FIELDS) throw new Error(`${where}: more than ${MAX_POSITIONAL_FIELDS} fields`);
    const params = fields.map((_, i) => `a${i}`);
    const fixed: string[] = [];
    for (const [i, name] of fields.entries()) {
      const f = this.fields.get(name);
      if (!f || name.startsWith('common_')) throw new Error(`${where} has no field ${name}`);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`${where}: field name ${JSON.stringify(name)} is not an identifier`);
      if (fields.indexOf(name) !== i) throw new Error(`${where}: field ${name} listed twice`);
      if (f.type.startsWith('__data_loc')) continue;
      // A short string's tail and a missing value are written as zeros.
      fixed.push(`v = a${i}; if (v !== last[${i}]) { if (v === undefined) out.fill(0, ${f.offset}, ${f.offset + f.size}); else { ${storeField(where, f)}` +
        ` if (typeof v === 'string') for (let i = ${f.offset} + Math.min(v.length, ${f.size - 1}); i < ${f.offset + f.size}; i++) out[i] = 0; } last[${i}] = v; }`);
    }
    const dataLoc = this.format.fields.filter((f) => f.type.startsWith('__data_loc'));
    const str = (f: EventFormat['fields'][number]): string => {
      const i = fields.indexOf(f.name);
      return i < 0 ? "''" : `(typeof a${i} === 'string' ? a${i} : '')`;
    };
    // last[]: the listed fields' values, then common_pid, then the __data_loc strings.
    const P = fields.length;
    const D = (k: number): number => fields.length + 1 + k;
    const src = `
      let size = -1, out, dv, last;
      const buffers = new Map(), NONE = {};
      function enc(pid${params.map((p) => `, ${p}`).join('')}) {
        let v, at = ${this.fixedSize};
        ${dataLoc.map((f, k) => `const s${k} = ${str(f)};`).join(' ')}
        const n = ${this.fixedSize}${dataLoc.map((_, k) => ` + s${k}.length + 1`).join('')};
        if (n !== size) {
          let b = buffers.get(n);
          if (b === undefined) {
            const bytes = new Uint8Array(n);
            b = { bytes, view: new DataView(bytes.buffer), last: new Array(${fields.length + 1 + dataLoc.length}).fill(NONE) };
            b.view.setUint16(0, ${this.id}, true);
            buffers.set(n, b);
          }
          size = n; out = b.bytes; dv = b.view; last = b.last; enc.view = dv;
        }
        if (pid !== last[${P}]) { dv.setInt32(4, pid, true); last[${P}] = pid; }
        ${dataLoc.length ? `if (${dataLoc.map((_, k) => `s${k} !== last[${D(k)}]`).join(' || ')}) {` : ''}
        ${dataLoc.map((f, k) => `dv.setUint32(${f.offset}, ((s${k}.length + 1) << 16) | at, true); for (let i = 0; i < s${k}.length; i++) out[at + i] = s${k}.charCodeAt(i) & 127; at += s${k}.length; out[at++] = 0; last[${D(k)}] = s${k};`).join('\n        ')}
        ${dataLoc.length ? '}' : ''}
        ${fixed.join('\n        ')}
        return out;
      }
      enc.view = new DataView(new ArrayBuffer(0));
      return enc;`;
    return new Function(src)() as PositionalEncoder;
  }

  /**
   * The record: fixed part with every field at its offset (unset fields zero), then the __data_loc
   * strings, each NUL-terminated, located by (length << 16 | offset) as the kernel encodes them.
   * The bytes (and `view`) are valid until the next encode of this tracepoint.
   */
  encode(values: TracepointValues, common: CommonFields): Uint8Array {
    const fill = (this.fill ??= this.compile());
    let dynamicBytes = 0;
    let named = 0;
    for (const f of this.dataLoc) {
      const v = values[f.name];
      if (v !== undefined) named++;
      dynamicBytes += (typeof v === 'string' ? v.length : 0) + 1;
    }
    const size = this.fixedSize + dynamicBytes;
    let b = this.buffers.get(size);
    if (b) b.out.fill(0);
    else {
      const out = new Uint8Array(size);
      this.buffers.set(size, (b = { out, view: new DataView(out.buffer) }));
    }
    const { out, view: dv } = b;
    this.view = dv;
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
    named += fill(values, dv, out);
    let keys = 0;
    for (const _ in values) keys++;
    if (keys !== named) this.checkNames(values);
    return out;
  }

  /** Throws for a value that names no field (common_* names are allowed and ignored: the header is the caller's). */
  private checkNames(values: TracepointValues): void {
    const known = new Set(this.format.fields.map((f) => f.name));
    const name = Object.keys(values).find((k) => !known.has(k) && !k.startsWith('common_'));
    if (name !== undefined) throw new Error(`${this.system}:${this.event} has no field ${name}`);
  }
}
