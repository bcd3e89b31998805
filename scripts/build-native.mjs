#!/usr/bin/env node
// Builds the optional native spawn helper (native/spawn.c) at `npm ci`/`npm install`.
// Ralph works without it: when the build is skipped or fails, agents are started with Node's
// child_process (slower per spawn; see README "Performance"). This script therefore never fails
// the install. RALPH_SKIP_NATIVE=1 skips the build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (text) => process.stderr.write(`ralph: ${text}\n`);

if (process.platform !== 'linux') {
  say(`native spawn helper is Linux-only; using child_process on ${process.platform}`);
  process.exit(0);
}
if (process.env.RALPH_SKIP_NATIVE === '1') {
  say('RALPH_SKIP_NATIVE=1: native spawn helper not built; using child_process');
  process.exit(0);
}

// npm tells lifecycle scripts where its bundled node-gyp is; otherwise look next to this Node.
const candidates = [
  process.env.npm_config_node_gyp,
  join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
].filter((p) => p && existsSync(p));

if (candidates.length === 0) {
  say('node-gyp not found; native spawn helper not built; using child_process (slower per task)');
  process.exit(0);
}
// Build against the headers installed with this Node, when there are any, so nothing is downloaded.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const args = [candidates[0], 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (result.status === 0 && existsSync(join(root, 'build', 'Release', 'ralph_spawn.node'))) {
  say('native spawn helper built (build/Release/ralph_spawn.node)');
} else {
  const tail = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-5).join('\n');
  say(`native spawn helper not built; using child_process (slower per task). node-gyp said:\n${tail}`);
}
