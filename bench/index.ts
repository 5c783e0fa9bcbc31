// `npm run bench`: runs every suite (or those named on the command line) and prints the figures.
import { humanize, type Figure, type Suite } from './harness.js';
import { ingestSuite } from './ingest.js';
import { mapProgramsSuite } from './map-programs.js';
import { mapsSuite } from './maps.js';
import { traceSuite } from './trace.js';
import { tuiSuite } from './tui.js';
import { simSuite } from './sim.js';
import { correlateSuite } from './correlate.js';
import { replayFileSuite } from './replay-file.js';
import { streamSuite } from './stream.js';
import { verifierSuite } from './verifier.js';
import { vmSuite } from './vm.js';

/** All suites, in the order they run. Each subsystem adds its own file and a line here. */
const suites: Suite[] = [vmSuite, verifierSuite, ingestSuite, mapsSuite, mapProgramsSuite, traceSuite, simSuite, correlateSuite, tuiSuite, streamSuite, replayFileSuite];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const only = args.filter((a) => !a.startsWith('--'));
  const figures: Figure[] = [];
  for (const suite of suites) {
    if (only.length && !only.some((o) => suite.name.startsWith(o))) continue;
    if (!json) process.stderr.write(`running ${suite.name}...\n`);
    figures.push(...(await suite.run()));
  }
  if (json) {
    process.stdout.write(JSON.stringify(Object.fromEntries(figures.map((f) => [f.name, f.value])), null, 2) + '\n');
    return;
  }
  const width = Math.max(6, ...figures.map((f) => f.name.length));
  process.stdout.write(`${'figure'.padEnd(width)}  ${'value'.padStart(10)}  unit\n`);
  for (const f of figures) {
    const note = f.baseline ? `  (vs ${f.baseline})` : '';
    process.stdout.write(`${f.name.padEnd(width)}  ${humanize(f.value).padStart(10)}  ${f.unit}${note}\n`);
  }
}

await main();
