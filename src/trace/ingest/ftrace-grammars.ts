// The body grammars of the ftrace reader: compiled once from the known print fmts, plus any format files the caller has.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { withoutByteOrderMark } from '../source.js';
import { knownFormats } from './known-formats.js';
import { compilePrintFmt, parseFormatFile, type BodyGrammar, type EventFormat } from './print-fmt.js';

/** Event name -> the grammars to try, in order. */
export type GrammarTable = Map<string, BodyGrammar[]>;

let builtIn: GrammarTable | undefined;

/** The grammars compiled from known-formats.ts (compiled on first use, then shared). */
export function builtInGrammars(): GrammarTable {
  if (builtIn) return builtIn;
  const table: GrammarTable = new Map();
  for (const f of knownFormats) {
    const list = table.get(f.event) ?? [];
    list.push(compilePrintFmt(f.printFmt));
    table.set(f.event, list);
  }
  builtIn = table;
  return table;
}

/**
 * A table that tries `formats` (the kernel's own format files, e.g. a capture's guest-formats folder)
 * before the built-in variants: a kernel we have never seen still parses by its own print fmt.
 */
export function grammarsWith(formats: EventFormat[]): GrammarTable {
  const table: GrammarTable = new Map(builtInGrammars());
  for (const f of formats) {
    const own = compilePrintFmt(f.printFmt);
    const rest = (table.get(f.name) ?? []).filter((g) => g.printFmt !== f.printFmt);
    table.set(f.name, [own, ...rest]);
  }
  return table;
}

/**
 * Reads every `*.format` (or `format`) file in a folder, or in its SYSTEM/EVENT/ subfolders as under
 * /sys/kernel/tracing/events. A file that is not a format file is an InputError naming it.
 */
export async function loadFormatDir(dir: string): Promise<EventFormat[]> {
  const out: EventFormat[] = [];
  let names: string[];
  try {
    names = await readdir(dir, { recursive: true });
  } catch {
    throw new InputError('no such format folder', dir);
  }
  for (const name of names.sort()) {
    if (!(name.endsWith('.format') || name === 'format' || name.endsWith('/format'))) continue;
    const path = join(dir, name);
    try {
      out.push(parseFormatFile(withoutByteOrderMark(await readFile(path, 'utf8'))));
    } catch (err) {
      throw new InputError((err as Error).message, path);
    }
  }
  return out;
}
