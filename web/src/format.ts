// Figures as the API gives them (decimal strings), grouped for reading; never through a float.

export function money(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') {
    return '—';
  }
  const negative = value.startsWith('-');
  const [whole = '0', fraction] = (negative ? value.slice(1) : value).split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** A time in the office's zone (Nairobi). */
export function when(iso: string | null | undefined, lang: string): string {
  if (!iso) {
    return '—';
  }
  return new Intl.DateTimeFormat(lang === 'sw' ? 'sw-KE' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'Africa/Nairobi' }).format(new Date(iso));
}

export function today(): string {
  // The date in Nairobi (UTC+3), as the API's default.
  return new Date(Date.now() + 3 * 3600_000).toISOString().slice(0, 10);
}

/** Sum of decimal strings to the cent (exact, through integers); undefined when one is not a number. */
export function sumMoney(values: string[]): string | undefined {
  let cents = 0n;
  for (const raw of values) {
    const v = raw.trim();
    const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(v);
    if (!m) {
      return undefined;
    }
    const c = BigInt(m[2]!) * 100n + BigInt((m[3] ?? '').padEnd(2, '0') || '0');
    cents += m[1] ? -c : c;
  }
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
