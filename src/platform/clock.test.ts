import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { localDate } from './clock.ts';

// localDate remembers the date of each second it has formatted: asked again for any instant, in
// any zone, it must answer what a fresh formatter answers, including either side of a midnight.
const fresh = (at: Date, timeZone: string) => new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);

describe('localDate', () => {
  it('gives the calendar date in the zone, asked once or again, at any instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2e12, max: 4e12 }), fc.constantFrom('Africa/Nairobi', 'UTC', 'America/New_York', 'Asia/Kolkata'), (ms, zone) => {
        const at = new Date(ms);
        expect(localDate(at, zone)).toBe(fresh(at, zone));
        expect(localDate(new Date(ms), zone)).toBe(fresh(at, zone));
      }),
      { numRuns: 2000 },
    );
  });

  it('turns the date at midnight in Nairobi (21:00 UTC), to the millisecond', () => {
    const midnight = Date.UTC(2026, 0, 1, 21, 0, 0);
    for (const ms of [-1001, -1000, -1, 0, 1, 999, 1000]) {
      localDate(new Date(midnight + ms)); // remembered, then asked again below
    }
    expect(localDate(new Date(midnight - 1))).toBe('2026-01-01');
    expect(localDate(new Date(midnight))).toBe('2026-01-02');
    expect(localDate(new Date(midnight - 1000))).toBe('2026-01-01');
    expect(localDate(new Date(midnight + 999))).toBe('2026-01-02');
  });
});
