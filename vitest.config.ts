import { BaseSequencer } from 'vitest/node';
import type { TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest, most of it waiting on agents' retries, timeouts, servers and git
 * (measured on a fresh clone, 15-55 s each). They start first: started last, as a fresh clone's
 * order (by file size) had some, they left one worker busy while the others were done.
 */
const SLOW_FIRST = [
  'test/e2e/loops-git.test.ts',
  'test/e2e/fleet-postgres.test.ts',
  'test/agents/opencode-real.test.ts',
  'test/store/file-store-processes.test.ts',
  'test/agents/gemini-real.test.ts',
  'test/e2e/tools.test.ts',
  'test/e2e/worktrees.test.ts',
  'test/e2e/install.test.ts',
  'test/e2e/live-view.test.ts',
  'test/store/lock-processes.test.ts',
  'test/e2e/agents.test.ts',
  'test/e2e/worker-id.test.ts',
  'test/e2e/loops-state-repair.test.ts',
  'test/agents/claude-ralph.test.ts',
  'test/e2e/conventions.test.ts',
  'test/e2e/fleet-worktrees.test.ts',
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (spec: TestSpecification) => {
      const at = SLOW_FIRST.findIndex((path) => spec.moduleId.endsWith(path));
      return at < 0 ? SLOW_FIRST.length : at;
    };
    // Sorting is stable: the rest keep the order vitest gives them (failed first, then longest).
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/helpers/clean-env.ts'],
    // Real processes and temp dirs: give them room. Three test files at once on two cores: much of
    // the suite waits on child processes, git and timers (262 s against 305-348 s with two, all green).
    testTimeout: 60_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 3,
    sequence: { sequencer: SlowFirst },
  },
});
