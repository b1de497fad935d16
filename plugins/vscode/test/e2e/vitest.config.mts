import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['plugins/vscode/test/e2e/**/*.e2e.test.ts'],
    root: new URL('../../../..', import.meta.url).pathname,
    testTimeout: 300_000,
    hookTimeout: 300_000,
    // The steps share one code-server, one sandbox and one DevMode session, in order.
    sequence: { concurrent: false },
    fileParallelism: false,
  },
});
