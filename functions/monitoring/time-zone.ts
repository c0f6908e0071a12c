/**
 * Local dates and times in an IANA time zone (the monthly report's `BYODKIM_REPORT_TIME_ZONE`, default
 * Asia/Tokyo), with the runtime's Intl data: no dependency, no clock read.
 */
import { ValidationError } from '../core/errors';

/** The parts of an instant in a time zone. */
export interface LocalTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
}

/** Throws a ValidationError naming the variable when `timeZone` is not an IANA zone the runtime knows. */
export function checkTimeZone(timeZone: string, field = 'BYODKIM_REPORT_TIME_ZONE'): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone }).format(0);
    return timeZone;
  } catch {
    throw new ValidationError(
      'INVALID_TIME_ZONE',
      `${field} must be an IANA time zone such as Asia/Tokyo or UTC; given ${JSON.stringify(timeZone)}`,
      field,
    );
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function localTime(ms: number, timeZone: string): LocalTime {
  const parts = Object.fromEntries(
    formatter(timeZone)
      .formatToParts(ms)
      .map((p) => [p.type, p.value]),
  );
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-12-01` in the zone. */
export function localDate(ms: number, timeZone: string): string {
  const t = localTime(ms, timeZone);
  return `${t.year}-${pad(t.month)}-${pad(t.day)}`;
}

/** `2026-12-01 09:00` in the zone. */
export function localDateTime(ms: number, timeZone: string): string {
  const t = localTime(ms, timeZone);
  return `${t.year}-${pad(t.month)}-${pad(t.day)} ${pad(t.hour)}:${pad(t.minute)}`;
}

/** The offset of the zone from UTC at `ms`, in milliseconds (Asia/Tokyo: +9 h). */
function offsetAt(ms: number, timeZone: string): number {
  const t = localTime(ms, timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
  return asUtc - Math.floor(ms / 60_000) * 60_000;
}

/** The instant local midnight starts the 1st of `month` (1–12) of `year` in the zone. */
export function startOfLocalMonth(year: number, month: number, timeZone: string): number {
  const guess = Date.UTC(year, month - 1, 1);
  // Two passes settle a DST change between the guess and the answer.
  let instant = guess - offsetAt(guess, timeZone);
  instant = guess - offsetAt(instant, timeZone);
  return instant;
}

/** The month before the one `ms` falls in, in the zone: what the report on the 1st reports on. */
export function previousLocalMonth(ms: number, timeZone: string): { readonly year: number; readonly month: number } {
  const t = localTime(ms, timeZone);
  return t.month === 1 ? { year: t.year - 1, month: 12 } : { year: t.year, month: t.month - 1 };
}
