// The two kinds of failure a user can cause, and how the CLI reports them (design/interface.md: exit 1 / 2).
import { getSystemErrorMap } from 'node:util';

/**
 * Bad input: a malformed trace line, an object that fails verification, an unknown hook, a truncated
 * file. `where` names the place (file:line, "insn 12", section name) so the one-line message is useful.
 * The CLI prints `viotrace: <where>: <message>` and exits 1.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string, readonly where?: string) {
    super(message);
  }
  /** The one-line form printed on stderr. */
  describe(): string {
    return this.where ? `${this.where}: ${this.message}` : this.message;
  }
}

/** Bad usage: an unknown option value, a missing argument. The CLI exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Exit status for an error thrown out of a command. */
export function exitCodeOf(err: unknown): 1 | 2 {
  return err instanceof UsageError ? 2 : 1;
}

/**
 * A failed read or write of a user's file as an InputError: `cannot write: ENOENT (no such file or
 * directory)`, naming the file. Anything that is not a system error is returned as it was.
 */
export function fileError(e: unknown, path: string, doing: 'read' | 'write'): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (!(e instanceof Error) || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) return e;
  const errno = (e as NodeJS.ErrnoException).errno;
  const text = typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined;
  const hint = code === 'EISDIR' ? (doing === 'read' ? '; give a file, not a folder' : '; give a file name, not a folder') : '';
  return new InputError(`cannot ${doing}: ${code}${text ? ` (${text})` : ''}${hint}`, path);
}
