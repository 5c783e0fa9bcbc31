// `viotrace run`: runs a scenario with the paired programs in the VM on every hook; a text summary, the JSON report, or the records.
import type { Command } from 'commander';
import { jsonReport, textReport, formatNs } from '../report/index.js';
import { recordScenario, runAndReport, runLive, simThreads } from '../run/index.js';
import { replayFile } from '../replay/index.js';
import { SCENARIOS } from '../sim/index.js';
import { STDOUT } from '../trace/index.js';
import { UsageError } from '../errors.js';
import { Playback, runDashboard } from '../tui/index.js';
import type { CommandInstaller } from './index.js';
import { durationOption, requestsOption, seedOption, speedOption } from './options.js';
import { JOB_HELP, QEMU_LOOP_HELP, scenarioRun } from './scenario-run.js';

const json = (v: unknown): string => JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? (x > BigInt(Number.MAX_SAFE_INTEGER) ? `0x${x.toString(16)}` : Number(x)) : x));

/** Installs `viotrace run`. */
export const installRun: CommandInstaller = (program: Command) => {
  program
    .command('run', { isDefault: true })
    .description('run a simulated scenario with the paired BPF programs on every hook (the default: the dashboard on baseline)')
    .option('--scenario <name>', `scenario (${SCENARIOS.map((s) => s.name).join(', ')})`, 'baseline')
    .option('--job <file>', JOB_HELP)
    .option('--qemu-loop <loop>', QEMU_LOOP_HELP)
    .option('--requests <n>', 'requests to complete', requestsOption)
    .option('--duration <seconds>', 'instead of --requests: simulated seconds to run for', durationOption)
    .option('--seed <n>', 'random seed: the same seed gives the same run', seedOption, 1)
    .option('--json', 'print the JSON report')
    .option('--records', 'print every record the programs emitted, one JSON object a line')
    .option('--no-tui', 'print a text summary instead of the dashboard')
    .option('--speed <n>', 'dashboard: simulated time per wall time (1/64 to 1024)', speedOption, 1 / 64)
    .option('--record <file>', 'also write the records to a trace file (viotrace replay reads it; not -: standard output holds the summary)')
    .action(async (opts: { scenario: string; job?: string; qemuLoop?: string; requests?: number; duration?: number; seed: number; json?: boolean; records?: boolean; tui: boolean; speed: number; record?: string }) => {
      // The trace would be interleaved with the summary or the dashboard, and the summary reads the trace back.
      if (opts.record === STDOUT) throw new UsageError('--record - would mix the trace with the summary on standard output: use viotrace record -o - for the trace alone, or --records for the records as JSON');
      const { spec, requests, durationNs, jobEnds } = scenarioRun('run', opts);
      const dashboard = opts.tui && !opts.json && !opts.records && process.stdout.isTTY === true && process.stdin.isTTY === true;
      if (opts.record && !dashboard) {
        // Record, then summarise what was recorded: the summary reads the trace back.
        const rec = await recordScenario(spec, opts.seed, requests, opts.record, simThreads(requests ?? spec.requests), undefined, durationNs);
        process.stderr.write(`viotrace: ${opts.record}: ${rec.records} records\n`);
        const r = await replayFile(opts.record);
        // The report is of the run, as without --record: its source is the scenario, not the file.
        const input = { ...r.input, source: { kind: 'scenario' as const, name: spec.name, seed: opts.seed, ...(spec.workload ? { job: spec.workload } : {}) } };
        process.stdout.write(opts.json ? `${JSON.stringify(jsonReport(input), null, 2)}\n` : textReport(input));
        return;
      }
      if (dashboard) {
        // The dashboard opens at once; the simulation runs alongside it and its stitched paths arrive live.
        // (One thread when recording: quitting early, a second thread's last host records would be cut from the file.)
        const playback = new Playback([], `scenario ${spec.name} (seed ${opts.seed})${spec.workload ? ` jobs ${spec.workload}` : ''}`);
        playback.live = true;
        // Both sides are simulated: until the stitcher's first estimate, the clock is awaited, not missing.
        playback.twoSided = true;
        playback.speed = opts.speed > 0 ? opts.speed : 1 / 64;
        let quit = false;
        // The first frame is drawn before the simulation starts loading its programs.
        const shown = runDashboard(playback);
        const sim = runLive(spec, opts.seed, durationNs === undefined && !jobEnds ? (requests ?? 6_000) : undefined, (u) => {
          playback.push(u.fresh);
          playback.lost = u.lost;
          if (u.clock) playback.clockOffsetNs = u.clock.offsetNs;
          if (u.done) playback.endOfInput();
        }, () => quit, { record: opts.record, parallel: !opts.record && simThreads(requests ?? (jobEnds ? spec.requests : 6_000)), ...(durationNs !== undefined ? { durationNs } : {}) });
        await shown;
        quit = true;
        await sim;
        // Recorded while shown: the file ends where the run did (q stops both).
        if (opts.record) process.stderr.write(`viotrace: recorded ${opts.record} (viotrace replay reads it)\n`);
        return;
      }
      const out: string[] = [];
      const started = performance.now();
      const run = runAndReport(spec, opts.seed, requests, opts.records ? (r, vm) => out.push(json({ side: r.side, vm: vm || undefined, record: r.struct.replace(/^vt_/, ''), ...r.fields })) : undefined, false, 0, simThreads(requests ?? spec.requests), durationNs);
      const wallMs = performance.now() - started;
      if (opts.records) {
        process.stdout.write(`${out.join('\n')}\n`);
        return;
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(jsonReport(run.input), null, 2)}\n`);
        return;
      }
      const r = run.result;
      const lines = [
        spec.workload ? `scenario ${spec.name} (seed ${opts.seed}) running the fio jobs of ${spec.workload}` : `scenario ${spec.name} (seed ${opts.seed}): ${spec.description}`,
        `${r.requests} requests in ${formatNs(r.simulatedNs)} simulated (${Math.round(r.requests / (r.simulatedNs / 1e9))} IOPS), ${Math.round(wallMs)} ms wall, ${r.programRuns} program runs, ${r.instructions} BPF instructions`,
        `records: guest ${r.records.guest}, host ${r.records.host} (${Object.entries(run.hostRecords).map(([k, v]) => `${k} ${v}`).join(', ')}); lost: guest ${r.lost.guest}, host ${r.lost.host}`,
        '',
        `ground truth (the simulator's own clock, first VM)${spec.workload ? '' : `: culprit ${spec.culprit}`}`,
        ...run.truth.map((t) => `  ${t.stage.padEnd(17)} ${formatNs(t.meanNs).padStart(10)} mean  ${(t.share * 100).toFixed(1).padStart(5)}%${t.stage === spec.culprit && !spec.workload ? '  <- culprit' : ''}`),
        '',
        'from the records alone (guest and host stitched by real keys, host times mapped to the guest clock):',
        textReport(run.input),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
};
