/**
 * Standard five-field cron schedules (minute hour day-of-month month day-of-week) with lists, ranges, steps,
 * month and weekday names, and the @yearly/@monthly/@weekly/@daily/@hourly shorthands. Times are UTC unless
 * the schedule starts with `CRON_TZ=UTC`/`TZ=UTC`.
 */

export class CronSyntaxError extends Error {
  public constructor(schedule: string, detail: string) {
    super(`unparseable schedule "${schedule}": ${detail}`);
    this.name = 'CronSyntaxError';
  }
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const SHORTHANDS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface CronSchedule {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Whether day-of-month or day-of-week was restricted (cron ORs them when both are). */
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

function parseField(schedule: string, field: string, min: number, max: number, names?: string[]): Set<number> {
  const values = new Set<number>();
  const value = (text: string): number => {
    const named = names?.indexOf(text.toLowerCase()) ?? -1;
    const n = named >= 0 ? named + (min === 1 ? 1 : 0) : Number(text);
    if (!Number.isInteger(n) || n < min || n > max + (names === DAYS ? 1 : 0)) {
      throw new CronSyntaxError(schedule, `value "${text}" out of range [${min}, ${max}]`);
    }
    return names === DAYS && n === 7 ? 0 : n;
  };
  for (const part of field.split(',')) {
    const [range = '', stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new CronSyntaxError(schedule, `bad step in "${part}"`);
    let low: number;
    let high: number;
    if (range === '*' || range === '?') {
      low = min;
      high = max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      low = value(a);
      high = value(b);
    } else {
      low = value(range);
      high = stepText === undefined ? low : max;
    }
    if (low > high) throw new CronSyntaxError(schedule, `bad range "${range}"`);
    for (let n = low; n <= high; n += step) values.add(n);
  }
  return values;
}

export function parseCron(schedule: string): CronSchedule {
  let text = schedule.trim().replace(/^(CRON_TZ|TZ)=UTC\s+/, '');
  text = SHORTHANDS[text] ?? text;
  const fields = text.split(/\s+/);
  if (fields.length !== 5) throw new CronSyntaxError(schedule, `expected exactly 5 fields, found ${fields.length}`);
  const [m = '', h = '', dom = '', mon = '', dow = ''] = fields;
  return {
    minutes: parseField(schedule, m, 0, 59),
    hours: parseField(schedule, h, 0, 23),
    days: parseField(schedule, dom, 1, 31),
    months: parseField(schedule, mon, 1, 12, MONTHS),
    weekdays: parseField(schedule, dow, 0, 6, DAYS),
    dayRestricted: !dom.startsWith('*') && dom !== '?',
    weekdayRestricted: !dow.startsWith('*') && dow !== '?',
  };
}

function matches(s: CronSchedule, t: Date): boolean {
  if (!s.minutes.has(t.getUTCMinutes()) || !s.hours.has(t.getUTCHours()) || !s.months.has(t.getUTCMonth() + 1))
    return false;
  const dayOk = s.days.has(t.getUTCDate());
  const weekdayOk = s.weekdays.has(t.getUTCDay());
  if (s.dayRestricted && s.weekdayRestricted) return dayOk || weekdayOk;
  return dayOk && weekdayOk;
}

/** The latest scheduled minute in (after, until], or undefined. Looks back at most `maxMinutes`. */
export function lastScheduleBetween(
  s: CronSchedule,
  after: Date,
  until: Date,
  maxMinutes = 60 * 24 * 366,
): Date | undefined {
  const end = Math.floor(until.getTime() / 60_000) * 60_000;
  const start = after.getTime();
  for (let t = end, n = 0; t > start && n < maxMinutes; t -= 60_000, n++) {
    if (matches(s, new Date(t))) return new Date(t);
  }
  return undefined;
}

/** The next scheduled minute strictly after `from`. */
export function nextSchedule(s: CronSchedule, from: Date, maxMinutes = 60 * 24 * 366 * 4): Date | undefined {
  let t = Math.floor(from.getTime() / 60_000) * 60_000 + 60_000;
  for (let n = 0; n < maxMinutes; n++, t += 60_000) if (matches(s, new Date(t))) return new Date(t);
  return undefined;
}
