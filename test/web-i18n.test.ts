// Every string of the web exists in English and in Kiswahili, non-empty, with the same {placeholders}.
import { describe, expect, it } from 'vitest';
import { en } from '../web/src/i18n/en.ts';
import { sw } from '../web/src/i18n/sw.ts';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('web dictionaries', () => {
  it('have the same keys in English and Kiswahili', () => {
    expect(Object.keys(sw).sort()).toEqual(Object.keys(en).sort());
  });

  it('have every string filled in, with the same placeholders', () => {
    for (const [key, english] of Object.entries(en)) {
      const swahili = (sw as Record<string, string>)[key] ?? '';
      expect(swahili.trim(), key).not.toBe('');
      expect(english.trim(), key).not.toBe('');
      expect(placeholders(swahili), key).toEqual(placeholders(english));
    }
  });

  it('translate the labels rather than copy them', () => {
    // A few codes (HS, PRN, e-slip) read the same in both; most labels must differ.
    const same = Object.keys(en).filter((k) => (en as Record<string, string>)[k] === (sw as Record<string, string>)[k]);
    expect(same.length / Object.keys(en).length).toBeLessThan(0.05);
  });
});
