// The fast context writers against the general ones: positional tracepoint encoders and the reused pt_regs frame, byte for byte.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HOOKS, PtRegsFrame, ptRegs, tracepointLayout, type ProbeRegisters, type TracepointValue } from './index.js';

const tracepoints = [...new Set(HOOKS.filter((h) => h.kind === 'tracepoint').map((h) => h.name))];

/**
 * A value for a field: a number, a BigInt (negative and wide ones too), a string, or absent; often
 * one of a few values, so that records repeat values (which the encoders do not write again).
 */
const value = (): fc.Arbitrary<TracepointValue | undefined> =>
  fc.oneof(
    fc.constantFrom<TracepointValue | undefined>(undefined, 0, 1, 0n, 1n, '', 'R', 'fio', 'IO iothread0', 0xffff888104a00000n),
    fc.integer({ min: 0, max: 2 ** 31 }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.string({ maxLength: 20 }),
  );

describe('positional tracepoint encoders', () => {
  it.each(tracepoints)('%s: the bytes encode() gives for the same values, record after record', (name) => {
    const layout = tracepointLayout(name);
    const fields = layout.format.fields.filter((f) => !f.name.startsWith('common_'));
    // Which fields a site lists (a subset, in some order) and the values of a run of records.
    const run = fc.record({
      order: fc.shuffledSubarray(fields.map((f) => f.name), { minLength: 0, maxLength: Math.min(8, fields.length) }),
      records: fc.array(fc.tuple(fc.constantFrom(0, 1000, 5002), fc.array(value(), { minLength: 8, maxLength: 8 })), { minLength: 1, maxLength: 10 }),
    });
    fc.assert(fc.property(run, ({ order, records }) => {
      const numericStrings = (vals: (TracepointValue | undefined)[]): boolean =>
        order.some((n, i) => {
          const f = fields.find((x) => x.name === n)!;
          // encode() refuses a number for a char array wider than 8 bytes; both throw alike there, skip.
          return typeof vals[i] !== 'string' && vals[i] !== undefined && f.size > 8 && !f.type.startsWith('__data_loc');
        });
      const enc = layout.encoder(order);
      for (const [pid, vals] of records) {
        if (numericStrings(vals)) continue;
        const obj: Record<string, TracepointValue> = {};
        order.forEach((n, i) => {
          if (vals[i] !== undefined) obj[n] = vals[i]!;
        });
        const want = Uint8Array.from(layout.encode(obj, { pid }));
        const got = enc(pid, ...vals.slice(0, order.length));
        expect(got).toEqual(want);
        expect(new Uint8Array(enc.view.buffer, enc.view.byteOffset, enc.view.byteLength)).toEqual(want);
      }
    }), { numRuns: 60 });
  });

  it('refuses names that are not fields, common fields, repeats and more than eight', () => {
    const layout = tracepointLayout('block:block_rq_issue');
    expect(() => layout.encoder(['sectr'])).toThrow(/no field sectr/);
    expect(() => layout.encoder(['common_pid'])).toThrow(/no field common_pid/);
    expect(() => layout.encoder(['dev', 'dev'])).toThrow(/twice/);
    expect(() => tracepointLayout('io_uring:io_uring_submit_req').encoder(['ctx', 'req', 'user_data', 'opcode', 'flags', 'sq_thread', 'op_str', 'ctx', 'req'])).toThrow(/more than 8/);
  });
});

describe('the reused pt_regs frame', () => {
  // Often one of a few values, so that hits repeat what a register holds.
  const reg = fc.oneof(fc.constantFrom(0, 1, 0n, 1n, -1, 0xffff888104a00000n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), fc.maxSafeInteger());
  const hit = fc.record({
    user: fc.boolean(),
    kind: fc.constantFrom('entry', 'ret', 'general'),
    args: fc.array(reg, { maxLength: 6 }),
    ret: reg,
    ip: fc.option(reg, { nil: undefined }),
    sp: fc.option(reg, { nil: undefined }),
  });
  it('holds after every hit what ptRegs builds from scratch', () => {
    fc.assert(fc.property(fc.array(hit, { minLength: 1, maxLength: 16 }), (hits) => {
      const frame = new PtRegsFrame();
      for (const h of hits) {
        let r: ProbeRegisters;
        if (h.kind === 'entry') {
          r = { args: h.args };
          frame.args(h.user, h.args.length, ...h.args);
        } else if (h.kind === 'ret') {
          r = { ret: h.ret };
          frame.ret(h.user, h.ret);
        } else {
          r = { args: h.args, ret: h.ret, ...(h.ip === undefined ? {} : { ip: h.ip }), ...(h.sp === undefined ? {} : { sp: h.sp }) };
          frame.write(r, h.user);
        }
        expect(frame.bytes).toEqual(ptRegs(r, h.user));
      }
    }), { numRuns: 200 });
  });
});
