// The string formats request schemas use, stricter than ajv-formats' own: a 'date' or 'date-time'
// must be a real calendar day in MIN_YEAR..MAX_YEAR (ajv-formats takes 0000-01-01, which
// PostgreSQL refuses, and 23:59:60, which JavaScript cannot represent), and a 'uuid' is the plain
// 36-character form the database reads (ajv-formats also takes a urn:uuid: prefix).
import { MAX_YEAR, MIN_YEAR } from './schemas.ts';

const datePattern = /^(\d{4})-(\d{2})-(\d{2})$/;
const dateTimePattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):(\d{2}))$/;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  return year >= MIN_YEAR && year <= MAX_YEAR && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** YYYY-MM-DD naming a real day in MIN_YEAR..MAX_YEAR. */
export function isIsoDateInRange(value: string): boolean {
  const m = datePattern.exec(value);
  return m !== null && isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** An ISO 8601 instant with its offset (Z or ±hh:mm), a real day and time in MIN_YEAR..MAX_YEAR. */
export function isIsoDateTimeInRange(value: string): boolean {
  const m = dateTimePattern.exec(value);
  if (m === null || !isCalendarDay(Number(m[1]), Number(m[2]), Number(m[3]))) {
    return false;
  }
  const [hours, minutes, seconds, offsetHours, offsetMinutes] = [m[4], m[5], m[6], m[7], m[8]].map((v) => Number(v ?? 0)) as [number, number, number, number, number];
  return hours < 24 && minutes < 60 && seconds < 60 && offsetHours < 24 && offsetMinutes < 60 && Number.isFinite(Date.parse(value));
}

export const isUuid = (value: string): boolean => uuidPattern.test(value);

export interface FormatRegistry {
  addFormat(name: string, format: { type: 'string'; validate: (value: string) => boolean }): unknown;
}

/** Installs the formats on the ajv instance that compiles request schemas (after ajv-formats). */
export function installFormats(ajv: FormatRegistry): void {
  ajv.addFormat('date', { type: 'string', validate: isIsoDateInRange });
  ajv.addFormat('date-time', { type: 'string', validate: isIsoDateTimeInRange });
  ajv.addFormat('uuid', { type: 'string', validate: isUuid });
}
