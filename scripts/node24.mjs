#!/usr/bin/env node
// Node.js 24, the Node.js of Lambda's nodejs24.x runtime, for tests: the npm
// package node-<platform>-<arch>@24 installed into .local/node24
// (gitignored). Never into the project's own node_modules: that package puts
// `node` in node_modules/.bin, which would then be the `node` of every npm
// script.
//
//   node scripts/node24.mjs          installs it if needed, prints the binary's path
//   node scripts/node24.mjs test     the unit tests under it (what CI runs)
//
// Plain JavaScript, so that it runs on any Node.js the development tools run on.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const NODE24_DIR = join(ROOT, '.local', 'node24');
const MAJOR = 24;
const PACKAGE = `node-${process.platform}-${process.arch}`;
const BINARY = join(NODE24_DIR, 'node_modules', PACKAGE, 'bin', 'node');

/** The binary's version (`v24.x.y`), or undefined when it is missing or does not run. */
function versionOf(binary) {
  if (!existsSync(binary)) return undefined;
  const run = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** The path of a Node.js 24 binary, installed from npm into .local/node24 first if it is not there. */
export function ensureNode24({ quiet = false } = {}) {
  if (versionOf(BINARY)?.startsWith(`v${MAJOR}.`)) return BINARY;
  if (!quiet) console.error(`[node24] installing ${PACKAGE}@${MAJOR} into ${NODE24_DIR} ...`);
  try {
    execFileSync(
      'npm',
      ['install', '--prefix', NODE24_DIR, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${PACKAGE}@${MAJOR}`],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' },
    );
  } catch (error) {
    throw new Error(`npm install ${PACKAGE}@${MAJOR} into ${NODE24_DIR} failed: ${error.stderr || error.message}`);
  }
  const version = versionOf(BINARY);
  if (!version?.startsWith(`v${MAJOR}.`)) {
    throw new Error(`${PACKAGE}@${MAJOR} installed, but ${BINARY} is ${version ? `Node.js ${version}` : 'missing or does not run'}`);
  }
  return BINARY;
}

/** The environment for a child on Node.js 24: without what this process's test runner or tsx set. */
export function node24Env(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const name of Object.keys(env)) if (name.startsWith('NODE_TEST')) delete env[name];
  delete env.NODE_OPTIONS;
  return env;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const command = process.argv[2];
  const node24 = ensureNode24();
  if (command === undefined) {
    console.log(node24);
  } else if (command === 'test') {
    console.error(`[node24] unit tests on Node.js ${versionOf(node24)}`);
    // Node.js 24 expands the glob itself. Not --test-force-exit: with it a file's process can exit
    // before its last results reach the runner, and those tests count as neither passed nor failed
    // (7 of 87 missing in one of six runs of two files). A file left waiting on an open socket or
    // timer is caught by the timeout instead, which fails the run.
    const args = ['--import', 'tsx', '--test', '--test-concurrency=1', 'test/unit/*.test.ts'];
    const TIMEOUT_MS = 20 * 60_000;
    const run = spawnSync(node24, args, {
      cwd: ROOT,
      env: node24Env(),
      stdio: 'inherit',
      timeout: TIMEOUT_MS,
      killSignal: 'SIGKILL',
    });
    if (run.error !== undefined || run.signal !== null) {
      console.error(
        `[node24] the unit tests did not finish within ${TIMEOUT_MS / 60_000} min (${run.error?.message ?? run.signal}): a test file waits on something left open`,
      );
      process.exit(1);
    }
    process.exit(run.status ?? 1);
  } else {
    console.error(`usage: node scripts/node24.mjs [test]`);
    process.exit(2);
  }
}
