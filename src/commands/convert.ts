// `viotrace convert IN OUT`: rewrites a trace in the other form (JSON Lines <-> binary), record for record.
import type { Command } from 'commander';
import { fileError, InputError, UsageError } from '../errors.js';
import { checkNotInput, checkWritable, watchWriter } from '../run/index.js';
import { openTrace, outputName, STDOUT, TraceWriter } from '../trace/index.js';
import type { CommandInstaller } from './index.js';
import { BINARY_HELP, traceEncoding } from './output.js';

/** The output names convert knows the form of. */
const OUTPUT_NAME = /\.(jsonl|vtb)(\.gz)?$/i;

/** Installs `viotrace convert`. */
export const installConvert: CommandInstaller = (program: Command) => {
  program
    .command('convert')
    .description('rewrite a viotrace trace in the form its new name asks for: .jsonl[.gz] (JSON Lines) or .vtb[.gz] (binary)')
    .argument('<in>', 'a viotrace trace, either form')
    .argument('<out>', 'the trace to write; - writes JSON Lines to standard output')
    .option('--lenient', 'skip and count malformed records; a cut input is a warning', false)
    .option('--binary', BINARY_HELP)
    .action(async (input: string, output: string, opts: { lenient: boolean; binary?: boolean }) => {
      checkNotInput(output, input);
      // The name chooses the form; any other would be written as JSON Lines under a misleading name.
      if (output !== STDOUT && !OUTPUT_NAME.test(output)) throw new UsageError(`${output}: the output name must end in .jsonl, .jsonl.gz, .vtb or .vtb.gz (it chooses the form)`);
      // The output is checked first: an input opened and then left for an unwritable output would
      // keep its file open until the collector closed it (with a warning on stderr).
      const encoding = traceEncoding(output, opts.binary);
      checkWritable(output);
      let trace;
      try {
        trace = await openTrace(input, { lenient: opts.lenient });
      } catch (e) {
        throw fileError(e, input, 'read');
      }
      const { format: _f, version: _v, ...header } = trace.header;
      const w = new TraceWriter(output, header, encoding ? { encoding } : {});
      const watch = watchWriter(w);
      let n = 0;
      try {
        for await (const batch of trace.batches()) {
          watch.check();
          for (const r of batch) (w.write(r), n++);
        }
      } catch (e) {
        // What was read is written, without an end mark: the output is cut where the input broke.
        if (!watch.failure) await watch.close(true);
        throw fileError(e, input, 'read');
      }
      const s = trace.summary;
      w.writeLost('guest', s.lost.guest);
      w.writeLost('host', s.lost.host);
      // A cut input gives a cut output (no end mark), so the copy does not claim to be whole.
      await watch.close(Boolean(s.cut));
      process.stderr.write(`viotrace: ${outputName(output)}: ${n} records (${w.encoding === 'binary' ? 'binary' : 'JSON Lines'})${s.skipped ? `, ${s.skipped} malformed skipped` : ''}\n`);
      if (s.cut) {
        const e = new InputError(`${s.cut.reason}; ${outputName(output)} is cut there too`, s.cut.where);
        if (!opts.lenient) throw e;
        process.stderr.write(`viotrace: warning: ${e.describe()}\n`);
      }
    });
};
