/**
 * Mutation testing of the JIT core (docs/mutation-testing.md): `npm run test:mutation` builds, then runs
 * StrykerJS over the compiled JavaScript in dist/, against the core's unit tests and the route tests.
 *
 * Why the compiled JavaScript: TypeScript 7 has no JavaScript API, so StrykerJS can neither type-check
 * mutants (its TypeScript checker) nor compile TypeScript itself. Mutating dist/ needs neither.
 *
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'dist/src/jit/**/*.js',
    'dist/src/service/serializers.js',
    // The x86-64 explainer's decoding, src/jit/decode.ts before the explainer left the compiler. Not the
    // explorer's annotations of the decoded code: the names and explanations of its encoding fields and
    // mnemonics, the rest of src/explain/ (docs/mutation-testing.md says why).
    'dist/src/explain/x86-64/decoder.js',
    'dist/src/explain/x86-64/annotate.js',
  ],
  testRunner: 'tap',
  tap: {
    testFiles: [
      'dist/test/jit/*.test.js',
      'dist/test/jit/*/*.test.js',
      'dist/test/explain/x86-64/*.test.js',
      'dist/test/service/serializers.test.js',
      'dist/test/routes/*.test.js',
    ],
    // node:test prints TAP with this reporter; the runner adds its coverage hook and the file itself. The
    // watchdog kills a test process stuck in a mutant's machine code once StrykerJS has given up on it.
    nodeArgs: [
      '--test-reporter=tap',
      '--import',
      './dist/test/support/mutation-watchdog.js',
      '-r',
      '{{hookFile}}',
      '{{testFile}}',
    ],
  },
  // The TAP runner runs whole files: each mutant runs only the test files that executed its code.
  coverageAnalysis: 'perTest',
  // Two runners on this two-core machine; `--concurrency 1` when it is busy with other work.
  concurrency: 2,
  // A busy machine makes test files slower than in the dry run: give them room before calling a timeout.
  timeoutMS: 10000,
  // Re-runs test only mutants whose code or covering tests changed. The file is not committed: it is
  // rewritten by every run, and a score for the record comes from a full run (`--incremental false`).
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 95, low: 90, break: 90 },
  // Keep StrykerJS away from TypeScript 7: its tsconfig rewriting imports the TypeScript API (which 7 does
  // not have), and there is no type checker to configure. The sandbox needs no tsconfig: dist/ is built.
  tsconfigFile: 'stryker-reads-no-tsconfig.json',
  disableTypeChecks: false,
  checkers: [],
  tempDirName: '.stryker-tmp',
};
