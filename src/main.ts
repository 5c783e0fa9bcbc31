// Process entry for running from source (tsx src/main.ts ...): the CLI with the process's arguments.
import { main } from './cli.js';

// A reader that stops early (`| head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv);
