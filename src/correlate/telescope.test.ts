// Stages from path event times: consecutive stages sum to the total; a request with no whole stage still starts at its first event.
import { describe, expect, it } from 'vitest';
import type { GuestTime } from '../records/index.js';
import { stagesFromEvents } from './telescope.js';

const at = (ns: number): GuestTime => ns as GuestTime;

describe('stagesFromEvents', () => {
  it('gives top-level stages that sum to the total, from the first event', () => {
    const b = stagesFromEvents({ bio_queue: at(1_000), rq_issue: at(3_000), rq_complete: at(90_000) });
    expect(b.stages).toEqual({ guest_queue: 2_000, vdisk: 87_000 });
    expect(b.start).toBe(1_000);
    expect(b.total).toBe(89_000);
  });

  it('starts a request with no whole stage at its first event, not at 0', () => {
    // A guest record whose other times were lost (its state overwritten by a request to the same sector).
    const b = stagesFromEvents({ rq_complete: at(21_600_480_000_000) });
    expect(b.stages).toEqual({});
    expect(b.total).toBe(0);
    expect(b.start).toBe(21_600_480_000_000);
    expect(stagesFromEvents({}).start).toBe(0);
  });
});
