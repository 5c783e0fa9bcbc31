// The ftrace reader on real captures: counts per event equal an independent grep, fields by name, bad input.
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it, onTestFinished } from 'vitest';
import { InputError } from '../../errors.js';
import { repoRoot, sharedPath } from '../../../test/shared.js';
import { collect, readFtrace, readFtraceText } from './ftrace.js';
import { parseFormatFile } from './print-fmt.js';

const realGuest = (name: string) => sharedPath('traces', 'real-guest', name);
const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'ingest', name);

/** What `grep -c ': NAME: '` says per event name: an independent count to compare the reader with. */
function grepCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^.*?\]\s.*?\d+\.\d+: (?:print:\s+)?(\w+): /gm)) out[m[1]] = (out[m[1]] ?? 0) + 1;
  return out;
}

async function expectInputError(p: Promise<unknown>, where: RegExp, message: RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).where).toMatch(where);
  expect((err as InputError).message).toMatch(message);
}

describe('readFtrace on the real guest captures (Linux 6.18, cat trace)', () => {
  it('qd8: every event counted as grep counts them, 6000 block_rq_issue', async () => {
    const path = realGuest('randread-4k-qd8-io_uring.trace.txt');
    const { events, stats } = await collect(readFtrace(path, { source: 'guest' }));
    expect(stats.byName).toEqual(grepCounts(readFileSync(path, 'utf8')));
    expect(stats.byName.block_rq_issue).toBe(6000);
    expect(stats.events).toBe(42000);
    expect(stats.lines).toBe(42012);
    expect(stats.skipped + stats.unknown + stats.lost).toBe(0);
    // The first block_rq_issue (line 17), field by field.
    const issue = events.find((e) => e.name === 'block_rq_issue')!;
    expect(issue).toMatchObject({
      source: 'guest', clock: 'guest-mono', ts: 4370785965000n, task: 'fio', pid: 3646, cpu: 1, flags: '.....', line: 17, known: true,
      fields: { dev: 266338304, rwbs: 'RS', bytes: 4096, sector: 46201728, nr_sector: 8, ioprio_class: 'be', ioprio_level: 4, comm: 'fio' },
    });
    const submit = events.find((e) => e.name === 'io_uring_submit_req')!;
    expect(submit.fields).toMatchObject({ user_data: '0x56158100ec80', op_str: 'READ', sq_thread: 0 });
  });

  it('qd32: block_split, plug and unplug counted too; timestamps never go backwards per CPU', async () => {
    const path = realGuest('randrw-4k-512k-qd32-io_uring.trace.txt');
    const { events, stats } = await collect(readFtrace(path, { source: 'guest' }));
    expect(stats.byName).toEqual(grepCounts(readFileSync(path, 'utf8')));
    expect(stats.byName.block_rq_issue).toBe(111);
    expect(stats.byName.io_uring_submit_req).toBe(95);
    const last = new Map<number, bigint>();
    for (const e of events) {
      expect(e.ts >= (last.get(e.cpu!) ?? 0n)).toBe(true);
      last.set(e.cpu!, e.ts);
    }
    expect(events.find((e) => e.name === 'block_unplug')!.fields).toMatchObject({ nr_rq: expect.any(Number) });
  });
});

describe('readFtrace on other real text forms', () => {
  it('trace-cmd report: instance prefix, no flags column, print events as markers, ioprio class in hex', async () => {
    const path = fixture('trace-cmd-report.txt');
    const { events, stats } = await collect(readFtrace(path, { source: 'host' }));
    // grepCounts reads "print: tracing_mark_write:" as tracing_mark_write, as the reader does.
    expect(stats.byName).toEqual(grepCounts(readFileSync(path, 'utf8')));
    expect(stats.skipped).toBe(0);
    expect(events[0]).toMatchObject({ name: 'tracing_mark_write', fields: { buf: 'PHASE tc-start' }, task: 'bash', flags: undefined, line: 2 });
    const issue = events.find((e) => e.name === 'block_rq_issue')!;
    expect(issue.fields).toMatchObject({ ioprio_class: '0x2', ioprio_hint: 0, ioprio_level: 4, sector: 38483832 });
    // libtraceevent prints raw pointers, not hashed ones.
    expect(events.find((e) => e.name === 'io_uring_submit_req')!.fields.ctx).toBe('0xffff888104395000');
  });

  it('a Linux 6.1 guest over a serial console: \\r, escape junk, section markers, io_uring_submit_sqe, no ioprio', async () => {
    const path = fixture('guest-6.1-serial.txt');
    const { events, stats } = await collect(readFtrace(path, { source: 'guest', section: 'GUEST TRACE' }));
    expect(stats.skipped).toBe(0);
    const text = readFileSync(path, 'utf8');
    expect(stats.byName).toEqual(grepCounts(text));
    const issue = events.find((e) => e.name === 'block_rq_issue')!;
    expect(issue.fields).toEqual({ dev_major: 254, dev_minor: 0, dev: 266338304, rwbs: 'R', bytes: 4096, cmd: '', sector: 5928, nr_sector: 8, comm: 'kworker/0:1H' });
    expect(issue.task).toBe('kworker/0:1H');
    const sqe = events.find((e) => e.name === 'io_uring_submit_sqe')!;
    expect(sqe.fields).toMatchObject({ ctx: '(____ptrval____)', user_data: '0x7f4d78002ac0', op_str: 'READ', force_nonblock: 1 });
    expect(events.find((e) => e.name === 'block_rq_complete')!.fields).toMatchObject({ error: 0, sector: 5928 });
    // Without the section option the info lines before the trace are not ftrace lines.
    await expectInputError(collect(readFtrace(path, { source: 'guest' })), /guest-6\.1-serial\.txt:1$/, /not an ftrace event line/);
  });
});

describe('readFtrace on bad input', () => {
  const good = '             fio-3646    [001] .....  4370.785965: block_rq_issue: 254,0 RS 4096 () 46201728 + 8 be,0,4 [fio]';

  it('a malformed line: InputError naming file:line; lenient skips and counts it', async () => {
    const text = [good, 'this is not ftrace', good, '             fio-3646    [001] .....  4370.785966: block_rq_issue: 254,0 RS 4096 () + 8 [fio]', good].join('\n');
    await expectInputError(collect(readFtraceText(text, { source: 'host', label: 'x.txt' })), /^x\.txt:2$/, /not an ftrace event line/);
    const { events, stats } = await collect(readFtraceText(text, { source: 'host', label: 'x.txt', lenient: true }));
    expect(events.map((e) => e.line)).toEqual([1, 3, 5]);
    expect(stats.skipped).toBe(2);
    expect(stats.skippedExamples[1]).toMatch(/^x\.txt:4: block_rq_issue: the text fits none/);
  });

  it('unknown events are kept raw and counted, never an error', async () => {
    const text = good + '\n          <idle>-0       [000] d.h1.   100.000001: my_driver_event: foo=1 bar=2';
    const { events, stats } = await collect(readFtraceText(text, { source: 'host', label: 'u.txt' }));
    expect(stats.unknown).toBe(1);
    expect(events[1]).toMatchObject({ name: 'my_driver_event', known: false, fields: {}, body: 'foo=1 bar=2', task: '<idle>', pid: 0 });
  });

  it("a kernel's own format file makes an unseen layout readable", async () => {
    const weird = '            dd-1    [000] .....     1.000000: block_rq_issue: dev 254:0 sector 2048 len 8';
    await expectInputError(collect(readFtraceText(weird, { source: 'guest', label: 'w.txt' })), /^w\.txt:1$/, /format files/);
    const fmt = parseFormatFile(
      'name: block_rq_issue\nID: 1\nformat:\n\tfield:dev_t dev;\toffset:8;\tsize:4;\tsigned:0;\n\n' +
        'print fmt: "dev %d:%d sector %llu len %u", ((unsigned int) ((REC->dev) >> 20)), ((unsigned int) ((REC->dev) & ((1U << 20) - 1))), (unsigned long long)REC->sector, REC->nr_sector\n',
    );
    const { events } = await collect(readFtraceText(weird, { source: 'guest', label: 'w.txt', formats: [fmt] }));
    expect(events[0].fields).toEqual({ dev_major: 254, dev_minor: 0, dev: 266338304, sector: 2048, nr_sector: 8 });
  });

  it('lost events are counted from LOST lines and the entries header', async () => {
    const text = ['# entries-in-buffer/entries-written: 2/7   #P:2', good, 'CPU:1 [LOST 3 EVENTS]', '##### CPU 1 buffer started ####', good].join('\n');
    const { stats } = await collect(readFtraceText(text, { source: 'host', label: 'l.txt' }));
    expect(stats.lost).toBe(8);
    expect(stats.events).toBe(2);
  });

  it('a section without its END marker was cut: every event read, the cut at the line after the last, lenient or not', async () => {
    const text = ['=== GUEST TRACE BEGIN ===', good].join('\n');
    for (const lenient of [false, true]) {
      const stream = readFtraceText(text, { source: 'guest', label: 'c.txt', section: 'GUEST TRACE', lenient });
      expect((await collect(stream)).events).toHaveLength(1);
      expect(stream.cut).toEqual({ where: 'c.txt:3', reason: 'no "=== GUEST TRACE END ===" marker: the copy was cut; 2 complete lines were read' });
    }
    await expectInputError(collect(readFtraceText(good, { source: 'guest', label: 'n.txt', section: 'GUEST TRACE' })), /^n\.txt$/, /no "=== GUEST TRACE BEGIN ===" marker/);
  });

  it('reads gzip by its magic bytes; a truncated gzip is a cut named at file:line after every line before it; a missing file an error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'viotrace-ingest-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const plain = readFileSync(realGuest('randrw-4k-512k-qd32-io_uring.trace.txt'));
    const gz = gzipSync(plain);
    writeFileSync(join(dir, 'whole.txt.gz'), gz);
    writeFileSync(join(dir, 'cut.txt.gz'), gz.subarray(0, Math.floor(gz.length / 2)));
    const whole = await collect(readFtrace(join(dir, 'whole.txt.gz'), { source: 'guest' }));
    expect(whole.stats.byName).toEqual(grepCounts(plain.toString('utf8')));
    // The line after the last one zlib itself can decode from the cut file.
    const complete = gunzipSync(gz.subarray(0, Math.floor(gz.length / 2)), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8').split('\n').length - 1;
    const cut = readFtrace(join(dir, 'cut.txt.gz'), { source: 'guest' });
    const before = (await collect(cut)).events;
    expect(cut.cut).toEqual({ where: `${join(dir, 'cut.txt.gz')}:${complete + 1}`, reason: expect.stringMatching(/^the gzip stream is truncated/) });
    expect(before.length).toBeGreaterThan(100);
    expect(before.at(-1)!.line).toBeLessThanOrEqual(complete);
    await expectInputError(collect(readFtrace(join(dir, 'absent.txt'), { source: 'guest' })), /absent\.txt$/, /no such file/);
  });
});
