// Gzip detection by content, shared by the trace reader and the capture readers.
import { open } from 'node:fs/promises';
import { InputError } from '../errors.js';

/** True when the file starts with the gzip magic bytes (so a .gz name is not required, nor trusted). */
export async function isGzip(path: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? 'no such file' : `cannot open (${code ?? String(err)})`, path);
  }
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}
