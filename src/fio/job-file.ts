// Reading fio job descriptions: a job file (fio's INI form) or fio's JSON output (its "global options" and each job's "job options").
import { InputError } from '../errors.js';
import { withoutByteOrderMark } from '../trace/index.js';

/** One option as written: `key=value`, or a bare `key` (a flag), with the place it was read. */
export interface FioOption {
  key: string;
  value: string | undefined;
  /** file:line, or the JSON path of the option. */
  where: string;
}

/** One job as fio would run it: its name, and the options that apply to it in order (globals first, then its own). */
export interface FioJobOptions {
  name: string;
  where: string;
  options: FioOption[];
  /** Identical entries of fio's JSON output (numjobs clones reported apart, without group_reporting) folded into this one. */
  clones: number;
}

/**
 * The jobs of a fio job file. As fio reads it: `;` and `#` start comment lines; `[global]`
 * sections set options for the jobs after them; each other section is a job; `key=value` or a
 * bare `key`. What fio would refuse (an option outside a section, a line that is no section or
 * option, `include`) is an error naming the line.
 */
export function parseJobFile(text: string, file: string): FioJobOptions[] {
  const jobs: FioJobOptions[] = [];
  let globals: FioOption[] = [];
  let current: { name: string; where: string; options: FioOption[]; global: boolean } | undefined;
  const close = (): void => {
    if (!current) return;
    if (current.global) globals = [...globals.filter((g) => !current!.options.some((o) => o.key === g.key)), ...current.options];
    else jobs.push({ name: current.name, where: current.where, options: [...globals, ...current.options], clones: 1 });
  };
  const lines = withoutByteOrderMark(text).split(/\r?\n/);
  lines.forEach((raw, i) => {
    const where = `${file}:${i + 1}`;
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) return;
    const section = /^\[([^\]]+)\]$/.exec(line);
    if (section) {
      close();
      const name = section[1]!.trim();
      current = { name, where, options: [], global: name === 'global' };
      return;
    }
    if (/^include\s/.test(line)) throw new InputError('include is not supported: put the included options in this file', where);
    const m = /^([A-Za-z0-9_.-]+)\s*(?:=\s*(.*))?$/.exec(line);
    if (!m) throw new InputError(`not a section ([name]) or an option (key=value): ${JSON.stringify(line.slice(0, 60))}`, where);
    if (!current) throw new InputError(`option ${m[1]} outside a section: start the file with [global] or a [job]`, where);
    const value = m[2] === undefined ? undefined : m[2].trim();
    if (value?.includes('${')) throw new InputError(`${m[1]}=${value}: environment variables in values are not expanded here`, where);
    current.options.push({ key: m[1]!, value, where });
  });
  close();
  if (jobs.length === 0) throw new InputError('no job section (a [name] other than [global])', file);
  return jobs;
}

/** fio's JSON output (--output-format=json): the parts read here. */
interface FioJsonOutput {
  'global options'?: Record<string, unknown>;
  jobs?: { jobname?: unknown; 'job options'?: Record<string, unknown> }[];
}

/**
 * The jobs of fio's JSON output: each entry's "job options" after the "global options". fio
 * reports numjobs clones as entries of their own unless group_reporting is set; entries of one
 * name with the same options that number numjobs are one job of numjobs clones.
 */
export function parseFioJson(text: string, file: string): FioJobOptions[] {
  let out: FioJsonOutput;
  try {
    out = JSON.parse(withoutByteOrderMark(text)) as FioJsonOutput;
  } catch (e) {
    throw new InputError(`not fio's JSON output: ${(e as Error).message}`, file);
  }
  if (!out || typeof out !== 'object' || !Array.isArray(out.jobs)) throw new InputError('not fio\'s JSON output: no "jobs" array', file);
  const options = (o: Record<string, unknown> | undefined, where: string): FioOption[] =>
    Object.entries(o ?? {}).map(([key, v]) => ({ key, value: v === null || v === undefined || v === '' ? undefined : String(v), where: `${where}.${key}` }));
  const globals = options(out['global options'], `${file}: "global options"`);
  const jobs: FioJobOptions[] = [];
  const seen = new Map<string, FioJobOptions>();
  out.jobs.forEach((j, i) => {
    const own = j['job options'];
    if (!own || typeof own !== 'object') throw new InputError(`jobs[${i}] has no "job options"`, file);
    const name = typeof j.jobname === 'string' ? j.jobname : `job${i}`;
    const same = `${name}\n${JSON.stringify(own)}`;
    const clone = seen.get(same);
    if (clone) {
      clone.clones++;
      return;
    }
    const job = { name, where: `${file}: jobs[${i}] (${name})`, options: [...globals, ...options(own, `${file}: jobs[${i}] "job options"`)], clones: 1 };
    seen.set(same, job);
    jobs.push(job);
  });
  if (jobs.length === 0) throw new InputError('fio\'s JSON output lists no jobs', file);
  return jobs;
}

/** A job description, either form: fio's JSON output when the text is a JSON object, else a job file. */
export function parseFioJobs(text: string, file: string): FioJobOptions[] {
  return /^\uFEFF?\s*\{/.test(text) ? parseFioJson(text, file) : parseJobFile(text, file);
}
