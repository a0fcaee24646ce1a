// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

// Protocol code must be a deterministic state machine: everything time-, randomness- or
// I/O-related comes from the node environment, so the same code runs in the simulator, a real
// process and the browser, and the same seed replays the same run.
const DETERMINISTIC_CODE = ['src/core/**/*.ts', 'src/protocols/**/*.ts', 'src/systems/**/*.ts'];
const takeFromEnv = 'Protocol code must take it from the node environment (NodeEnv).';
const forbiddenGlobals = [
  'Date',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'clearImmediate',
  'queueMicrotask',
  'performance',
  'process',
].map((name) => ({ name, message: `${name} is non-deterministic here. ${takeFromEnv}` }));
const forbiddenModules = [
  'fs',
  'fs/promises',
  'net',
  'dgram',
  'child_process',
  'worker_threads',
  'timers',
  'timers/promises',
  'perf_hooks',
  'process',
  'os',
].flatMap((m) => [m, `node:${m}`]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'lab/dist/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: DETERMINISTIC_CODE,
    rules: {
      'no-restricted-globals': ['error', ...forbiddenGlobals],
      'no-restricted-properties': [
        'error',
        { object: 'Math', property: 'random', message: `Math.random is unseeded. ${takeFromEnv}` },
        { object: 'globalThis', property: 'setTimeout', message: takeFromEnv },
        { object: 'globalThis', property: 'Date', message: takeFromEnv },
        { object: 'globalThis', property: 'process', message: takeFromEnv },
        { object: 'globalThis', property: 'performance', message: takeFromEnv },
      ],
      'no-restricted-imports': [
        'error',
        {
          paths: forbiddenModules.map((name) => ({
            name,
            message: `No I/O, timers or processes in protocol code. ${takeFromEnv}`,
          })),
        },
      ],
    },
  },
);
