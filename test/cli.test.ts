// The CLI's contract: help works, bad usage exits 2 (design/interface.md).
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';
import { runCli } from './cli.js';

describe('viotrace CLI', () => {
  it('prints help and exits 0', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
    try {
      expect(await main(['node', 'viotrace', '--help'])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(out.join('')).toContain('Usage: viotrace');
  });

  it('exits 2 on an unknown option', async () => {
    const err = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['node', 'viotrace', '--no-such-option'])).toBe(2);
    } finally {
      process.stderr.write = err;
    }
  });
});

describe('usage errors exit 2 with one line', () => {
  it('names an unknown command rather than handing it to run', async () => {
    const r = await runCli(['frobnicate']);
    expect([r.code, r.err]).toEqual([2, "error: unknown command 'frobnicate' (viotrace --help lists them)\n"]);
    // A known command and an option first still reach commander.
    expect((await runCli(['help'])).code).toBe(0);
  });

  it.each([
    [['replay', 'traces/sim-baseline.jsonl.gz', '--speed', 'abc'], '--speed must be a number from 1/64 to 1024 (got "abc")'],
    [['replay', 'traces/sim-baseline.jsonl.gz', '--speed', '0'], '--speed must be a number from 1/64 to 1024 (got "0")'],
    [['replay', 'traces/sim-baseline.jsonl.gz', '--speed', '-1'], '--speed must be a number from 1/64 to 1024 (got "-1")'],
    [['replay', 'traces/sim-baseline.jsonl.gz', '--speed', 'NaN'], '--speed must be a number from 1/64 to 1024 (got "NaN")'],
    [['replay', 'traces/sim-baseline.jsonl.gz', '--speed', 'Infinity'], '--speed must be a number from 1/64 to 1024 (got "Infinity")'],
    [['run', '--speed', '1e9'], '--speed must be a number from 1/64 to 1024 (got "1e9")'],
    [['run', '--speed', '0'], '--speed must be a number from 1/64 to 1024 (got "0")'],
    [['run', '--seed', '99999999999999999999', '--json'], '--seed must be an integer of at least 1 and at most 2^53-1 (got "99999999999999999999")'],
    [['run', '--requests', '99999999999999999999'], '--requests must be an integer from 1 to 1,000,000,000 (got "99999999999999999999")'],
    [['record', '--scenario', 'baseline', '-o', 'x.jsonl', '--requests', '2.5'], '--requests must be an integer from 1 to 1,000,000,000 (got "2.5")'],
    [['accuracy', '--seed', '1e3'], '--seed must be an integer of at least 1 and at most 2^53-1 (got "1e3")'],
    [['report', '--scenario', 'baseline', '--slowest', '-1'], '--slowest must be an integer from 0 to 100,000 (got "-1")'],
  ])('%j', async (args, message) => {
    const r = await runCli(args);
    expect([r.code, r.err]).toEqual([2, `viotrace: ${message}\n`]);
  });

  it('takes a speed as a fraction within the range', async () => {
    const { speedOption } = await import('../src/commands/options.js');
    expect(speedOption('1/64')).toBe(1 / 64);
    expect(speedOption('1024')).toBe(1024);
    expect(() => speedOption('1/65')).toThrow('--speed must be');
  });
});
