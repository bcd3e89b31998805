import { defineConfig } from 'vitest/config';
import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';

/**
 * The files that take longest (seconds, measured in a full run on the 2-core machine), started first
 * so that the suite does not end with one worker still on one of them while the others idle. On a
 * fresh clone vitest has no timings of its own and starts the largest files first, which put the
 * real-agent tests last. Files not listed keep vitest's order, after these.
 */
const SLOWEST_FIRST = [
  'test/e2e/loops-git.test.ts', // 70
  'test/e2e/loops-state-repair.test.ts', // 42
  'test/agents/opencode-real.test.ts', // 37
  'test/e2e/worker-id.test.ts', // 36
  'test/agents/permissions-real.test.ts', // 32
  'test/e2e/agents.test.ts', // 31
  'test/agents/gemini-real.test.ts', // 31
  'test/agents/permissions-gemini-real.test.ts', // 28
  'test/e2e/install.test.ts', // 27
  'test/store/file-store-processes.test.ts', // 27
  'test/e2e/worktrees.test.ts', // 26
  'test/e2e/end.test.ts', // 25
  'test/agents/claude-real.test.ts', // 24
];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const at = SLOWEST_FIRST.findIndex((name) => f.moduleId.endsWith(`/${name}`));
      return at === -1 ? SLOWEST_FIRST.length : at;
    };
    return sorted.map((f, i) => ({ f, i })).sort((a, b) => rank(a.f) - rank(b.f) || a.i - b.i).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/clean-env.ts'],
    // Real processes and temp dirs: give them room. Three test files at once on two cores: much of
    // the suite waits on child processes, git and timers (262 s against 305-348 s with two, all green).
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 3,
    sequence: { sequencer: SlowestFirst },
  },
});
