#!/usr/bin/env node
// The `freshet` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the `prepare` script); this shim only points at the compiled entry point.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'freshet: the compiled program is missing (dist/cli/main.js). Run `npm install` (or `npm run build`) in the Freshet folder first.\n',
  );
  process.exit(2);
}
await import(entry.href);
