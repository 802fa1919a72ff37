// Identifiers of the trade that carry their own check: ISO 6346 container numbers, IMO ship
// numbers, and the format of a KRA taxpayer PIN. A typo caught at lodging is a container not
// lost in the yard.

const containerPattern = /^[A-Z]{3}[UJZ]\d{7}$/;

/** ISO 6346 letter values: A=10 upward, skipping multiples of 11 (11, 22, 33). */
const letterValues: ReadonlyMap<string, number> = (() => {
  const values = new Map<string, number>();
  let v = 10;
  for (const letter of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ') {
    if (v % 11 === 0) {
      v++;
    }
    values.set(letter, v++);
  }
  return values;
})();

/** The check digit of the first ten characters of a container number (owner, category, serial). */
export function containerCheckDigit(first10: string): number {
  let total = 0;
  for (let i = 0; i < 10; i++) {
    const ch = first10[i] ?? '';
    const value = /\d/.test(ch) ? Number(ch) : (letterValues.get(ch) ?? 0);
    total += value * 2 ** i;
  }
  return (total % 11) % 10;
}

export type ContainerNumberProblem = 'container_number_format' | 'container_check_digit';

/** Why a container number is not valid, or undefined when it is. Spaces and dashes are ignored. */
export function containerNumberProblem(raw: string): ContainerNumberProblem | undefined {
  const number = normaliseContainerNumber(raw);
  if (!containerPattern.test(number)) {
    return 'container_number_format';
  }
  return containerCheckDigit(number.slice(0, 10)) === Number(number[10]) ? undefined : 'container_check_digit';
}

export function normaliseContainerNumber(raw: string): string {
  return raw.toUpperCase().replace(/[\s-]/g, '');
}

/** ISO 6346 size and type code: length, height/width, type group letter and a digit, e.g. 22G1 (20 ft general purpose), 45G1 (40 ft high cube), 42R1 (reefer). */
export const sizeTypePattern = /^[1-9A-Z][0-9A-Z][A-Z]\d$/;

/** IMO ship number: 7 digits, the last a check digit over the first six weighted 7..2. */
export function isImoNumber(raw: string): boolean {
  const digits = raw.toUpperCase().replace(/^IMO\s*/, '');
  if (!/^\d{7}$/.test(digits)) {
    return false;
  }
  let total = 0;
  for (let i = 0; i < 6; i++) {
    total += Number(digits[i]) * (7 - i);
  }
  return total % 10 === Number(digits[6]);
}

/** KRA PIN: A (individual) or P (non-individual), nine digits, a check letter: P051234567A. */
export const pinPattern = /^[AP]\d{9}[A-Z]$/;
