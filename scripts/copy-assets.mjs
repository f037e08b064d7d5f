// Copies the non-TypeScript files the program serves or reads at run time (the dashboard's
// static files) next to the compiled code, so dist/ is self-contained.
import { cpSync, existsSync } from 'node:fs';

const pairs = [['src/serve/web', 'dist/serve/web']];
for (const [from, to] of pairs) {
  if (existsSync(from)) cpSync(from, to, { recursive: true, filter: (p) => !p.endsWith('.ts') });
}
