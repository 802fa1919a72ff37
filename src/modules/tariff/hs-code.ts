// HS codes are stored as digits only ("87032300") and shown as the tariff prints them ("8703.23.00").

/**
 * Digits of a national tariff line, or undefined when the text is not one: 8 to 10 digits, chapter
 * 01-99 (the HS ends at 97; chapters 98 and 99 are left to national special provisions).
 */
export function normaliseHsCode(text: string): string | undefined {
  const digits = text.replace(/[.\s]/g, '');
  if (!/^\d{8,10}$/.test(digits)) {
    return undefined;
  }
  const chapter = Number(digits.slice(0, 2));
  return chapter >= 1 ? digits : undefined;
}

export function formatHsCode(digits: string): string {
  const parts = [digits.slice(0, 4), digits.slice(4, 6), digits.slice(6, 8), digits.slice(8)].filter((p) => p !== '');
  return parts.join('.');
}
