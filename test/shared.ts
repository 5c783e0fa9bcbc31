// Where tests find ../shared (conformance suites, tracefs formats, real traces): beside the repo, or $VIOTRACE_SHARED.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's top folder. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The shared folder that sits beside the repository in CI and on developers' machines. */
export const sharedDir = process.env.VIOTRACE_SHARED ?? resolve(repoRoot, '..', 'shared');

/** A path inside the shared folder; throws a clear error if the folder is missing. */
export function sharedPath(...parts: string[]): string {
  if (!existsSync(sharedDir)) throw new Error(`shared folder not found at ${sharedDir} (set VIOTRACE_SHARED)`);
  return join(sharedDir, ...parts);
}
