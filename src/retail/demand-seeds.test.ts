import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dayLift } from './calendar.js';
import { CATEGORIES } from './catalog.js';
import { CALENDAR_FROM, CALENDAR_TO, demandSeedFiles } from './demand-seeds.js';
import { HOUR_SHAPE, WEEKDAY_SHAPE } from './demand.js';

const seed = (name: string) =>
  readFileSync(new URL(`../../project/seeds/${name}`, import.meta.url), 'utf8');

describe('the demand seeds', () => {
  it('are exactly what the TypeScript tables render (regenerate: npm run build && node scripts/gen-seeds.mjs)', () => {
    for (const [name, text] of Object.entries(demandSeedFiles())) {
      expect(seed(name), `project/seeds/${name} is out of date`).toBe(text);
    }
  });

  it('hold every hour and weekday, and a calendar over the whole range', () => {
    const files = demandSeedFiles();
    expect(files['hour_shape.csv'].trim().split('\n')).toHaveLength(1 + HOUR_SHAPE.length);
    expect(files['weekday_shape.csv'].trim().split('\n')).toHaveLength(1 + WEEKDAY_SHAPE.length);
    expect(HOUR_SHAPE).toHaveLength(24);
    expect(WEEKDAY_SHAPE).toHaveLength(7);
    const rows = files['holiday_calendar.csv'].trim().split('\n').slice(1);
    const dates = [...new Set(rows.map((r) => r.split(',')[0]))].sort();
    expect(dates[0]! >= CALENDAR_FROM && dates.at(-1)! <= CALENDAR_TO).toBe(true);
    // Every listed date has one row per category.
    expect(rows).toHaveLength(dates.length * CATEGORIES.length);
    // Diwali 2026 is in it, with festive goods lifted far beyond the chain's volume.
    const diwali = rows.find((r) => r.startsWith('2026-11-08,festive,'))!.split(',');
    expect(diwali[4]).toBe('diwali');
    expect(Number(diwali[2])).toBeCloseTo(dayLift('2026-11-08').volume, 4);
    expect(Number(diwali[3])).toBeGreaterThan(5);
  });
});
