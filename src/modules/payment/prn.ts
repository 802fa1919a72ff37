// Payment registration numbers: the year, "PRN", 11 random digits and a Damm check digit, e.g.
// 2026PRN483920175065. Random, so a bank cannot walk from one PRN to the next (10^11 numbers a
// year); checked, so a mistyped PRN is refused before it reaches the database.
//
// Damm rather than Luhn: Damm catches every single-digit error and every swap of two adjacent
// digits (Luhn misses 09 <-> 90), with one table lookup per digit and no weights or doubling.
// The check digit covers the year too, so a mistyped year is caught as well.
import { randomInt } from 'node:crypto';
import { invalid } from '#platform/http/problem.ts';

/** What a PRN looks like; the check digit is tested by isValidPrn. */
export const prnPattern = '^\\d{4}PRN\\d{12}$';
export const prnExample = '2026PRN483920175065';
const prnShape = new RegExp(prnPattern);

/** How many random digits a PRN carries. */
export const prnRandomDigits = 11;

// The Damm quasigroup of order 10 (weakly totally anti-symmetric), as published by H. M. Damm.
const damm: readonly (readonly number[])[] = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/** The Damm interim digit of a string of digits: 0 when the string ends with its own check digit. */
function dammInterim(digits: string): number {
  let interim = 0;
  for (const c of digits) {
    interim = damm[interim]?.[c.charCodeAt(0) - 48] ?? Number.NaN;
  }
  return interim;
}

/** The check digit to append to `digits` (only 0-9). */
export function dammCheckDigit(digits: string): number {
  if (!/^\d+$/.test(digits)) {
    throw new RangeError(`a Damm check digit is computed over digits only, got "${digits}"`);
  }
  return dammInterim(digits);
}

/** 11 random digits from the operating system's CSPRNG (leading zeros kept). */
export function randomPrnDigits(): string {
  return String(randomInt(10 ** prnRandomDigits)).padStart(prnRandomDigits, '0');
}

/** A PRN for the year from 11 digits: YYYY PRN digits check. */
export function prnOf(year: string, digits: string): string {
  if (!/^\d{4}$/.test(year) || digits.length !== prnRandomDigits || !/^\d+$/.test(digits)) {
    throw new RangeError(`a PRN needs a 4-digit year and ${prnRandomDigits} digits, got "${year}" and "${digits}"`);
  }
  return `${year}PRN${digits}${dammCheckDigit(year + digits)}`;
}

/** True when the text has the PRN shape and its check digit matches. */
export function isValidPrn(text: string): boolean {
  return prnShape.test(text) && dammInterim(text.slice(0, 4) + text.slice(7)) === 0;
}

/** Refuses a PRN whose check digit does not match with a 422 at `pointer` (the shape is the schema's job). */
export function requireValidPrn(prn: string, pointer: string): void {
  if (!isValidPrn(prn)) {
    throw invalid([
      {
        pointer,
        code: 'prn_check_digit',
        message: `${prn} is not a valid payment registration number: its last digit does not check, so a digit is probably mistyped or two are swapped; copy it again from the e-slip (e.g. ${prnExample})`,
      },
    ]);
  }
}
