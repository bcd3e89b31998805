// leanHeap: a worker's V8 heap stays near what it holds. Checked in a real Node process doing what a
// busy worker does (much short-lived garbage, some kept a while), next to the same process without
// it: without, V8 grows the young generation to 32 MiB; with it, the young generation keeps its
// first size and the old one is collected sooner. A Node whose V8 ignored the settings fails here.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/index.js';

const PROBE = `
import { getHeapSpaceStatistics } from 'node:v8';
const { leanHeap } = await import(process.argv[2]);
if (process.argv[3] === 'lean') leanHeap();
const size = (name) => getHeapSpaceStatistics().find((s) => s.space_name === name).space_size;
let kept = [];
let young = 0, old = 0;
const t0 = Date.now();
for (let round = 0; Date.now() - t0 < 800; round++) {
  for (let i = 0; i < 2000; i++) kept.push({ id: 'task-' + round + '-' + i, data: { i, note: 'x'.repeat(40) } });
  if (kept.length > 40000) kept = kept.slice(20000);
  young = Math.max(young, size('new_space'));
  old = Math.max(old, size('old_space'));
}
console.log(JSON.stringify({ young, old }));
`;

function peaks(dir: string, mode: 'lean' | 'default'): { young: number; old: number } {
  const probe = join(dir, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const run = spawnSync(process.execPath, [probe, join(ROOT, 'dist', 'process', 'lean-heap.js'), mode], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as { young: number; old: number };
}

describe('leanHeap', () => {
  it('keeps the young generation at its first size and the old one smaller than V8 would', () => {
    const dir = tempDir();
    const MiB = 1 << 20;
    const usual = peaks(dir, 'default');
    const lean = peaks(dir, 'lean');
    // Without: the young generation grows (the probe's load makes V8 grow it).
    expect(usual.young).toBeGreaterThan(8 * MiB);
    expect(lean.young).toBeLessThanOrEqual(4 * MiB);
    expect(lean.old).toBeLessThan(usual.old * 0.75);
  });
});
