// Time as a dependency, so tests can fix "today" and every date rule is checked at its boundary.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export function fixedClock(at: Date | string): Clock {
  const date = typeof at === 'string' ? new Date(at) : at;
  return { now: () => new Date(date) };
}

const formats = new Map<string, Intl.DateTimeFormat>();
/** Dates already formatted, per zone, by the whole second (zone offsets are whole seconds). */
const datesBySecond = new Map<string, Map<number, string>>();
/** Seconds remembered per zone: a lodgement asks for the same few instants many times over. */
const MAX_REMEMBERED_SECONDS = 4096;

/** The calendar date (YYYY-MM-DD) in the administration's zone; customs days are Nairobi days. */
export function localDate(at: Date, timeZone = 'Africa/Nairobi'): string {
  // Formatting goes through ICU (a few microseconds, a good share of a lodgement's CPU when asked
  // a dozen times): the answer for an instant's second is remembered. A zone's offset, and so the
  // date, cannot change within a second. An invalid date is left to the formatter to refuse.
  const second = Math.floor(at.getTime() / 1000);
  let dates = datesBySecond.get(timeZone);
  const known = dates?.get(second);
  if (known !== undefined) {
    return known;
  }
  // Building a formatter is costly (time-zone data); one per zone is kept.
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formats.set(timeZone, format);
  }
  const date = format.format(at);
  if (!dates) {
    dates = new Map();
    datesBySecond.set(timeZone, dates);
  } else if (dates.size >= MAX_REMEMBERED_SECONDS) {
    dates.clear();
  }
  dates.set(second, date);
  return date;
}

const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar date written YYYY-MM-DD (rejects 2025-02-30). */
export function isIsoDate(text: string): boolean {
  const m = isoDate.exec(text);
  if (!m) {
    return false;
  }
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Clock difference allowed between a partner's system and ours when it reports when something happened. */
export const partnerClockSkewMs = 5 * 60 * 1000;

/**
 * When a partner (bank, terminal) says an event happened: not before what it follows, not after
 * now, each bound widened by the clock difference allowed. `describe` words the refusal.
 */
export function eventWindow(after: Date, now: Date, skewMs = partnerClockSkewMs) {
  const earliest = new Date(after.getTime() - skewMs);
  const latest = new Date(now.getTime() + skewMs);
  return {
    contains: (at: Date) => !Number.isNaN(at.getTime()) && at >= earliest && at <= latest,
    describe: (what: string) =>
      `must be between ${earliest.toISOString()} (${what} at ${after.toISOString()}) and ${latest.toISOString()} (now), each allowing ${skewMs / 60_000} minutes of clock difference`,
  };
}
