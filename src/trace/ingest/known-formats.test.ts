// known-formats.ts stays a verbatim copy of the real format files it claims to come from.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot, sharedPath } from '../../../test/shared.js';
import { knownFormats } from './known-formats.js';
import { parseFormatFile } from './print-fmt.js';

function formatsIn(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.format')) continue;
    const f = parseFormatFile(readFileSync(join(entry.parentPath, entry.name), 'utf8'));
    out.set(f.name, f.printFmt);
  }
  return out;
}

const forKernel = (k: string) => new Map(knownFormats.filter((f) => f.kernels.includes(k)).map((f) => [f.event, f.printFmt]));

describe('knownFormats', () => {
  it('holds the Linux 6.18 print fmt of every shared format file, verbatim', () => {
    expect(forKernel('6.18')).toEqual(formatsIn(sharedPath('kernel', 'tracefs-formats')));
  });

  it('holds the Linux 6.1 print fmt of every event the shipped guest captures enabled, verbatim', () => {
    for (const capture of ['qd1-mixed', 'qd16-mixed']) {
      const guest = formatsIn(join(repoRoot, 'traces', 'real', capture, 'guest-formats'));
      expect(guest.size).toBeGreaterThan(10);
      for (const [event, fmt] of guest) expect(forKernel('6.1').get(event), event).toBe(fmt);
    }
  });

  it('lists each event variant once, newest kernel first', () => {
    const seen = new Set<string>();
    for (const f of knownFormats) {
      const k = `${f.event}\0${f.printFmt}`;
      expect(seen.has(k)).toBe(false);
      seen.add(k);
    }
    const issue = knownFormats.filter((f) => f.event === 'block_rq_issue');
    expect(issue.map((f) => f.kernels)).toEqual([['6.18'], ['6.1']]);
  });
});
