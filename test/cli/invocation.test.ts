import { describe, expect, it } from 'vitest';
import { ralphCommand } from '../../src/cli/invocation.js';

describe('ralphCommand: the command hints name, as the user started Ralph', () => {
  it.each([
    ['a plain shell (ralph on PATH, node_modules/.bin/ralph)', {}, 'ralph'],
    ['npx in a project that has ralph-orchestrator installed', { npm_lifecycle_event: 'npx', npm_package_name: 'my-app' }, 'npx ralph-orchestrator'],
    ['npx outside any package', { npm_lifecycle_event: 'npx' }, 'npx ralph-orchestrator'],
    ["npx in Ralph's own checkout", { npm_lifecycle_event: 'npx', npm_package_name: 'ralph-orchestrator' }, 'npx ralph'],
    ['a package.json script of the project', { npm_lifecycle_event: 'ralph', npm_package_name: 'my-app' }, 'ralph'],
  ])('%s', (_what, env, expected) => {
    expect(ralphCommand(env)).toBe(expected);
  });
});
