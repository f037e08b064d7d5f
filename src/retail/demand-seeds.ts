// The demand tables the forecast mart reads as dbt seeds, rendered from the TypeScript tables
// the simulator itself draws from (calendar.ts, demand.ts). The CSVs in project/seeds/ are
// written by scripts/gen-seeds.mjs from this module and a test renders them again and compares,
// so the seeds and the chain can never drift apart.

import { calendarRows } from './calendar.js';
import { HOUR_SHAPE, WEEKDAY_SHAPE } from './demand.js';

/** First and last IST date of project/seeds/holiday_calendar.csv (inclusive). */
export const CALENDAR_FROM = '2025-01-01';
export const CALENDAR_TO = '2027-12-31';

/** Seed file name (in project/seeds/) → its CSV text. */
export type DemandSeedFiles = Record<
  'holiday_calendar.csv' | 'hour_shape.csv' | 'weekday_shape.csv',
  string
>;

function csv(header: string[], rows: (string | number)[][]): string {
  // Numbers print as JavaScript's shortest round-trip form, so DuckDB reads back the very double
  // the oracle uses; no field holds a comma or a quote.
  return [header, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

/**
 * The three demand seeds: the holiday calendar (a row per date and category that differs from a
 * plain day), the IST hour shape (`hour_ist` 0–23) and the weekday shape (`dow` 0 = Sunday, as
 * DuckDB's `dayofweek` and WEEKDAY_SHAPE count).
 *
 * @example
 * demandSeedFiles()['hour_shape.csv'].split('\n')[1]; // '0,0.1'
 */
export function demandSeedFiles(): DemandSeedFiles {
  return {
    'holiday_calendar.csv': csv(
      ['date_ist', 'category', 'volume_lift', 'category_lift', 'event'],
      calendarRows(CALENDAR_FROM, CALENDAR_TO).map((r) => [
        r.date_ist,
        r.category,
        r.volume_lift,
        r.category_lift,
        r.event,
      ]),
    ),
    'hour_shape.csv': csv(
      ['hour_ist', 'weight'],
      HOUR_SHAPE.map((w, h) => [h, w]),
    ),
    'weekday_shape.csv': csv(
      ['dow', 'weight'],
      WEEKDAY_SHAPE.map((w, d) => [d, w]),
    ),
  };
}
