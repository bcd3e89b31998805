import { utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workerScript } from '../../src/orchestrator/spawn.js';
import { tempDir } from '../helpers/index.js';

function files(): { dir: string; bundle: string; entry: string; cli: string } {
  const dir = tempDir();
  const entry = join(dir, 'worker-bin.js');
  writeFileSync(entry, '');
  return { dir, bundle: join(dir, 'worker.cjs'), entry, cli: join(dir, 'bin.js') };
}

describe('the script a worker process runs', () => {
  it.each([
    ['the bundle, when the build made it after the modules', 2000, 1000, 'bundle'],
    ['the CLI, when the bundle is older than the modules (tsc ran alone)', 1000, 2000, 'cli'],
  ])('%s', (_, bundleAt, entryAt, expected) => {
    const { bundle, entry, cli } = files();
    writeFileSync(bundle, '');
    utimesSync(bundle, bundleAt, bundleAt);
    utimesSync(entry, entryAt, entryAt);
    expect(workerScript(bundle, entry, cli)).toBe(expected === 'bundle' ? bundle : cli);
  });

  it('the CLI, when there is no bundle (no esbuild at build time)', () => {
    const { dir, entry, cli } = files();
    expect(workerScript(join(dir, 'missing.cjs'), entry, cli)).toBe(cli);
  });
});
