// The frames bpf/tools/capture.c writes on its stdout, read back from a byte stream.

/** A frame of the loader's stream (bpf/tools/capture.c's header comment has the layout). */
export type LoaderFrame =
  | { tag: 'ready' }
  /** The record's bytes, valid only during the onFrame call (a view of the stream's buffer). */
  | { tag: 'record'; bytes: Uint8Array }
  | { tag: 'program'; name: string; runs: number; recursionMisses: number }
  | { tag: 'end' }
  | { tag: 'attached'; program: string; section: string }
  | { tag: 'skipped'; program: string; section: string; errno: number }
  | { tag: 'lost'; count: number };

const READY = 1;
const RECORD = 2;
const PROGRAM = 3;
const END = 4;
const ATTACHED = 5;
const SKIPPED = 6;
const LOST = 7;
/** Larger than any record a program reserves (a ring buffer's record is at most its size). */
const MAX_FRAME = 16 << 20;

const text = new TextDecoder();

/** Splits "name\0section". */
function nameAndSection(b: Uint8Array): { program: string; section: string } {
  const nul = b.indexOf(0);
  return nul < 0 ? { program: text.decode(b), section: '' } : { program: text.decode(b.subarray(0, nul)), section: text.decode(b.subarray(nul + 1)) };
}

/**
 * Reads frames from chunks as they arrive: `push` each chunk, and each whole frame is handed to
 * `onFrame`. `clean` says whether the stream stopped on a frame boundary.
 */
export class FrameReader {
  private pending: Uint8Array = new Uint8Array(0);
  private offset = 0;
  /** Bytes read so far, for error messages. */
  private consumed = 0;

  constructor(private readonly onFrame: (f: LoaderFrame) => void) {}

  /** Takes the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    const rest = this.pending.length - this.offset;
    const buf = rest === 0 ? chunk : concat(this.pending.subarray(this.offset), chunk);
    let at = 0;
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (buf.length - at >= 8) {
      const tag = dv.getUint32(at, true);
      const len = dv.getUint32(at + 4, true);
      if (len > MAX_FRAME || tag < READY || tag > LOST) throw new Error(`capture loader: a malformed frame at byte ${this.consumed + at} (tag ${tag}, length ${len})`);
      const padded = (len + 7) & ~7;
      if (buf.length - at - 8 < padded) break;
      const body = buf.subarray(at + 8, at + 8 + len);
      this.onFrame(frameOf(tag, body));
      at += 8 + padded;
    }
    this.consumed += at;
    this.pending = buf;
    this.offset = at;
  }

  /** Whether the stream stopped between frames (no partial frame left). */
  get clean(): boolean {
    return this.pending.length === this.offset;
  }
}

function frameOf(tag: number, body: Uint8Array): LoaderFrame {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  switch (tag) {
    case READY: return { tag: 'ready' };
    case RECORD: return { tag: 'record', bytes: body };
    case PROGRAM: return { tag: 'program', runs: Number(dv.getBigUint64(0, true)), recursionMisses: Number(dv.getBigUint64(8, true)), name: text.decode(body.subarray(16)) };
    case END: return { tag: 'end' };
    case ATTACHED: return { tag: 'attached', ...nameAndSection(body) };
    case LOST: return { tag: 'lost', count: Number(dv.getBigUint64(0, true)) };
    default: return { tag: 'skipped', errno: dv.getInt32(0, true), ...nameAndSection(body.subarray(4)) };
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
