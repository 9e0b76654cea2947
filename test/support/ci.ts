/** What the test run knows about where it runs: under CI (.ci/run), and which of CI's runtimes this is. */

/** CI sets CI=true (.ci/run): there a missing browser or Docker engine fails the run instead of skipping. */
export const inCI = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';

/**
 * .ci/run runs the whole suite once per supported Node.js version. The container and browser tests do not
 * depend on the host's Node.js (the image brings its own; the browser is Chromium), so they run on the
 * first version only, and the later runs set BABYJIT_RUNTIME_INDEPENDENT_TESTS=skip. The reason to give
 * node:test's `skip`, or false.
 */
export const skipRuntimeIndependent: string | false =
  process.env.BABYJIT_RUNTIME_INDEPENDENT_TESTS === 'skip'
    ? 'SKIPPED: runs once per CI run, on its first Node.js; it does not depend on the host runtime'
    : false;
