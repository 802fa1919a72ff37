// Browser tests (npm run test:e2e): the built web in Debian's Chromium, driven by playwright-core,
// against a real server on PostgreSQL (TEST_DATABASE_URL) or PGlite. One file at a time: a
// browser is heavy on a small machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/web/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts', 'test/web/build-web.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 420_000,
    hookTimeout: 400_000,
  },
});
