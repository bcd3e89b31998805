#!/usr/bin/env node
// Part of `npm run build`, after tsc: bundles dist/cli/worker-bin.js (the `ralph worker` command)
// into dist/cli/worker-bundle.cjs, and writes dist/cli/worker.cjs, which `ralph run` starts its
// workers from: it loads the bundle with V8's code cache (dist/cli/worker-bundle.cjs.cache, made
// here by one short worker run), so that a worker does not compile again what every worker compiles.
// Without esbuild (a dev dependency) nothing is bundled and `ralph run` starts workers from
// dist/cli/bin.js, as it does whenever the bundle is older than the build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cliDir = join(root, 'dist', 'cli');
const loader = join(cliDir, 'worker.cjs');
const bundle = join(cliDir, 'worker-bundle.cjs');
const cache = `${bundle}.cache`;
let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  for (const file of [loader, bundle, cache]) rmSync(file, { force: true });
  console.error('ralph build: esbuild is not installed; workers start from dist/cli/bin.js (slower to start)');
  process.exit(0);
}
rmSync(cache, { force: true });
await esbuild.build({
  entryPoints: [join(cliDir, 'worker-bin.js')],
  outfile: bundle,
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

// The loader (scripts/worker-loader.cjs). A code cache is used only with the bundle it was made from: its first line records the
// bundle's size and modification time. (V8 itself checks little more than the source's length, and a
// cache of other code would run that code.) A cache V8 rejects (another Node version) costs nothing
// but the compile it was meant to save.
copyFileSync(join(root, 'scripts', 'worker-loader.cjs'), loader);

// A loader that cannot start a worker would stop every run: the build fails here instead.
const check = spawnSync(process.execPath, [loader, 'worker', '--help'], { encoding: 'utf8' });
if (check.status !== 0) {
  console.error(`ralph build: ${loader} does not start: ${check.stderr || check.error}`);
  process.exit(1);
}

// One worker drains a queue of three no-op tasks, and the cache is written as it exits.
const scratch = mkdtempSync(join(tmpdir(), 'ralph-build-'));
try {
  writeFileSync(join(scratch, 'tasks.json'), JSON.stringify([1, 2, 3].map((i) => ({ id: `warm-${i}`, type: 'build' }))));
  const state = join(scratch, '.ralph');
  const env = { ...process.env, RALPH_BUILD_CODE_CACHE: cache };
  delete env.NODE_EXTRA_CA_CERTS;
  const add = spawnSync(process.execPath, [join(cliDir, 'bin.js'), 'queue', 'add', 'tasks.json', '--dir', state], { cwd: scratch, env, encoding: 'utf8' });
  const run =
    add.status === 0 &&
    spawnSync(process.execPath, [loader, 'worker', '--id', '1', '--dir', state, '--agent-cmd', 'true'], {
      cwd: scratch,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
  if (run?.status !== 0) {
    rmSync(cache, { force: true });
    console.error(`ralph build: no code cache for the worker (it starts a little slower): ${(run ? run.stderr : add.stderr) || 'the warm-up run failed'}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
