// The retail calendar: festivals, end-of-season sales and salary days, and how much each lifts
// the chain's volume and each category's share on a given IST date. Festival dates follow
// ../shared/RETAIL.md (lunar festivals move every year, so they are listed, not computed); the
// lift sizes are assumed, within RETAIL.md's "3–5× on peak days, 8–10× in festive categories".
//
// The same table drives the simulator's demand and the forecast mart (project/seeds/
// holiday_calendar.csv is generated from it by `calendarRows`, and a test checks they agree),
// so the forecast "knows" Diwali exactly as well as the chain does.

import { CATEGORIES, type Category } from './catalog.js';
import { DAY_MS } from './ist-time.js';
import type { Region } from './stores.js';

export type FestivalName = 'diwali' | 'dussehra' | 'eid' | 'christmas' | 'holi' | 'pongal';

export interface Festival {
  name: FestivalName;
  /** Main days, `YYYY-MM-DD` (IST). */
  dates: readonly string[];
  /** Days before the main day over which demand builds up (the lift grows towards the day). */
  leadDays: number;
  /** Chain volume on the main day, as a multiple of a normal day. */
  peakVolume: number;
  /** Extra multiple per category on the main day (1 = no change beyond the volume lift). */
  categories: Partial<Record<Category, number>>;
  /** Regions where the festival is bigger (Durga Puja in the East, Pongal in the South). */
  regions?: Partial<Record<Region, number>>;
}

export const FESTIVALS: readonly Festival[] = [
  {
    // Dhanteras (two days before) is folded into the build-up: electronics and utensils peak.
    name: 'diwali',
    dates: ['2025-10-20', '2026-11-08', '2027-10-29'],
    leadDays: 14,
    peakVolume: 4,
    categories: {
      festive: 10,
      packaged_food: 2.5,
      apparel: 3,
      footwear: 2,
      electronics: 3,
      home_kitchen: 3,
      beverages: 1.5,
    },
  },
  {
    name: 'dussehra',
    dates: ['2025-10-02', '2026-10-20', '2027-10-09'],
    leadDays: 9, // Navratri
    peakVolume: 2.5,
    categories: { festive: 5, apparel: 3, footwear: 2, packaged_food: 1.5 },
    regions: { East: 1.6, West: 1.2 },
  },
  {
    name: 'eid',
    dates: ['2025-03-31', '2026-03-20', '2027-03-10'],
    leadDays: 7,
    peakVolume: 2.2,
    categories: { staples: 2, packaged_food: 2, apparel: 3, footwear: 2, festive: 3 },
  },
  {
    name: 'christmas',
    dates: ['2025-12-25', '2026-12-25', '2027-12-25'],
    leadDays: 7,
    peakVolume: 1.8,
    categories: { festive: 5, packaged_food: 2, beverages: 2, apparel: 1.5 },
    regions: { South: 1.3, East: 1.2 },
  },
  {
    name: 'holi',
    dates: ['2025-03-14', '2026-03-04', '2027-03-22'],
    leadDays: 4,
    peakVolume: 1.6,
    categories: { festive: 4, packaged_food: 1.8, beverages: 1.8 },
    regions: { North: 1.4, Central: 1.3 },
  },
  {
    name: 'pongal',
    dates: ['2025-01-14', '2026-01-14', '2027-01-14'],
    leadDays: 3,
    peakVolume: 1.5,
    categories: { staples: 2, dairy_fresh: 1.5, festive: 3, apparel: 1.5 },
    regions: { South: 1.8 },
  },
];

/** End-of-season sales: apparel and footwear in January and July, biggest in the first week. */
export const EOSS = {
  months: [1, 7],
  /** Extra multiple for apparel and footwear on the first day; it fades over the month. */
  peak: 3,
  categories: ['apparel', 'footwear'] as readonly Category[],
} as const;

/** The first three days of a month: salaries are in (assumed +15% chain volume). */
export const SALARY_DAY_LIFT = 1.15;

/** What a date does to demand: a volume multiple and an extra multiple per category. */
export interface DayLift {
  volume: number;
  /** Indexed like CATEGORIES. */
  category: Float64Array;
  /** The festival or sale that shapes the day, if any (for reports and the forecast). */
  event: string | null;
}

function dayNumber(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms)) throw new RangeError(`not a date (YYYY-MM-DD): ${date}`);
  return Math.round(ms / DAY_MS);
}

/**
 * How far into a festival's build-up a date is: 1 on the main day, rising as a square from 0
 * `leadDays` before it, 0.3 the day after (leftover shopping and returns), 0 otherwise.
 */
function festivalWeight(f: Festival, day: number): number {
  let best = 0;
  for (const d of f.dates) {
    const delta = dayNumber(d) - day;
    let w = 0;
    if (delta === 0) w = 1;
    else if (delta === -1) w = 0.3;
    else if (delta > 0 && delta <= f.leadDays) w = Math.pow(1 - delta / (f.leadDays + 1), 2);
    best = Math.max(best, w);
  }
  return best;
}

/** The demand lift of an IST date (`YYYY-MM-DD`) for stores in `region`. */
export function dayLift(date: string, region?: Region): DayLift {
  const day = dayNumber(date);
  const category = new Float64Array(CATEGORIES.length).fill(1);
  let volume = 1;
  let event: string | null = null;
  let strongest = 0;
  for (const f of FESTIVALS) {
    const w = festivalWeight(f, day) * (region ? (f.regions?.[region] ?? 1) : 1);
    if (w === 0) continue;
    volume *= 1 + (f.peakVolume - 1) * w;
    CATEGORIES.forEach((c, i) => {
      const extra = f.categories[c];
      if (extra !== undefined) category[i] = (category[i] as number) * (1 + (extra - 1) * w);
    });
    if (w > strongest) {
      strongest = w;
      event = f.name;
    }
  }
  const [, month, dom] = date.split('-').map(Number) as [number, number, number];
  if ((EOSS.months as readonly number[]).includes(month)) {
    const w = Math.max(0, 1 - (dom - 1) / 30);
    for (const c of EOSS.categories) {
      const i = CATEGORIES.indexOf(c);
      category[i] = (category[i] as number) * (1 + (EOSS.peak - 1) * w);
    }
    if (event === null) event = 'eoss';
  }
  if (dom <= 3) volume *= SALARY_DAY_LIFT;
  return { volume, category, event };
}

/** One row of project/seeds/holiday_calendar.csv: a date's lift for one category, chain-wide. */
export interface CalendarRow {
  date_ist: string;
  category: Category;
  volume_lift: number;
  category_lift: number;
  event: string;
}

/** Rows for every date in [from, to] (inclusive) that differs from a plain day, 4 decimals. */
export function calendarRows(from: string, to: string): CalendarRow[] {
  const rows: CalendarRow[] = [];
  for (let day = dayNumber(from); day <= dayNumber(to); day++) {
    const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
    const lift = dayLift(date);
    if (lift.event === null && lift.volume === 1) continue;
    CATEGORIES.forEach((c, i) => {
      rows.push({
        date_ist: date,
        category: c,
        volume_lift: round4(lift.volume),
        category_lift: round4(lift.category[i] as number),
        event: lift.event ?? 'salary_days',
      });
    });
  }
  return rows;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/** Named replay profiles for `freshet simulate --profile`: which day they start on. */
export const PROFILES = [
  'normal',
  'diwali',
  'dussehra',
  'eid',
  'christmas',
  'holi',
  'eoss',
] as const;
export type ProfileName = (typeof PROFILES)[number];

/**
 * The IST date a profile replays in `year`: the festival's main day, the first Saturday of
 * July's end-of-season sale, or for `normal` the second Tuesday of March (no festival near).
 */
export function profileDate(profile: ProfileName, year: number): string {
  if (profile === 'normal') return nthWeekday(year, 3, 2, 2);
  if (profile === 'eoss') return nthWeekday(year, 7, 6, 1);
  const f = FESTIVALS.find((x) => x.name === profile) as Festival;
  const date = f.dates.find((d) => d.startsWith(`${year}-`));
  if (!date) {
    const known = f.dates.map((d) => d.slice(0, 4)).join(', ');
    throw new RangeError(
      `no ${profile} date is known for ${year} (known: ${known}); give the day with --date YYYY-MM-DD`,
    );
  }
  return date;
}

/** The n-th (1-based) `weekday` (0 = Sunday) of a month, `YYYY-MM-DD`. */
function nthWeekday(year: number, month: number, weekday: number, n: number): string {
  const first = new Date(Date.UTC(year, month - 1, 1));
  const offset = (weekday - first.getUTCDay() + 7) % 7;
  return new Date(Date.UTC(year, month - 1, 1 + offset + 7 * (n - 1))).toISOString().slice(0, 10);
}
