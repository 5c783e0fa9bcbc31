// The native loader (bpf/tools/capture.c): found, or built once with cc and libbpf into the user's cache.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InputError } from '../errors.js';

/** The loader's C source, shipped with viotrace. */
export const LOADER_SOURCE = fileURLToPath(new URL('../../bpf/tools/capture.c', import.meta.url));

/** Where built loaders are kept: $XDG_CACHE_HOME/viotrace, else ~/.cache/viotrace. */
function cacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'viotrace');
}

/**
 * The path of a loader built from the shipped source: $VIOTRACE_CAPTURE_LOADER if set, else one in
 * the cache named by the source's hash, built with `cc ... -lbpf` the first time. Throws an
 * InputError saying what to install when there is no compiler or no libbpf.
 */
export function loaderPath(): string {
  const given = process.env['VIOTRACE_CAPTURE_LOADER'];
  if (given) {
    if (!existsSync(given)) throw new InputError('no such loader (VIOTRACE_CAPTURE_LOADER)', given);
    return given;
  }
  const source = readFileSync(LOADER_SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = cacheDir();
  const path = join(dir, `capture-${hash}`);
  if (existsSync(path)) return path;
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const cc = process.env['CC'] || 'cc';
  const r = spawnSync(cc, ['-O2', '-o', tmp, LOADER_SOURCE, '-lbpf'], { encoding: 'utf8' });
  if (r.error) {
    const missing = (r.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InputError(missing ? `no C compiler (${cc}) to build the capture loader with: it needs cc and libbpf (Debian: apt-get install gcc libbpf-dev)` : String(r.error.message), LOADER_SOURCE);
  }
  if (r.status !== 0) {
    const noLibbpf = /bpf\/libbpf\.h|-lbpf|cannot find -lbpf/.test(r.stderr);
    const first = r.stderr.split('\n').find((l) => /error/.test(l)) ?? r.stderr.trim().split('\n')[0] ?? '';
    throw new InputError(noLibbpf ? `libbpf is not installed, and the capture loader needs it (Debian: apt-get install libbpf-dev): ${first}` : `the capture loader did not build: ${first}`, LOADER_SOURCE);
  }
  // Another process may have built it meanwhile: the rename is atomic either way.
  renameSync(tmp, path);
  return path;
}
