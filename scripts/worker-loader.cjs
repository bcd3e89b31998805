'use strict';
// Copied to dist/cli/worker.cjs by scripts/bundle-worker.mjs: runs `ralph worker` from worker-bundle.cjs,
// with V8's code cache. Plain CommonJS, run as it is (not compiled).
const { readFileSync, statSync, writeFileSync } = require('node:fs');
// The worker's lean heap (src/process/lean-heap.ts: the same two flags), set before the bundle is
// compiled: V8 takes a code cache only when the flags in force are those it was made under, and
// the worker whose run makes the cache has set them by then.
const { setFlagsFromString } = require('node:v8');
setFlagsFromString('--semi-space-growth-factor=1');
setFlagsFromString('--heap-growing-percent=100');
const { join } = require('node:path');
const { Script } = require('node:vm');
const { wrap } = require('node:module');
const file = join(__dirname, 'worker-bundle.cjs');
const cacheFile = `${file}.cache`;
const { size, mtimeMs } = statSync(file);
const stamp = JSON.stringify({ size, mtimeMs });
let cachedData;
try {
  const bytes = readFileSync(cacheFile);
  const newline = bytes.indexOf(10);
  if (newline > 0 && bytes.toString('utf8', 0, newline) === stamp) cachedData = bytes.subarray(newline + 1);
} catch {}
const script = new Script(wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
if (process.env.RALPH_DEBUG_CODE_CACHE)
  process.stderr.write(`ralph worker: code cache ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
// The build makes the cache from one short worker run: what a worker compiles on its way is in it.
if (process.env.RALPH_BUILD_CODE_CACHE === cacheFile) {
  process.on('exit', () => writeFileSync(cacheFile, Buffer.concat([Buffer.from(`${stamp}\n`), script.createCachedData()])));
}
const bundled = { exports: {}, filename: file, id: file, loaded: false };
script.runInThisContext()(bundled.exports, require, bundled, file, __dirname);
