'use strict';
// AWS Lambda's Node.js runtimes, as grip-lambda/serverless checks them: the
// ones a function can be deployed on, and the closed ones, on which Lambda
// refuses to create or update functions. docs/runtimes.md says the same.

/** What to deploy on: the newest Lambda Node.js runtime. */
const RECOMMENDED_RUNTIME = 'nodejs24.x';

/**
 * Runtimes Lambda creates functions on, newest first: the date each is
 * deprecated, and the flags Lambda starts Node.js with there (Lambda's
 * Node.js documentation): on 22, require() of ES modules and module-type
 * detection are off; on 24, neither flag is set.
 */
const SUPPORTED_RUNTIMES = Object.freeze([
  Object.freeze({ runtime: 'nodejs24.x', deprecated: '2028-04-30', nodeFlags: Object.freeze([]) }),
  Object.freeze({
    runtime: 'nodejs22.x',
    deprecated: '2027-04-30',
    nodeFlags: Object.freeze(['--no-experimental-require-module', '--no-experimental-detect-module']),
  }),
]);

/**
 * The newest closed runtime: Lambda deprecated it on 2026-04-30 (Node.js 20's
 * end of life), stopped creating functions on it on 2026-08-31 and updating
 * them on 2026-09-30. Every older Node.js runtime closed before it.
 */
const LAST_CLOSED = Object.freeze({ major: 20, runtime: 'nodejs20.x', noCreate: '2026-08-31', noUpdate: '2026-09-30' });

/**
 * The Node.js major version of a Lambda runtime identifier: `nodejs20.x` ->
 * 20, `nodejs8.10` -> 8, `nodejs4.3-edge` -> 4, plain `nodejs` (Node.js
 * 0.10) -> 0; undefined for anything else (another language, a custom
 * runtime, nothing).
 */
function nodeMajorOf(runtime) {
  if (runtime === 'nodejs') return 0;
  const match = /^nodejs(\d+)\.(?:x|\d+)(?:-edge)?$/.exec(String(runtime ?? ''));
  return match ? Number(match[1]) : undefined;
}

/** Whether Lambda no longer creates functions on this runtime. */
function isClosedRuntime(runtime) {
  const major = nodeMajorOf(runtime);
  return major !== undefined && major <= LAST_CLOSED.major;
}

/**
 * One line for the functions on a closed runtime: which functions, the
 * runtime, since when Lambda refuses it, and what to use instead. Lambda's
 * dates for runtimes older than nodejs20.x are not repeated here: they all
 * closed before it.
 */
function closedRuntimeLine(runtime, functionNames) {
  const names = functionNames.map((name) => `"${name}"`);
  const which = names.length === 1 ? `function ${names[0]} uses` : `functions ${names.slice(0, -1).join(', ')} and ${names.at(-1)} use`;
  const since =
    runtime === LAST_CLOSED.runtime
      ? `AWS Lambda has refused to create functions on it since ${LAST_CLOSED.noCreate} (and to update them since ${LAST_CLOSED.noUpdate})`
      : `AWS Lambda no longer creates or updates functions on it (it closed before ${LAST_CLOSED.runtime}, closed since ${LAST_CLOSED.noCreate})`;
  return `${which} runtime ${runtime}: ${since}; set runtime: ${RECOMMENDED_RUNTIME} (supported until ${SUPPORTED_RUNTIMES[0].deprecated}).`;
}

/** The esbuild target for bundles that must run on every one of these runtimes: the oldest Node.js among them. */
function esbuildTargetFor(runtimes) {
  const majors = runtimes.map(nodeMajorOf).filter((major) => major !== undefined);
  return `node${majors.length > 0 ? Math.min(...majors) : nodeMajorOf(RECOMMENDED_RUNTIME)}`;
}

module.exports = {
  RECOMMENDED_RUNTIME,
  SUPPORTED_RUNTIMES,
  LAST_CLOSED,
  nodeMajorOf,
  isClosedRuntime,
  closedRuntimeLine,
  esbuildTargetFor,
};
