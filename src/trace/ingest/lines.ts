// Streams the lines of a capture file, plain or gzip, in batches; a truncated or corrupt gzip is a clear InputError.
import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';
import { InputError } from '../../errors.js';
import { isGzip } from '../gzip.js';

/** Turns a zlib failure into the message a user can act on. */
function gzipError(err: unknown, path: string): InputError {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'Z_BUF_ERROR' || /unexpected end of file/i.test(e.message ?? '')) {
    return new InputError('truncated gzip (unexpected end of file): the capture was cut while being written or copied', path);
  }
  return new InputError(`corrupt gzip (${e.message ?? String(err)})`, path);
}

/**
 * Yields the file's lines in batches (arrays), split on `\n` only, so line numbers agree with
 * `grep -n` even when a serial console left stray `\r`s inside lines. Batches keep the per-line cost
 * of async iteration out of the hot loop.
 */
export async function* readLineBatches(path: string): AsyncGenerator<string[]> {
  const gz = await isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let stream: Readable = raw;
  if (gz) {
    const gunzip = createGunzip();
    raw.on('error', (err) => gunzip.destroy(err));
    stream = raw.pipe(gunzip);
  }
  stream.setEncoding('utf8');
  let rest = '';
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const text = rest + chunk;
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      if (lines.length) yield lines;
    }
  } catch (err) {
    if (gz) throw gzipError(err, path);
    throw new InputError(`read failed (${(err as Error).message})`, path);
  } finally {
    raw.destroy();
  }
  if (rest) yield [rest];
}

/** Splits in-memory text the same way (for fixtures and for benchmarks without disk I/O). */
export function* textLineBatches(text: string): Generator<string[]> {
  const lines = text.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  yield lines;
}
