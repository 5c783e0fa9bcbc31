// Process entry for running from source (tsx src/main.ts ...): the CLI with the process's arguments.
import { main, onStdoutError } from './cli.js';

process.stdout.on('error', onStdoutError);
process.exitCode = await main(process.argv);
