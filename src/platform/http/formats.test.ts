import { describe, expect, it } from 'vitest';
import { isIsoDateInRange, isIsoDateTimeInRange, isUuid } from './formats.ts';
import { firstBadValue } from './input-guard.ts';

describe('request formats', () => {
  it('takes a date only when it is a real day between 1900 and 2200', () => {
    for (const ok of ['1900-01-01', '2024-02-29', '2026-06-15', '2200-12-31']) {
      expect(isIsoDateInRange(ok), ok).toBe(true);
    }
    for (const bad of ['0000-01-01', '1899-12-31', '2201-01-01', '2026-02-29', '2026-13-01', '2026-04-31', '2026-6-15', '20260615', '2026-06-15T00:00:00Z', ' 2026-06-15']) {
      expect(isIsoDateInRange(bad), bad).toBe(false);
    }
  });

  it('takes a date-time only with its offset, a real day and time, between 1900 and 2200', () => {
    for (const ok of ['2026-06-15T10:30:00Z', '2026-06-15T10:30:00.123+03:00', '2026-06-15T10:30-05:00', '1900-01-01T00:00:00Z']) {
      expect(isIsoDateTimeInRange(ok), ok).toBe(true);
    }
    for (const bad of ['2026-06-15T10:30:00', '2024-12-31T23:59:60Z', '2026-06-15T24:00:00Z', '0000-01-01T00:00:00Z', '2201-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '2026-06-15T10:00:00+99:00', '2026-06-15t10:00:00z']) {
      expect(isIsoDateTimeInRange(bad), bad).toBe(false);
    }
  });

  it('takes a uuid only in its plain 36-character form', () => {
    expect(isUuid('0a5b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c4d')).toBe(true);
    for (const bad of ['urn:uuid:0a5b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c4d', '{0a5b3c1d-2e4f-4a6b-8c7d-9e0f1a2b3c4d}', '0a5b3c1d2e4f4a6b8c7d9e0f1a2b3c4d', '-'.repeat(36)]) {
      expect(isUuid(bad), bad).toBe(false);
    }
  });
});

describe('the input guard', () => {
  it('points at the first string, key or number that must not go further', () => {
    expect(firstBadValue({ items: [{ description: 'ok\ttab\nline' }] }, '')).toBeUndefined();
    expect(firstBadValue({ items: [{ description: 'a\u0000b' }] }, '')).toMatchObject({ pointer: '/items/0/description', code: 'control_character' });
    expect(firstBadValue({ a: 'x\u001b[31m' }, '')).toMatchObject({ pointer: '/a', code: 'control_character' });
    expect(firstBadValue({ a: '\u0085' }, '')).toMatchObject({ code: 'control_character' });
    expect(firstBadValue({ seals: ['\ud800'] }, '')).toMatchObject({ pointer: '/seals/0', code: 'invalid_unicode' });
    expect(firstBadValue({ a: 'x\udc00' }, '')).toMatchObject({ code: 'invalid_unicode' });
    expect(firstBadValue({ 'bad\u0000key': 1 }, '')).toMatchObject({ pointer: '/bad\u0000key', code: 'control_character' });
    expect(firstBadValue({ n: Infinity }, '')).toMatchObject({ pointer: '/n', code: 'not_finite' });
    expect(firstBadValue({ q: 'a\u0000' }, '/querystring')).toMatchObject({ pointer: '/querystring/q' });
    // Paired surrogates (emoji), right-to-left marks and accents are text like any other.
    expect(firstBadValue({ a: '😀 👨‍👩‍👧 \u200f عربى e\u0301' }, '')).toBeUndefined();
  });
});
