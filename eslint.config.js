import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      'sandbox/images/**/rootfs/**',
      'server/bin/*.d.mts',
      'vitest.config.ts',
      '**/vitest.config.mts',
      'eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.mjs', 'build/*.mjs', 'bench/*.mjs', 'bench/*.d.mts', 'server/bin/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        setImmediate: 'readonly',
        clearImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // Plain scripts (benchmarks, generators, the bin shim) run without a build step, so they are linted without
    // type information.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Architecture invariant: only server/src/kube/ talks to the Kubernetes client library.
    files: ['server/src/**/*.ts'],
    ignores: ['server/src/kube/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@kubernetes/client-node', message: 'Only server/src/kube/ may import @kubernetes/client-node.' },
          ],
        },
      ],
    },
  },
  {
    // The engine holds logic only: it never imports the wire layer.
    files: ['server/src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@kubernetes/client-node', message: 'Only server/src/kube/ may import @kubernetes/client-node.' },
            { name: 'vscode-jsonrpc', message: 'The engine has no JSON-RPC imports; handlers translate.' },
            { name: 'vscode-jsonrpc/node', message: 'The engine has no JSON-RPC imports; handlers translate.' },
          ],
        },
      ],
    },
  },
);
