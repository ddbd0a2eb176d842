import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['contracts/test/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'services/*/test/**/*.test.ts'],
    globalSetup: ['./packages/testkit/dist/global-setup.js'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // A shared NATS_URL server means shared stream names: run files one at a time then.
    fileParallelism: !process.env['NATS_URL'],
  },
});
