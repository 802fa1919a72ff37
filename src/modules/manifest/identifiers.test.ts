import { describe, expect, it } from 'vitest';
import { containerCheckDigit, containerNumberProblem, isImoNumber } from './identifiers.ts';

describe('ISO 6346 container numbers', () => {
  it('accepts the standard\'s worked example and refuses it with any other check digit', () => {
    expect(containerNumberProblem('CSQU3054383')).toBeUndefined();
    expect(containerNumberProblem('CSQU 305438 3')).toBeUndefined();
    for (const d of '012456789') {
      expect(containerNumberProblem(`CSQU305438${d}`)).toBe('container_check_digit');
    }
  });

  it('refuses numbers that are not owner code + U/J/Z + 6 digits + check digit', () => {
    for (const bad of ['CSQ3054383', 'CSQX3054383', 'CSQU305438', 'CSQU30543833', '1SQU3054383']) {
      expect(containerNumberProblem(bad)).toBe('container_number_format');
    }
  });

  it('values letters skipping multiples of 11 (L is 23, not 22)', () => {
    // By hand: L=23 at weights 1, 2, 4 and U=32 at weight 8 give 417; 417 mod 11 = 10, mod 10 = 0.
    expect(containerCheckDigit('LLLU000000')).toBe(0);
    expect(containerNumberProblem('LLLU0000000')).toBeUndefined();
    expect(containerNumberProblem('LLLU0000003')).toBe('container_check_digit');
  });
});

describe('IMO ship numbers', () => {
  it('accepts valid numbers (with or without the IMO prefix) and refuses a wrong check digit', () => {
    expect(isImoNumber('9074729')).toBe(true);
    expect(isImoNumber('IMO 9074729')).toBe(true);
    expect(isImoNumber('9074728')).toBe(false);
    expect(isImoNumber('907472')).toBe(false);
  });
});
