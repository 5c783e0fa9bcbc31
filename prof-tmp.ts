import { runScenario, scenario } from './src/sim/index.js';
const t = performance.now();
const r = runScenario(scenario('baseline')!, { seed: 1, requests: 20000 });
console.log(r.requests, (performance.now() - t).toFixed(0), 'ms');
