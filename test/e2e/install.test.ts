/**
 * Ralph installed into somebody else's project as the README's Install section says: this checkout
 * packed (`npm pack`), the tarball installed into a fresh project and globally, both with their own
 * npm prefix and cache under a temp dir, then `ralph --version` and the Quick start as written.
 *
 * The tarball's dependencies come from the npm registry. `--offline` cannot stand in for it on a
 * clean clone: `npm ci` leaves only the abbreviated registry documents in npm's cache, and
 * `npm install` asks for the full ones (ENOTCACHED), so the fresh cache here is filled from the
 * registry (a few seconds: five small packages).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/index.js';
import { shellExample } from '../helpers/readme.js';

const VERSION = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;

/**
 * This environment for npm with its own prefix and cache, without what an enclosing `npm test` told
 * its scripts about this checkout (npm_config_local_prefix, npm_package_*, …).
 */
function npmEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const own = /^npm_(package_|lifecycle_|command$|execpath$|node_execpath$|config_(local_prefix|global_prefix|prefix|cache)$)/;
  for (const [name, value] of Object.entries(process.env)) if (!own.test(name)) env[name] = value;
  return {
    ...env,
    npm_config_prefix: join(home, 'prefix'),
    npm_config_cache: join(home, 'cache'),
    npm_config_update_notifier: 'false',
    npm_config_fund: 'false',
    npm_config_audit: 'false',
    ...extra,
  };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv) {
  const r = spawnSync(command, args, { cwd, env, encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}${r.error ? String(r.error) : ''}` };
}

describe('installed from a packed tarball into another project', () => {
  it('ships what it needs; ralph --version, init and the Quick start run from the installed bin', () => {
    const home = tempDir('ralph-install-');
    const env = npmEnv(home);

    // The package, as `npm pack` makes it. dist/ is built already (npm test builds first; `npm pack`
    // alone runs `prepare`, which builds the same): --ignore-scripts keeps it from rebuilding the
    // dist/ that other tests are running meanwhile.
    const pack = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', home], ROOT, env);
    expect(pack.code, pack.out).toBe(0);
    const [packed] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed!.files.map((f) => f.path);
    for (const needed of [
      'package.json',
      'dist/cli/bin.js',
      'dist/index.js',
      'dist/cli/worker.cjs',
      'scripts/build-native.mjs',
      'native/spawn.c',
      'binding.gyp',
    ]) {
      expect(files, needed).toContain(needed);
    }
    expect(files.filter((f) => /^(src|test|bench|\.cache|node_modules|build)\//.test(f))).toEqual([]);
    // The README's links to docs/ work in the installed package too.
    const linked = [...readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]!);
    expect(linked.length).toBeGreaterThan(3);
    expect(linked.filter((doc) => !files.includes(doc))).toEqual([]);
    const tarball = join(home, packed!.filename);

    // A project of somebody else's, with Ralph as a dev dependency.
    const project = join(home, 'my-project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'my-project', version: '1.0.0', private: true }));
    const install = run('npm', ['install', '--save-dev', tarball], project, env);
    expect(install.code, install.out).toBe(0);
    const bin = join(project, 'node_modules', '.bin', 'ralph');
    const version = run(bin, ['--version'], project, env);
    expect(version.code, version.out).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
    // The install script built the native helper wherever this checkout's own install could.
    const built = (root: string) => existsSync(join(root, 'build', 'Release', 'ralph_spawn.node'));
    expect(built(join(project, 'node_modules', 'ralph-orchestrator'))).toBe(built(ROOT));

    // The Quick start as the README writes it, with a stand-in for `claude` on PATH that records how
    // my-agent.sh started it.
    const fakes = join(home, 'fake-bin');
    mkdirSync(fakes);
    writeFileSync(
      join(fakes, 'claude'),
      '#!/bin/sh\nprintf "%s\\n" "$@" > "claude-args-$RALPH_TASK_ID"\ncat > /dev/null\necho "FINDINGS: claude stand-in did $RALPH_TASK_ID"\n',
    );
    chmodSync(join(fakes, 'claude'), 0o755);
    const quickStart = shellExample('init', '--agent-cmd ./my-agent.sh');
    const started = run('sh', ['-ec', quickStart], project, { ...env, PATH: `${fakes}${delimiter}${env.PATH}` });
    expect(started.code, started.out).toBe(0);
    expect(started.stdout).toContain('Wrote my-agent.sh');
    expect(started.stdout).toContain('Next: npx ralph-orchestrator run --tasks tasks.json');
    const results = JSON.parse(readFileSync(join(project, '.ralph', 'results.json'), 'utf8'));
    expect(results.findings.map((f: any) => f.finding).sort()).toEqual(['example-1', 'example-2', 'example-3'].map((id) => `claude stand-in did ${id}`));
    expect(readFileSync(join(project, 'claude-args-example-1'), 'utf8')).toBe('-p\n--permission-mode\nacceptEdits\n--allowedTools\nBash\n');

    // Installed globally instead (into this test's own prefix): `ralph` on PATH. (The dependencies
    // are in the cache now, and the native helper was built above once.)
    const global = run('npm', ['install', '--global', '--prefer-offline', tarball], home, { ...env, RALPH_SKIP_NATIVE: '1' });
    expect(global.code, global.out).toBe(0);
    const onPath = run('ralph', ['--version'], home, { ...env, PATH: `${join(home, 'prefix', 'bin')}${delimiter}${env.PATH}` });
    expect(onPath.code, onPath.out).toBe(0);
    expect(onPath.stdout.trim()).toBe(VERSION);
  }, 180_000);
});
