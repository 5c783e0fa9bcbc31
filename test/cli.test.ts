// The CLI's contract: help works, bad usage exits 2 (design/interface.md).
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli.js';

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
