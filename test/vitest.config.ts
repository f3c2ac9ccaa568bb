import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Tests run against server-lib's TypeScript sources (see server-lib/package.json "exports").
    conditions: ['source'],
  },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    globalSetup: ['./support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep the number of workers small so Redis and Chromium are not starved.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'server', include: ['unit/**/*.test.ts', 'integration/**/*.test.ts'] } },
      './extension/vitest.config.ts',
      { extends: true, test: { name: 'e2e', include: ['e2e/**/*.test.ts'] } },
    ],
  },
});
