import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    setupFiles: ['test/setup/reflect.ts'],
    // A safety net against a hung test, not a speed check: the end-to-end CLI scenarios run a dozen
    // processes each and take 20–40 s when the whole suite shares two cores.
    testTimeout: 120_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
