import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', '.run/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error',
        { property: 'innerHTML', message: 'Spark and Prometheus strings reach the screen as text.' },
        { property: 'outerHTML', message: 'Spark and Prometheus strings reach the screen as text.' },
        { property: 'insertAdjacentHTML', message: 'Spark and Prometheus strings reach the screen as text.' }],
    },
  },
  {
    // model/ stays pure: no editor, no network, no clock (time is passed in).
    files: ['src/model/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['vscode', 'fs', 'node:fs', 'http', 'node:http', 'https', 'node:https', 'child_process', 'node:child_process'] }],
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='Date'][property.name='now']", message: 'model/ takes time as an argument.' }],
    },
  },
  {
    // Views never fetch: they subscribe to the store, which owns every read (sources/ is its alone).
    files: ['src/features/**/*.ts', 'src/ui/**/*.ts', 'webview/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['http', 'https', 'node:http', 'node:https'],
        patterns: [{ group: ['**/sources/*', '**/sources'], message: 'Views read through the store (src/store/), never a source.' }],
      }],
    },
  },
  {
    files: ['scripts/**/*.mjs', 'scripts/**/*.js', 'test/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
