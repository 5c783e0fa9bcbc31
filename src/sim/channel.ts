// A one-way channel between threads over a SharedArrayBuffer: framed messages in a ring, blocking with Atomics on either side.

/** Control words: bytes written and bytes read so far (monotonic, so wrap-around needs no flag). */
const WRITTEN = 0;
const READ = 1;
/** Frame header: payload length and type, 4 bytes each. */
const HEADER = 8;
/** A frame type the channel uses itself: the rest of the ring up to its end is skipped. */
const WRAP = 0;

/** One frame read from the channel: its type and its payload (valid until the next read). */
export interface Frame {
  type: number;
  payload: Uint8Array;
}

/** The shared memory of a channel: pass `buffer` to the other thread and open it there. */
export function channelBuffer(capacity: number): SharedArrayBuffer {
  if (capacity % 8 !== 0 || capacity < 1024) throw new Error('channel capacity must be a multiple of 8, at least 1 KiB');
  return new SharedArrayBuffer(16 + capacity);
}

abstract class End {
  protected readonly ctl: BigInt64Array;
  protected readonly data: Uint8Array;
  protected readonly view: DataView;
  protected readonly capacity: number;

  constructor(buffer: SharedArrayBuffer) {
    this.ctl = new BigInt64Array(buffer, 0, 2);
    this.data = new Uint8Array(buffer, 16);
    this.view = new DataView(buffer, 16);
    this.capacity = this.data.length;
  }
}

/** The writing end: frames go in whole, or the writer waits for room. */
export class ChannelWriter extends End {
  private written = 0;

  /** The most payload one frame can carry. */
  get maxPayload(): number {
    return this.capacity - HEADER;
  }

  /** Writes one frame; waits while the reader has not made room (a frame larger than the ring throws). */
  write(type: number, payload: Uint8Array, length = payload.length): void {
    if (type === WRAP) throw new Error('frame type 0 is reserved');
    const need = (HEADER + length + 7) & ~7;
    if (need > this.capacity) throw new Error(`a ${length}-byte frame does not fit a ${this.capacity}-byte channel`);
    let at = this.written % this.capacity;
    if (this.capacity - at < need) {
      // Not enough ring before its end: mark the rest skipped and start again at 0.
      const skip = this.capacity - at;
      this.room(skip);
      this.view.setUint32(at, 0, true);
      this.view.setUint32(at + 4, WRAP, true);
      this.publish(skip);
      at = 0;
    }
    this.room(need);
    this.view.setUint32(at, length, true);
    this.view.setUint32(at + 4, type, true);
    this.data.set(length === payload.length ? payload : payload.subarray(0, length), at + HEADER);
    this.publish(need);
  }

  private room(need: number): void {
    for (;;) {
      const read = Number(Atomics.load(this.ctl, READ));
      if (this.capacity - (this.written - read) >= need) return;
      Atomics.wait(this.ctl, READ, BigInt(read), 1000);
    }
  }

  private publish(bytes: number): void {
    this.written += bytes;
    Atomics.store(this.ctl, WRITTEN, BigInt(this.written));
    Atomics.notify(this.ctl, WRITTEN);
  }
}

/** The reading end: takes frames in order, waiting for the writer. */
export class ChannelReader extends End {
  private read = 0;
  private pending = 0;

  /**
   * The next frame, waiting up to `timeoutMs` for it; throws when nothing came in that time. The
   * frame's bytes stay valid until the next call (they are released to the writer then).
   */
  next(timeoutMs: number): Frame {
    this.release();
    for (;;) {
      const frame = this.peek(timeoutMs);
      if (frame.type !== WRAP) return frame;
      this.release();
    }
  }

  /** Whether a frame after the one last read has been written (`next` would not wait for it). */
  hasFrame(): boolean {
    return Number(Atomics.load(this.ctl, WRITTEN)) > this.read + this.pending;
  }

  private peek(timeoutMs: number): Frame {
    const deadline = Date.now() + timeoutMs;
    while (Number(Atomics.load(this.ctl, WRITTEN)) === this.read) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nothing arrived for ${timeoutMs} ms`);
      Atomics.wait(this.ctl, WRITTEN, BigInt(this.read), Math.min(left, 1000));
    }
    const at = this.read % this.capacity;
    const type = this.view.getUint32(at + 4, true);
    if (type === WRAP) {
      this.pending = this.capacity - at;
      return { type, payload: this.data.subarray(0, 0) };
    }
    const length = this.view.getUint32(at, true);
    this.pending = (HEADER + length + 7) & ~7;
    return { type, payload: this.data.subarray(at + HEADER, at + HEADER + length) };
  }

  private release(): void {
    if (this.pending === 0) return;
    this.read += this.pending;
    this.pending = 0;
    Atomics.store(this.ctl, READ, BigInt(this.read));
    Atomics.notify(this.ctl, READ);
  }
}

/** Opens the writing end of a channel made by channelBuffer. */
export function channelWriter(buffer: SharedArrayBuffer): ChannelWriter {
  return new ChannelWriter(buffer);
}

/** Opens the reading end of a channel made by channelBuffer. */
export function channelReader(buffer: SharedArrayBuffer): ChannelReader {
  return new ChannelReader(buffer);
}
