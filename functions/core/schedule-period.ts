/**
 * How often an EventBridge Scheduler expression fires, in minutes: what an alarm that watches a scheduled
 * job's heartbeat needs (its period must be at least the job's period, or every quiet hour would page).
 *
 * - `rate(n minute|minutes|hour|hours|day|days)`: exactly n units.
 * - `cron(min hour dom month dow year)` firing every day: the longest gap between two consecutive fire
 *   times of a day (including the gap across midnight). Fields may be `*`, a number, `a-b`, `a/b`, `*∕b` or a
 *   list of those.
 * - Anything else (`at(...)`, a cron limited to some days of the month or week, a field this parser does not
 *   read): `undefined` — the caller must be told the period.
 */

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+)(?: (\S+))?\)$/;
const UNIT_MINUTES: Record<string, number> = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 };

/** The values a cron field takes within [0, max], or undefined when the field is not one this reads. */
function cronValues(field: string, max: number): number[] | undefined {
  const values = new Set<number>();
  for (const part of field.split(',')) {
    const match = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!match) return undefined;
    const [, startText, endText, stepText] = match;
    const start = startText === '*' ? 0 : Number(startText);
    const end = endText !== undefined ? Number(endText) : startText === '*' || stepText !== undefined ? max : start;
    const step = stepText !== undefined ? Number(stepText) : 1;
    if (start > max || end > max || step < 1 || start > end) return undefined;
    for (let v = start; v <= end; v += step) values.add(v);
  }
  return [...values].sort((a, b) => a - b);
}

/** Minutes between fire times of `expression` (the longest gap), or undefined when it cannot say. */
export function schedulePeriodMinutes(expression: string): number | undefined {
  const rate = RATE.exec(expression.trim());
  if (rate) {
    const count = Number(rate[1]);
    return count >= 1 ? count * UNIT_MINUTES[rate[2]] : undefined;
  }
  const cron = CRON.exec(expression.trim());
  if (!cron) return undefined;
  const [, minuteField, hourField, dayOfMonth, month, dayOfWeek] = cron;
  const everyDay = (field: string) => field === '*' || field === '?';
  if (!everyDay(dayOfMonth) || !everyDay(dayOfWeek) || month !== '*') return undefined;
  const minutes = cronValues(minuteField, 59);
  const hours = cronValues(hourField, 23);
  if (!minutes || !hours || minutes.length === 0 || hours.length === 0) return undefined;
  const times = hours.flatMap((h) => minutes.map((m) => h * 60 + m));
  let longest = times[0] + 1440 - times[times.length - 1];
  for (let i = 1; i < times.length; i += 1) longest = Math.max(longest, times[i] - times[i - 1]);
  return longest;
}

/**
 * Minutes after which a job on `expression` counts as silent: two periods and an hour (one late or failed
 * run is not yet an alarm; two are). `undefined` when the period cannot be read from the expression.
 */
export function silentAfterMinutes(expression: string): number | undefined {
  const period = schedulePeriodMinutes(expression);
  return period === undefined ? undefined : 2 * period + 60;
}
