#!/usr/bin/env node
// The viotrace executable: runs the compiled CLI (built by `npm install` via the prepare script).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write('viotrace: dist/cli.js is missing; run `npm install` (or `npm run build`) first\n');
  process.exit(2);
}
const { main, onStdoutError } = await import(cli);
// `| head` ends quietly; any other failure of standard output is one line and exit 1.
process.stdout.on('error', onStdoutError);
process.exitCode = await main(process.argv);
