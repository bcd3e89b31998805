// What `ralph agents` and the README say about how each adapter is verified is true: a "real binary"
// version is the one its ensure script pins and a real-binary test file runs; the README's table has
// one row per adapter saying the same as `ralph agents`; docs/agents.md names the version too.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeVerification } from '../../src/agents/cli-spec.js';
import { AGENTS } from '../../src/agents/registry.js';
import { ROOT } from '../helpers/index.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const agentsDoc = readFileSync(join(ROOT, 'docs', 'agents.md'), 'utf8');

describe('how each agent is verified', () => {
  it.each(AGENTS.map((spec) => [spec.name, spec] as const))('%s', (name, spec) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row, `README: no row for ${name} in the agent table`).toBeDefined();
    expect(row).toBe(`| \`${name}\` | ${spec.title} | ${describeVerification(spec.verified)} |`);
    const docRow = agentsDoc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    expect(docRow, `docs/agents.md: no row for ${name}`).toBeDefined();
    if (spec.verified.how === 'real-binary') {
      const script = readFileSync(join(ROOT, 'scripts', `ensure-${name}.mjs`), 'utf8');
      expect(/const VERSION = '([^']+)'/.exec(script)?.[1], `scripts/ensure-${name}.mjs pins another version`).toBe(spec.verified.version);
      expect(existsSync(join(ROOT, 'test', 'agents', `${name}-real.test.ts`)), `test/agents/${name}-real.test.ts`).toBe(true);
      expect(readFileSync(join(ROOT, '.ci', 'run'), 'utf8')).toContain(`node scripts/ensure-${name}.mjs`);
      expect(docRow).toContain(`proven against the real binary (${spec.verified.version})`);
    } else {
      expect(existsSync(join(ROOT, 'scripts', `ensure-${name}.mjs`)), `ensure-${name}.mjs exists: is ${name} verified by its real binary?`).toBe(false);
      expect(docRow).not.toContain('proven against the real binary');
    }
  });
});
