// Command-line wiring only: commander definitions that call into the subsystems (design/interface.md).
import { Command, CommanderError } from 'commander';
import { fileError, InputError, UsageError, exitCodeOf } from './errors.js';
import { VERSION } from './version.js';
import { commands } from './commands/index.js';

/** Builds the commander program. Subsystems add their commands here and nowhere else. */
export function buildProgram(): Command {
  const program = new Command('viotrace')
    .description('where did this I/O request spend its time: guest block layer -> virtio-blk -> KVM -> QEMU -> io_uring -> disk, and back')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const install of commands) install(program);
  return program;
}

/** Runs the CLI on argv (as process.argv) and returns the exit status. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  // run is the default command, so commander would hand an unknown command to it as an argument.
  const first = argv[2];
  if (first !== undefined && !first.startsWith('-') && !program.commands.some((c) => c.name() === first || c.aliases().includes(first)) && first !== 'help') {
    process.stderr.write(`error: unknown command '${first}' (viotrace --help lists them)\n`);
    return 2;
  }
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end this way with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof InputError) {
      process.stderr.write(`viotrace: ${err.describe()}\n`);
    } else if (err instanceof UsageError) {
      process.stderr.write(`viotrace: ${err.message}\n`);
    } else {
      process.stderr.write(`viotrace: internal error: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    }
    return exitCodeOf(err);
  }
}

/**
 * What the executables do when standard output fails: a reader that stops early (`| head`, EPIPE)
 * is not an error; anything else (a full disk, `> /dev/full`) is one line and exit 1.
 */
export function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  const err = fileError(e, 'standard output', 'write');
  process.stderr.write(`viotrace: ${err instanceof InputError ? err.describe() : String(e)}\n`);
  process.exit(1);
}
