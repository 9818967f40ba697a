// ESLint over the front-end sources in static/ and their tests (flat config).
import js from '@eslint/js';
import globals from 'globals';

export default [
  // Built or copied by npm run build and by wheel builds: not our sources.
  { ignores: ['static/widget/dist/**', 'static/vendor/**', 'build/**', 'node_modules/**', '.venv/**'] },
  js.configs.recommended,
  {
    files: ['static/**/*.js'],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: { ...globals.browser },
    },
    rules: {
      'no-unused-vars': ['error', { args: 'none', caughtErrors: 'none' }],
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    // Classic scripts: the sample shop.
    files: ['static/shop/**/*.js'],
    languageOptions: { sourceType: 'script' },
  },
  {
    // The personal offer page's own script (served by bot/pages.py at /m/page.js).
    files: ['bot/html/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'script', globals: { ...globals.browser } },
  },
  {
    // The benchmark's bare Node baseline (bench/node has its own CommonJS package).
    files: ['bench/**/*.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    files: ['tests/js/**/*.js', 'scripts/**/*.mjs', 'eslint.config.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.node } },
  },
];
