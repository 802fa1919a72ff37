// The allocation rule on its own: random among the least-loaded eligible officers, uniformly.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cryptoRandomInt, drawOfficer, seededRandomInt, type Candidate } from './inspection.allocation.ts';

const officer = (n: number, load = 0): Candidate => ({ officerId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, officerName: `Officer ${n}`, load });

/** Pearson's chi-square statistic of observed counts against equal expected counts. */
function chiSquare(counts: number[]): number {
  const total = counts.reduce((a, b) => a + b, 0);
  const expected = total / counts.length;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

describe('drawing an officer', () => {
  it('leaves the task waiting when nobody is eligible', () => {
    expect(drawOfficer([], seededRandomInt(1))).toBeUndefined();
    expect(drawOfficer([officer(1)], seededRandomInt(1), new Set([officer(1).officerId]))).toBeUndefined();
  });

  it('draws only among the officers with the fewest tasks awaiting findings', () => {
    const candidates = [officer(1, 2), officer(2, 0), officer(3, 1), officer(4, 0)];
    const random = seededRandomInt(7);
    const drawn = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const draw = drawOfficer(candidates, random);
      expect(draw?.pool.map((c) => c.officerId)).toEqual([officer(2).officerId, officer(4).officerId]);
      expect(draw?.eligible).toBe(4);
      drawn.add(draw!.chosen.officerId);
    }
    // Both least-loaded officers are drawn, never the others.
    expect(drawn).toEqual(new Set([officer(2).officerId, officer(4).officerId]));
  });

  it('is uniform among equally loaded officers (chi-square, fixed seed)', () => {
    const candidates = [officer(1), officer(2), officer(3), officer(4), officer(5)];
    const random = seededRandomInt(20261126);
    const counts = new Map<string, number>();
    const draws = 50_000;
    for (let i = 0; i < draws; i++) {
      const id = drawOfficer(candidates, random)!.chosen.officerId;
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    const observed = candidates.map((c) => counts.get(c.officerId) ?? 0);
    // 4 degrees of freedom: 18.47 is the 0.1% critical value.
    expect(chiSquare(observed)).toBeLessThan(18.47);
    for (const n of observed) {
      expect(Math.abs(n - draws / 5)).toBeLessThan(draws * 0.02);
    }
  });

  it('does not depend on the order the database returns the officers in', () => {
    const a = [officer(3), officer(1), officer(2)];
    const b = [officer(2), officer(3), officer(1)];
    const ra = seededRandomInt(99);
    const rb = seededRandomInt(99);
    for (let i = 0; i < 100; i++) {
      expect(drawOfficer(a, ra)?.chosen.officerId).toBe(drawOfficer(b, rb)?.chosen.officerId);
    }
  });

  it('never draws an excluded officer and always one of the least loaded (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 5 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat({ max: 11 }), { maxLength: 4 }),
        fc.integer(),
        (loads, excluded, seed) => {
          const candidates = loads.map((load, i) => officer(i + 1, load));
          const exclude = new Set(excluded.map((i) => officer(i + 1).officerId));
          const draw = drawOfficer(candidates, seededRandomInt(seed), exclude);
          const eligible = candidates.filter((c) => !exclude.has(c.officerId));
          if (eligible.length === 0) {
            return draw === undefined;
          }
          const least = Math.min(...eligible.map((c) => c.load));
          return draw !== undefined && !exclude.has(draw.chosen.officerId) && draw.chosen.load === least;
        },
      ),
    );
  });

  it('uses a cryptographic source by default, within range', () => {
    for (const n of [1, 2, 3, 10]) {
      for (let i = 0; i < 50; i++) {
        const k = cryptoRandomInt(n);
        expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
      }
    }
  });

  it('refuses a broken random source rather than draw nobody', () => {
    expect(() => drawOfficer([officer(1), officer(2)], () => 2)).toThrow(RangeError);
  });
});
