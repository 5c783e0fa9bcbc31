// fio's value syntax: sizes with its unit suffixes (kb_base), times with its unit suffixes, ranges, per-direction lists.
import { InputError } from '../errors.js';

/** What fio's kb_base option says a bare k, m, g means: 1024 (fio's default) or 1000. */
export type KbBase = 1000 | 1024;

const POWERS: Record<string, number> = { '': 0, k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * A size as fio reads one: a number with an optional unit (4k, 64KiB, 1g, 512). As in fio, with
 * kb_base=1024 (its default) k, kb and KiB all mean 1024 (fio keeps old job files' meaning); with
 * kb_base=1000, k and kB mean 1000 and KiB 1024.
 */
export function parseSize(value: string, where: string, key: string, kbBase: KbBase = 1024): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(b?)\s*$/i.exec(value);
  if (!m || (m[3] && !m[2])) throw new InputError(`${key}=${value}: not a size (a number with an optional k, m, g, t unit, e.g. 4k)`, where);
  const unit = m[2]!.toLowerCase();
  const base = m[3] ? 1024 : kbBase;
  const n = Number(m[1]) * base ** POWERS[unit]!;
  if (!Number.isSafeInteger(Math.round(n))) throw new InputError(`${key}=${value}: too large`, where);
  return Math.round(n);
}

const TIME_UNITS: Record<string, number> = { us: 1e3, usec: 1e3, ms: 1e6, msec: 1e6, s: 1e9, sec: 1e9, m: 60e9, min: 60e9, h: 3600e9, d: 86400e9 };

/** A time as fio reads one, in ns: a number of seconds unless a unit says otherwise (us, ms, s, m, h, d). */
export function parseTimeNs(value: string, where: string, key: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m?.[2]?.toLowerCase() ?? '';
  const scale = unit === '' ? 1e9 : TIME_UNITS[unit];
  if (!m || scale === undefined) throw new InputError(`${key}=${value}: not a time (seconds, or a number with us, ms, s, m or h)`, where);
  return Math.round(Number(m[1]) * scale);
}

/** A non-negative integer option (iodepth=16). */
export function parseInteger(value: string, where: string, key: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new InputError(`${key}=${value}: must be an integer from ${min} to ${max.toLocaleString('en-US')}`, where);
  return n;
}

/** A boolean option: present with no value, or 1/0, true/false, on/off. */
export function parseFlag(value: string | undefined, where: string, key: string): boolean {
  if (value === undefined) return true;
  const v = value.trim().toLowerCase();
  if (v === '1' || v === 'true' || v === 'on' || v === 'yes') return true;
  if (v === '0' || v === 'false' || v === 'off' || v === 'no') return false;
  throw new InputError(`${key}=${value}: must be 1 or 0`, where);
}

/**
 * fio's per-direction list, read,write[,trim] (bs=8k,32k: reads 8k, writes 32k): each direction's
 * value, undefined where fio takes its default. As fio has it, one value is every direction's, and
 * an empty place is the default (bs=,8k: reads at the default, writes 8k).
 */
export function perDirection(value: string): { read: string | undefined; write: string | undefined } {
  const parts = value.split(',').map((s) => s.trim());
  const read = parts[0] || undefined;
  const write = parts.length === 1 ? read : parts[1] || undefined;
  return { read, write };
}
