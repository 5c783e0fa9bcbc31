// The verifier corpus (corpus.data): its cases, its maps and the verdict our load checks and verifier give one, for the tests that hold it against our verifier and against Linux.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Instruction } from '../../isa/instruction.js';
import { validateProgram } from '../../isa/validate.js';
import { helperProto } from '../../helpers/table.js';
import { createGlobalDataMap, createMap, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_RINGBUF, type AnyMap } from '../../maps/index.js';
import { contextFor, mapSpec, verify, VerifierError, type ContextSpec } from '../index.js';

/** One case: `== NAME`, its context kind, an optional lower limit, the program and the verdict it must get. */
export interface CorpusCase {
  name: string;
  ctx: string;
  limit?: number;
  asm: string;
  expect: string;
}

/** Parses the corpus: `== NAME` cases with `-- ctx`, `-- limit`, `-- asm`, `-- verifier` sections. */
export function parseCorpus(text: string): CorpusCase[] {
  const out: CorpusCase[] = [];
  let cur: Record<string, string[]> | undefined;
  let name = '';
  let section = '';
  const flush = (): void => {
    if (!cur) return;
    out.push({
      name,
      ctx: cur['ctx']![0]!.trim(),
      ...(cur['limit'] ? { limit: Number(cur['limit'][0]) } : {}),
      asm: cur['asm']!.join('\n'),
      expect: cur['verifier']!.join('\n').trim(),
    });
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const c = /^== (.+)$/.exec(line);
    if (c) {
      flush();
      name = c[1]!;
      cur = {};
      continue;
    }
    const s = /^-- (\w+)(?: (.*))?$/.exec(line);
    if (s && cur) {
      section = s[1]!;
      cur[section] = s[2] !== undefined ? [s[2]] : [];
      continue;
    }
    if (cur && line.trim()) cur[section]!.push(line);
  }
  flush();
  return out;
}

const ENV = { possibleCpus: 2 };

/** The corpus's maps, as its header lists them (.rodata frozen, as libbpf leaves it and bpf/tools/load_insns makes it). */
export function corpusMaps(): AnyMap[] {
  const rodata = createGlobalDataMap({ name: '.rodata', section: 'rodata', size: 16 }, ENV);
  rodata.freeze();
  return [
    createMap({ name: 'starts', type: BPF_MAP_TYPE_HASH, keySize: 8, valueSize: 8, maxEntries: 64, flags: 0 }, ENV),
    createMap({ name: 'hist', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 64, maxEntries: 4, flags: 0 }, ENV),
    createMap({ name: 'events', type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: 0 }, ENV),
    rodata,
    createMap({ name: 'perf', type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0 }, ENV),
  ];
}

export function ctxOf(kind: string): ContextSpec | undefined {
  return kind === 'none' ? undefined : contextFor(kind, kind === 'raw_tracepoint' ? 12 : undefined);
}

/** Validates then verifies; the first refusal's text, or 'accept'. */
export function check(insns: Instruction[], maps: AnyMap[], ctx: ContextSpec | undefined, limit?: number): string {
  try {
    validateProgram(insns, { helperExists: (id) => helperProto(id) !== undefined });
    verify(insns, { ctx, maps: maps.map((m, i) => mapSpec(`m${i}`, m)), ...(limit ? { maxProcessed: limit } : {}) });
    return 'accept';
  } catch (e) {
    if (e instanceof VerifierError || (e as Error).name === 'LoadError') return (e as Error).message;
    throw e;
  }
}

/** The corpus as it ships. */
export function readCorpus(): CorpusCase[] {
  return parseCorpus(readFileSync(fileURLToPath(new URL('./corpus.data', import.meta.url)), 'utf8'));
}
