#!/usr/bin/env node
// Part of `npm run build`: bundles the dashboard's page (web/dashboard/main.tsx, Preact) into
// dist/web/app.js and copies its stylesheet, which `ralph dashboard` serves (nothing is
// fetched from elsewhere at run time). Without esbuild (a dev dependency) the dashboard's page says
// it was not built; its JSON endpoints work all the same.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  rmSync(join(out, 'app.js'), { force: true });
  console.error('ralph build: esbuild is not installed; the dashboard has no page (its JSON endpoints work)');
  process.exit(0);
}
mkdirSync(out, { recursive: true });
rmSync(join(out, 'app.css'), { force: true });
await esbuild.build({
  entryPoints: [join(root, 'web', 'dashboard', 'main.tsx')],
  outfile: join(out, 'app.js'),
  bundle: true,
  format: 'iife',
  target: 'es2020',
  minify: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  legalComments: 'none',
  logLevel: 'warning',
});
// The stylesheet: what the bundle imports (uPlot's, written next to app.js by esbuild) and the page's own.
const imported = join(out, 'app.css');
const theirs = existsSync(imported) ? readFileSync(imported, 'utf8') : '';
writeFileSync(imported, `${theirs}\n${readFileSync(join(root, 'web', 'dashboard', 'app.css'), 'utf8')}`);
