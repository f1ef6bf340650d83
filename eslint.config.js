// Lint rules for the whole project (run by `npm test` through scripts/lint.mjs). typescript-eslint's
// recommended set without type information, so a lint of the tree takes seconds, not a full type check
// (tsc already does that); the promise rules below are type-aware over three folders. Formatting belongs to prettier, not to these rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/**', 'node_modules/**', 'runs/**', 'tmp/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        performance: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        structuredClone: 'readonly',
        fetch: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
      },
    },
    rules: {
      // Unused names are mistakes, except deliberate `_`-prefixed ones.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Where requests, threads and collectives meet, a promise nobody awaits loses its error
    // (an unhandled rejection kills the server) and a promise where a callback's return is
    // ignored (an async listener) hides one: these folders get the type-aware rules for both.
    // Type information costs a few seconds, so only these folders pay for it.
    files: ['src/serve/**/*.ts', 'src/pipeline/**/*.ts', 'src/distributed/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // `any` is banned from the product (src/); tests and benchmarks poke at loose JSON and
    // deliberately wrong arguments, where it is the honest type.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
