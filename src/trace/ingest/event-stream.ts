// An async stream of events parsed batch by batch: one promise per event, not an async generator's several hops.
import { InputError } from '../../errors.js';
import type { IngestStats, RawEvent } from './event.js';
import type { LineBatches, LinesCut } from './lines.js';

/** An async stream of events with the reader's counts (complete once iteration has ended). */
export interface EventStream<E extends RawEvent = RawEvent> extends AsyncIterable<E> {
  readonly stats: IngestStats;
  /** Set when the file's lines ended early (a gzip fault, a last line cut short, a section never ended): every event before it was given. */
  readonly cut: LinesCut | undefined;
}

/**
 * Builds a single-pass stream: `parse` turns each batch of lines into events (pushing onto `out`), `finish`
 * runs once after the last batch (to report a cut section, say) and may push last events of its own
 * (what a reader held back to put in order). Why not an async generator: at a
 * million lines a second the generator's per-yield await chain costs more than the parsing.
 */
export function eventStream<E extends RawEvent>(
  stats: IngestStats,
  batches: LineBatches | Iterable<string[]>,
  parse: (batch: string[], out: E[]) => void,
  finish: (out: E[]) => void = () => {},
): EventStream<E> {
  const lines = Symbol.asyncIterator in batches ? batches : undefined;
  const source = lines?.[Symbol.asyncIterator]();
  const syncSource = source ? undefined : (batches as Iterable<string[]>)[Symbol.iterator]();
  let buffer: E[] = [];
  let pos = 0;
  let ended = false;
  const refill = async (): Promise<boolean> => {
    while (pos >= buffer.length) {
      if (ended) return false;
      const r = source ? await source.next() : syncSource!.next();
      if (r.done) {
        ended = true;
        buffer = [];
        pos = 0;
        finish(buffer);
        continue;
      }
      buffer = [];
      pos = 0;
      try {
        parse(r.value, buffer);
      } catch (err) {
        // next() failing ends a for-await without return(): close the file here.
        const e = await damaged(err);
        ended = true;
        await source?.return?.();
        throw e;
      }
    }
    return true;
  };
  /** A bad line in a gzip file whose stream proves corrupt further on: the message says it may be damage. */
  const damaged = async (err: unknown): Promise<unknown> => {
    if (!(err instanceof InputError) || !lines) return err;
    const fault = await lines.damage();
    return fault ? new InputError(`${err.message}; this line may be damaged data rather than what was written: ${fault}`, err.where) : err;
  };
  const iterator: AsyncIterator<E> = {
    next(): Promise<IteratorResult<E>> {
      if (pos < buffer.length) return Promise.resolve({ value: buffer[pos++], done: false });
      return refill().then((more) => (more ? { value: buffer[pos++], done: false } : { value: undefined, done: true }));
    },
    async return(): Promise<IteratorResult<E>> {
      // Stop early (break out of for-await): close the file.
      ended = true;
      await source?.return?.();
      return { value: undefined, done: true };
    },
  };
  return {
    stats,
    get cut() {
      return lines?.cut;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
}
