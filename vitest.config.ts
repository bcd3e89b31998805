import { defineConfig } from 'vitest/config';

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
  },
});
