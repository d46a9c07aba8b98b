import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The end-to-end suites open pseudo-terminals and worker threads; two cores are all CI has.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
