// The SharedArrayBuffer channel: frames in order, whole, across the ring's wrap-around; a frame larger than the ring refused.
import { describe, expect, it } from 'vitest';
import { channelBuffer, channelReader, channelWriter } from './channel.js';

const bytes = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff);

describe('channel', () => {
  it('carries frames in order, whole, as the ring wraps around', () => {
    const buffer = channelBuffer(1024);
    const w = channelWriter(buffer);
    const r = channelReader(buffer);
    const sent: [number, Uint8Array][] = [];
    const take = (): void => {
      const [type, payload] = sent.shift()!;
      const f = r.next(1000);
      expect(f.type).toBe(type);
      expect(f.payload).toEqual(payload);
    };
    // The last frame read stays the reader's until its next read, so at most two 400-byte frames are
    // in the ring at once: twenty rounds of varying sizes wrap it several times without waiting.
    for (let k = 0; k < 20; k++) {
      const n = 100 + ((k * 97) % 300);
      sent.push([k + 1, bytes(n, k)]);
      w.write(k + 1, sent[sent.length - 1]![1]);
      if (k % 2 === 1) {
        take();
        take();
      }
    }
    expect(sent).toHaveLength(0);
    // A frame may carry the start of a larger buffer.
    w.write(9, bytes(100, 1), 10);
    expect(r.next(1000).payload).toEqual(bytes(100, 1).subarray(0, 10));
  });

  it('says whether a frame after the one last read is there, so a reader can wait without blocking', () => {
    const buffer = channelBuffer(1024);
    const w = channelWriter(buffer);
    const r = channelReader(buffer);
    expect(r.hasFrame()).toBe(false);
    w.write(1, bytes(10, 1));
    w.write(2, bytes(10, 2));
    expect(r.hasFrame()).toBe(true);
    r.next(1000);
    expect(r.hasFrame()).toBe(true);
    r.next(1000);
    expect(r.hasFrame()).toBe(false);
  });

  it('refuses a frame larger than the ring, and says when nothing arrives', () => {
    const buffer = channelBuffer(1024);
    expect(() => channelWriter(buffer).write(1, new Uint8Array(2000))).toThrow(/does not fit/);
    expect(() => channelReader(buffer).next(10)).toThrow(/nothing arrived for 10 ms/);
  });
});
