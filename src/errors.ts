// The two kinds of failure a user can cause, and how the CLI reports them (design/interface.md: exit 1 / 2).

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
