// dist/cli/worker.cjs starts `ralph worker` from the bundle with V8's code cache, and only with the
// cache made from that very bundle: a cache of another bundle is not used, one V8 rejects costs only
// the compile. Real processes, on a copy of the built files.
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/index.js';

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

function copy(): { cli: string; loader: string; bundle: string; cache: string } {
  const cli = join(tempDir(), 'dist', 'cli');
  mkdirSync(cli, { recursive: true });
  for (const name of ['worker.cjs', 'worker-bundle.cjs']) copyFileSync(join(ROOT, 'dist', 'cli', name), join(cli, name));
  return { cli, loader: join(cli, 'worker.cjs'), bundle: join(cli, 'worker-bundle.cjs'), cache: join(cli, 'worker-bundle.cjs.cache') };
}

function start(loader: string, env: NodeJS.ProcessEnv = {}): { stdout: string; stderr: string; status: number | null } {
  const run = spawnSync(process.execPath, [loader, '--version'], { encoding: 'utf8', env: { ...process.env, RALPH_DEBUG_CODE_CACHE: '1', ...env } });
  return { stdout: run.stdout.trim(), stderr: run.stderr, status: run.status };
}

describe('the worker loader and its code cache', () => {
  it('the build made a cache for the bundle it made', () => {
    const made = join(ROOT, 'dist', 'cli', 'worker-bundle.cjs.cache');
    expect(existsSync(made)).toBe(true);
    const run = start(join(ROOT, 'dist', 'cli', 'worker.cjs'));
    expect(run).toMatchObject({ status: 0, stdout: version });
    expect(run.stderr).toContain('code cache used');
  });

  it('uses a cache made from this bundle, and no other; one V8 rejects only costs the compile', () => {
    const { loader, bundle, cache } = copy();
    expect(start(loader).stderr).toContain('code cache none');
    // Made the way the build makes it.
    expect(start(loader, { RALPH_BUILD_CODE_CACHE: cache }).status).toBe(0);
    const stamp = readFileSync(cache, 'utf8').split('\n')[0]!;
    expect(JSON.parse(stamp)).toMatchObject({ size: readFileSync(bundle).length });
    expect(start(loader)).toMatchObject({ status: 0, stdout: version, stderr: expect.stringContaining('code cache used') });
    // A cache carrying the right stamp but not V8's data.
    const good = readFileSync(cache);
    writeFileSync(cache, `${stamp}\nnot a code cache`);
    expect(start(loader)).toMatchObject({ status: 0, stdout: version, stderr: expect.stringContaining('code cache rejected') });
    // The bundle changed after the cache was made: the cache is not used.
    writeFileSync(cache, good);
    appendFileSync(bundle, '\n// changed\n');
    expect(start(loader)).toMatchObject({ status: 0, stdout: version, stderr: expect.stringContaining('code cache none') });
  });
});
