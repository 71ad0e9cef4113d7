import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// One file, run in order: each package installs into its own temporary npm project, one after
// the other, sharing one npm cache. The root is the repository's, so that vitest's cache lands in
// the root node_modules and not among the task's inputs (tests/pack/**).
export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: ['tests/pack/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
  },
});
