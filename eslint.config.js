// Lint rules that guard what the type checker does not: floating promises (an unawaited store
// write is lost when an activation ends) and the borders between the project's rooms.
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', 'bench-results/**', '**/*.js'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: __dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      // Dead imports and variables hide what a module really depends on. `_`-prefixed: kept on purpose
      // (a parameter a signature requires, a field left out of a copy by destructuring).
      '@typescript-eslint/no-unused-vars': ['error', {
        args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true,
      }],
    },
  },
  {
    // The local platform is a server users may run without whiskflow's orchestrator: it never
    // reaches into the engines, stores or CLI (they reach it only through the openwhisk client).
    files: ['lib/platform/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/core/**', '**/core', '**/runtimes/**', '**/deploy/**', '**/cli/**', '**/report/**', '**/dashboard/**', '**/store/run-store', '**/store/couchdb', '**/store/cloudant'], message: 'lib/platform must not import the orchestrator rooms' },
      ] }],
    },
  },
  {
    // The dashboard's browser bundle: the pure graph/timeline model and types only, nothing of Node's.
    files: ['lib/dashboard/browser/**/*.ts', 'lib/dashboard/browser/**/*.tsx'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['node:*', '**/core/**', '**/runtimes/**', '**/store/**', '**/platform/**', '**/cli/**', '../data', '../handler', '../mount', '../start'], message: 'the browser bundle takes only lib/dashboard/model and types', allowTypeImports: true },
      ] }],
    },
  },
  {
    // Tests mirror lib/ and share code through one test kit (test/helpers/): a suite never reaches
    // into another suite's folder, and the kit imports no suite.
    files: ['test/integration/**/*.ts', 'test/conformance/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/unit/**'], message: 'shared test code lives in the test kit (test/helpers/), not in test/unit' },
      ] }],
    },
  },
  {
    files: ['test/helpers/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/unit/**', '**/integration/**', '**/conformance/**'], message: 'the test kit (test/helpers/) imports no test suite' },
      ] }],
    },
  },
  {
    // Small modules, one concept each: no file in lib/ over 400 lines (blank lines and comments count).
    files: ['lib/**/*.ts', 'lib/**/*.tsx'],
    rules: { 'max-lines': ['error', { max: 400, skipBlankLines: false, skipComments: false }] },
  },
  {
    // The pure core: no I/O clients.
    files: ['lib/model/**/*.ts', 'lib/conditions/**/*.ts', 'lib/events/**/*.ts', 'lib/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['openwhisk', 'nano', '@ibm-cloud/cloudant', 'kafkajs', 'ioredis', 'node:http', 'http', 'node:fs', 'fs'] }],
    },
  },
);
