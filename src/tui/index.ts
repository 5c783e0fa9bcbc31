// The dashboard's public face: playback model, the Dashboard component, and the runner.
export * from './playback.js';
export { Dashboard, VIEWS, FRAME_MS } from './Dashboard.js';
export { KEYS } from './HelpOverlay.js';
export { runDashboard } from './run.js';
