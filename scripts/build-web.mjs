#!/usr/bin/env node
// Part of `npm run build`: bundles the dashboard's page (web/dashboard/main.tsx, Preact) into
// dist/web/app.js and copies its stylesheet, which `ralph dashboard` serves (nothing is
// fetched from elsewhere at run time). Without esbuild (a dev dependency) the dashboard's page says
// it was not built; its JSON endpoints work all the same.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
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
copyFileSync(join(root, 'web', 'dashboard', 'app.css'), join(out, 'app.css'));
