// Writes the forecast's demand seeds (project/seeds/holiday_calendar.csv, hour_shape.csv,
// weekday_shape.csv) from the TypeScript tables in src/retail/calendar.ts and demand.ts, through
// the compiled code: `npm run build && node scripts/gen-seeds.mjs`. src/retail/demand-seeds.test.ts
// fails whenever the files and the tables differ.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demandSeedFiles } from '../dist/retail/index.js';

const seeds = fileURLToPath(new URL('../project/seeds/', import.meta.url));
for (const [name, text] of Object.entries(demandSeedFiles())) {
  writeFileSync(join(seeds, name), text);
  console.log(`wrote project/seeds/${name} (${text.split('\n').length - 2} rows)`);
}
