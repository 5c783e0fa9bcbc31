// `viotrace capture guest -o FILE [-- COMMAND...]`: the guest program loaded into this machine's kernel, its records written to a trace while a workload runs.
import { spawn } from 'node:child_process';
import { cpus, hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { capture, guestTopology, machineDisks, type CaptureProgram, type CaptureResult, type SkippedProgram } from '../capture/index.js';
import { InputError, UsageError } from '../errors.js';
import { checkWritable, watchWriter } from '../run/index.js';
import { outputName, STDOUT, TraceWriter } from '../trace/index.js';
import { VERSION } from '../version.js';
import type { CommandInstaller } from './index.js';
import { BINARY_HELP, traceEncoding } from './output.js';

const GUEST_OBJECT = fileURLToPath(new URL('../../bpf/guest.bpf.o', import.meta.url));
/** Ring-buffer size of a capture: at 100,000 IOPS (200,000 records of about 100 bytes a second), 16 MiB holds most of a second. */
const DEFAULT_RING_BYTES = 16 << 20;

/** Installs `viotrace capture`. */
export const installCapture: CommandInstaller = (program: Command) => {
  program
    .command('capture')
    .description("load the guest program into this machine's kernel (a VM on virtio-blk), attach it to the real hooks, and write its records to a trace while a command runs (root; needs cc and libbpf)")
    .argument('<side>', 'guest: this machine is the VM (the guest half of the paired programs, bpf/guest.bpf.o)')
    .argument('[command...]', 'the workload, after --: captured until it exits (without one: until Ctrl-C or --duration)')
    .requiredOption('-o, --output <file>', 'trace file to write: .jsonl[.gz] or .vtb[.gz]; - writes JSON Lines to standard output')
    .option('--binary', BINARY_HELP)
    .option('--object <file.o>', 'the object to load instead of the shipped bpf/guest.bpf.o (one built like it: the same records)')
    .option('--duration <seconds>', 'stop after this many seconds (wall time)', (v: string) => {
      const n = Number(v);
      if (!(n > 0) || !Number.isFinite(n)) throw new UsageError(`--duration must be a positive number of seconds, not ${JSON.stringify(v)}`);
      return n;
    })
    .option('--ring-size <bytes>', 'every ring buffer\'s size in bytes (K or M after it), a power of two from 4096: the object\'s 256 KiB is sized for the simulator\'s drains, and a real consumer falls further behind', (v: string) => {
      const n = Number(v.replace(/[kKmM]$/, '')) * (/[kK]$/.test(v) ? 1024 : /[mM]$/.test(v) ? 1 << 20 : 1);
      if (!Number.isInteger(n) || n < 4096 || (n & (n - 1)) !== 0 || n > 2 ** 30) throw new UsageError(`--ring-size must be a power of two from 4096 to 1G bytes (e.g. 16M), not ${JSON.stringify(v)}`);
      return n;
    }, DEFAULT_RING_BYTES)
    .option('--name <name>', 'the VM name records carry and reports show (default: this host name)')
    .action(async (side: string, command: string[], opts: { output: string; binary?: boolean; object?: string; duration?: number; name?: string; ringSize: number }) => {
      if (side !== 'guest') throw new UsageError(side === 'host' ? 'capture host is not available: the host half needs QEMU built with symbols for its uprobes; capture the host side with scripts/capture-lab or scripts/bpftrace (docs/bpftrace.md)' : `unknown side ${JSON.stringify(side)}: capture guest`);
      const encoding = traceEncoding(opts.output, opts.binary);
      checkWritable(opts.output);
      const object = opts.object ?? GUEST_OBJECT;
      const vmName = opts.name ?? hostname();
      const disks = machineDisks();
      let writer: TraceWriter | undefined;
      let watch: ReturnType<typeof watchWriter> | undefined;
      let workloadStatus: number | string | undefined;
      let interrupted = false;
      let onSignal = (): void => {};
      const stopSignal = new Promise<void>((resolve) => {
        onSignal = (): void => {
          interrupted = true;
          resolve();
        };
      });
      // Ctrl-C ends the capture, not the process: the loader drains and the file gets its end mark.
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      let result: CaptureResult;
      try {
        result = await capture({
          side: 'guest',
          object,
          vmName,
          ringBytes: opts.ringSize,
          onRecord: (r) => {
            watch!.check();
            writer!.write(r);
          },
          whileAttached: async (attached, skipped) => {
            writer = new TraceWriter(opts.output, {
              tool: `viotrace ${VERSION}`,
              created: new Date().toISOString(),
              source: { kind: 'capture', name: `${vmName} guest` },
              hooks: [...new Set(attached.map((p) => p.hook))],
              // Record times are the programs' bpf_ktime_get_ns (CLOCK_MONOTONIC) as they are.
              clocks: { guest: { domain: 'guest-mono', base: '0' }, host: { domain: 'host-mono', base: '0' } },
              topology: guestTopology(vmName, disks, cpus().length),
            }, { flushEvery: 1024, ...(encoding ? { encoding } : {}) });
            watch = watchWriter(writer);
            process.stderr.write(`viotrace: capturing on ${vmName}: ${attached.length} programs attached${skipped.length ? `, ${skipped.length} not (${skippedSummary(skipped)})` : ''}\n`);
            const stops: Promise<unknown>[] = [stopSignal];
            if (opts.duration !== undefined) stops.push(new Promise((r) => setTimeout(r, opts.duration! * 1000).unref()));
            if (command.length > 0) stops.push(runWorkload(command, opts.output === STDOUT).then((s) => (workloadStatus = s)));
            await Promise.race(stops);
          },
        });
      } catch (e) {
        // What was captured before a failure is kept, without an end mark: readers report it as cut.
        if (writer && !watch?.failure) await watch!.close(true);
        throw e;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      if (result.lost) writer!.writeLost('guest', result.lost);
      await watch!.close();
      const lost = result.lost === undefined ? 'lost: not counted by this object' : `lost: ${result.lost}`;
      process.stderr.write(`viotrace: ${outputName(opts.output)}: ${result.records} records from ${vmName} (${lost})${interrupted ? ', stopped by a signal' : ''}\n`);
      for (const line of captureNotes(result)) process.stderr.write(`viotrace: note: ${line}\n`);
      if (typeof workloadStatus === 'string' || (typeof workloadStatus === 'number' && workloadStatus !== 0)) {
        throw new InputError(`the workload ${typeof workloadStatus === 'string' ? workloadStatus : `exited with status ${workloadStatus}`}; the records captured are in ${outputName(opts.output)}`, command[0]);
      }
    });
};

/** The programs that did not attach, grouped by reason. */
function skippedSummary(skipped: readonly SkippedProgram[]): string {
  const byReason = new Map<string, string[]>();
  for (const s of skipped) byReason.set(s.reason, [...(byReason.get(s.reason) ?? []), s.program]);
  return [...byReason].map(([reason, names]) => `${names.join(', ')}: ${reason}`).join('; ');
}

/** What a reader of the trace should know: hooks missing and runs the kernel skipped. */
function captureNotes(result: CaptureResult): string[] {
  const notes: string[] = [];
  if (result.skipped.length) notes.push(`without ${result.skipped.map((s: CaptureProgram) => s.hook).join(', ')} the records have no times from those hooks (the driver and interrupt stages need the kprobes)`);
  for (const p of result.programs) {
    if (p.recursionMisses > 0) notes.push(`the kernel skipped ${p.recursionMisses} of ${p.runs + p.recursionMisses} runs of ${p.program} (another BPF program was running on that CPU): records of those requests may be missing or lack that hook's time`);
  }
  if (result.foreign) notes.push(`${result.foreign} records of another side's kind were left out`);
  return notes;
}

/** Runs the workload; resolves with its exit status, or a sentence when it could not start or was killed. */
function runWorkload(command: string[], stdoutTaken: boolean): Promise<number | string> {
  return new Promise((resolve) => {
    // Standard output holds the trace with -o -: the workload's output goes to stderr then.
    const child = spawn(command[0]!, command.slice(1), { stdio: ['inherit', stdoutTaken ? process.stderr : 'inherit', 'inherit'] });
    child.on('error', (e: NodeJS.ErrnoException) => resolve(`could not start: ${e.code ?? e.message}`));
    child.on('close', (code, signal) => resolve(signal ? `was killed by ${signal}` : code ?? 0));
  });
}
