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

// Only + − × ÷ and sqrt are exactly specified by IEEE 754; these differ between JS engines in
// their last bits (Node 20 and Chromium do), which would make a seed replay differently in the
// lab than in the CLI. src/core/det-math.ts computes them with basic operations instead.
const ENGINE_DEPENDENT_MATH = [
  'log',
  'log2',
  'log10',
  'log1p',
  'exp',
  'expm1',
  'pow',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'atan2',
  'sinh',
  'cosh',
  'tanh',
  'cbrt',
  'hypot',
].map((property) => ({
  object: 'Math',
  property,
  message: `Math.${property} rounds differently between JS engines; use src/core/det-math.ts.`,
}));

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
    // The lab runs in the browser (its vite.config.ts and the e2e tests run in Node).
    files: ['lab/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The simulator is allowed the clock and I/O, but what shapes a run must replay everywhere.
    files: ['src/sim/**/*.ts'],
    rules: {
      'no-restricted-properties': ['error', ...ENGINE_DEPENDENT_MATH],
      'no-restricted-syntax': [
        'error',
        {
          selector: "BinaryExpression[operator='**']",
          message: 'use detPow from src/core/det-math.ts',
        },
      ],
    },
  },
  {
    files: DETERMINISTIC_CODE,
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "BinaryExpression[operator='**']",
          message: 'use detPow from src/core/det-math.ts',
        },
      ],
      'no-restricted-globals': ['error', ...forbiddenGlobals],
      'no-restricted-properties': [
        'error',
        ...ENGINE_DEPENDENT_MATH,
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
