import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'protocol/src/**/*.test.ts',
      'server/src/**/*.test.ts',
      'sandbox/src/**/*.test.ts',
      'test/**/*.test.ts',
      'plugins/vscode/src/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Suites that start a sandbox cluster spawn real processes; two cores cannot run many at once.
    maxWorkers: 2,
  },
});
