// Process entry for running from source (tsx src/main.ts ...): the CLI with the process's arguments.
import { main } from './cli.js';

process.exitCode = await main(process.argv);
