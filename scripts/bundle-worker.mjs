#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles dist/cli/worker-bin.js (the `ralph worker` command)
// into dist/cli/worker.cjs, which `ralph run` starts its workers from. Without esbuild (a dev
// dependency) nothing is bundled and `ralph run` starts workers from dist/cli/bin.js, as it does
// whenever the bundle is older than the build.
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist', 'cli', 'worker.cjs');
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  rmSync(outfile, { force: true });
  console.error('ralph build: esbuild is not installed; workers start from dist/cli/bin.js (slower to start)');
  process.exit(0);
}
await esbuild.build({
  entryPoints: [join(root, 'dist', 'cli', 'worker-bin.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // Dependencies are bundled too (commander; shlex is an ES module that require() cannot load on
  // every Node 20). jsonc-parser is loaded at run time through createRequire, from node_modules.
  // The sources find files next to themselves through import.meta.url: the bundle sits at the same
  // depth under dist/ as they do, so the same relative paths hold.
  // "use strict" first: before any other statement, or the bundle would run in sloppy mode (the ES
  // modules it is made of are strict).
  banner: { js: '"use strict";\nconst __importMetaUrl = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__importMetaUrl' },
  logLevel: 'warning',
});
