// Starts the dashboard on a terminal and resolves when the user quits (terminal restored by Ink).
import { render } from 'ink';
import { Dashboard } from './Dashboard.js';
import type { Playback } from './playback.js';

/** Runs the dashboard until q or Ctrl-C. */
export async function runDashboard(playback: Playback): Promise<void> {
  const app = render(<Dashboard playback={playback} />, { exitOnCtrlC: true });
  await app.waitUntilExit();
}
