// Parsers of the commands' numeric options: a value out of range or not a number is bad usage (exit 2), never a silent default.
import { UsageError } from '../errors.js';

/** The most requests a run may be asked for: a billion is hours of simulation, more is a typo. */
export const MAX_REQUESTS = 1_000_000_000;

/** The slowest and fastest dashboard speeds (simulated time per wall time), as the help says. */
export const SPEED_RANGE = [1 / 64, 1024] as const;

/**
 * An integer option's parser: a safe integer (beyond 2^53 a number is no longer exact, so a seed
 * would silently change) in [min, max].
 */
export const integerOption = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => (v: string): number => {
  const n = /^\s*[+-]?\d+\s*$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer of at least ${min} and at most 2^53-1` : `an integer from ${min} to ${max.toLocaleString('en-US')}`;
    throw new UsageError(`${name} must be ${range} (got ${JSON.stringify(v)})`);
  }
  return n;
};

/** --requests: 1 to MAX_REQUESTS. */
export const requestsOption = integerOption('--requests', 1, MAX_REQUESTS);

/** --seed: 1 and up (run always refused 0), exact. */
export const seedOption = integerOption('--seed', 1);

/** --speed: a number or a fraction (`1/64`) within SPEED_RANGE. */
export function speedOption(v: string): number {
  const m = /^\s*([0-9.e+-]+)\s*(?:\/\s*([0-9.e+-]+)\s*)?$/i.exec(v);
  const n = m ? Number(m[1]) / (m[2] === undefined ? 1 : Number(m[2])) : NaN;
  if (!Number.isFinite(n) || n < SPEED_RANGE[0] || n > SPEED_RANGE[1]) throw new UsageError(`--speed must be a number from 1/64 to 1024 (got ${JSON.stringify(v)})`);
  return n;
}

/** --duration: simulated seconds, more than 0 and at most an hour. */
export function durationOption(v: string): number {
  const n = /^\s*[0-9.e+]+\s*$/i.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 3600) throw new UsageError(`--duration must be simulated seconds, more than 0 and at most 3600 (got ${JSON.stringify(v)})`);
  return n;
}
