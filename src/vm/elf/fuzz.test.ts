// Random damage to real objects: whatever the bytes, loading either works or throws an InputError, never anything else.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../errors.js';
import { parseBtf } from '../btf/index.js';
import { loadObject } from '../object/index.js';

const repo = (p: string): string => fileURLToPath(new URL(`../../../${p}`, import.meta.url));
const btf = parseBtf(readFileSync(repo('bpf/btf/linux-6.18.min.btf')), 'min');
const OBJECTS = ['bpf/guest.bpf.o', 'bpf/host.bpf.o', 'bpf/testdata/subprog.bpf.o', 'bpf/testdata/legacy.bpf.o', 'bpf/testdata/tool_config.bpf.o', 'bpf/testdata/biolat_btf.bpf.o', 'bpf/testdata/fentry_virtio.bpf.o'].map((f) => new Uint8Array(readFileSync(repo(f))));

function outcome(bytes: Uint8Array): string {
  try {
    loadObject(bytes, 'fuzzed.o', { possibleCpus: 2, targetBtf: btf });
    return 'loaded';
  } catch (e) {
    return e instanceof InputError ? 'refused' : `ESCAPED ${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe('damaged objects', () => {
  it('random byte overwrites are loaded or refused with an InputError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: OBJECTS.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 8 }), (which, edits) => {
        const b = OBJECTS[which]!.slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        const o = outcome(b);
        expect(o.startsWith('ESCAPED') ? o : 'ok').toBe('ok');
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});
