// grip-lambda/serverless and Lambda's runtimes, with the real osls CLI on a
// project of its own (fixtures/runtimes): `serverless package` stops, before
// building anything, with one line per closed runtime naming its functions,
// the date and the runtime to use; open runtimes package, each bundle built
// for the oldest Node.js among them; `invoke local` warns and runs.
import assert from 'node:assert/strict';
import { execFile as execFileCallback } from 'node:child_process';
import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { offlineEnv, ROOT } from './support/serverless-cli.js';

const execFile = promisify(execFileCallback);
const FIXTURE = join(ROOT, 'test', 'e2e', 'fixtures', 'runtimes');
const SERVERLESS_BIN = join(ROOT, 'node_modules', '.bin', 'serverless');
const { LAST_CLOSED, RECOMMENDED_RUNTIME } = createRequire(import.meta.url)('../../serverless/runtimes.cjs') as {
  LAST_CLOSED: { runtime: string; noCreate: string };
  RECOMMENDED_RUNTIME: string;
};
const CLOSED = LAST_CLOSED.runtime;

// Build folders and packages of this process's own, inside the fixture (serverless-esbuild takes them relative to it).
const scratch = `.esbuild/runtimes-${process.pid}`;
after(() => {
  rmSync(join(FIXTURE, scratch), { recursive: true, force: true });
  try {
    rmdirSync(join(FIXTURE, '.esbuild'));
  } catch {
    // Not empty (another run's) or gone.
  }
});

interface Run {
  readonly code: number;
  readonly output: string;
  readonly packageDir: string;
}

let runs = 0;
/** `serverless ARGS` in the fixture, with the provider's and the `own` function's runtimes as given. */
async function serverless(args: readonly string[], providerRuntime: string, ownRuntime: string): Promise<Run> {
  const run = `${scratch}/${++runs}`;
  const packageDir = join(FIXTURE, run, 'package');
  const fullArgs = args[0] === 'package' ? [...args, '--package', packageDir] : args;
  const env = {
    ...offlineEnv(),
    FIXTURE_PROVIDER_RUNTIME: providerRuntime,
    FIXTURE_FUNCTION_RUNTIME: ownRuntime,
    SERVERLESS_ESBUILD_WORK_FOLDER: `${run}/build`,
  };
  try {
    const { stdout, stderr } = await execFile(process.execPath, [SERVERLESS_BIN, ...fullArgs], { cwd: FIXTURE, env, timeout: 90_000 });
    return { code: 0, output: stdout + stderr, packageDir };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string; message: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}`, packageDir };
  }
}

// The four runs start together (each has its own folders); each test awaits its own.
const runsOf = {
  closedProvider: serverless(['package'], CLOSED, RECOMMENDED_RUNTIME),
  closedFunction: serverless(['package'], RECOMMENDED_RUNTIME, CLOSED),
  open: serverless(['package'], 'nodejs24.x', 'nodejs22.x'),
  invokeLocal: serverless(['invoke', 'local', '-f', 'ping', '--data', '{}'], CLOSED, RECOMMENDED_RUNTIME),
};
for (const run of Object.values(runsOf)) run.catch(() => {}); // awaited by its test

const gripLines = (output: string): string[] => output.split('\n').filter((line) => line.includes('grip-lambda: '));

test('serverless package stops on a closed provider runtime: one line naming its functions, the date, and the runtime to use', {
  timeout: 120_000,
}, async () => {
  const run = await runsOf.closedProvider;
  assert.notEqual(run.code, 0, run.output);
  assert.deepEqual(gripLines(run.output), [
    `grip-lambda: functions "ping" and "pong" use runtime ${CLOSED}: AWS Lambda has refused to create functions on it since ` +
      `${LAST_CLOSED.noCreate} (and to update them since 2026-09-30); set runtime: ${RECOMMENDED_RUNTIME} (supported until 2028-04-30).`,
  ]);
  // Stopped before anything was built or written.
  assert.equal(existsSync(run.packageDir), false, 'no package written');
  assert.doesNotMatch(run.output, /Compiling/);
});

test("serverless package stops on one function's closed runtime, naming that function only", { timeout: 120_000 }, async () => {
  const run = await runsOf.closedFunction;
  assert.notEqual(run.code, 0, run.output);
  const lines = gripLines(run.output);
  assert.equal(lines.length, 1, run.output);
  assert.match(
    lines[0]!,
    new RegExp(
      `^grip-lambda: function "own" uses runtime ${CLOSED.replace('.', '\\.')}: .*${LAST_CLOSED.noCreate}.*set runtime: nodejs24\\.x`,
    ),
  );
  assert.equal(existsSync(run.packageDir), false, 'no package written');
});

test('open runtimes package: each function on its runtime, bundled for the oldest Node.js among them', { timeout: 120_000 }, async () => {
  const run = await runsOf.open;
  assert.equal(run.code, 0, run.output);
  assert.deepEqual(gripLines(run.output), []);
  assert.match(run.output, /Compiling to node22 bundle/);
  const template = JSON.parse(readFileSync(join(run.packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: { Handler?: string; Runtime?: string } }>;
  };
  const deployed = Object.values(template.Resources)
    .filter((resource) => resource.Type === 'AWS::Lambda::Function')
    .map((resource) => `${resource.Properties.Runtime}`)
    .sort();
  assert.deepEqual(deployed, ['nodejs22.x', 'nodejs24.x', 'nodejs24.x']);
  for (const name of ['ping', 'pong', 'own']) assert.ok(existsSync(join(run.packageDir, `${name}.zip`)), `${name}.zip`);
});

test('serverless invoke local on a closed runtime warns with the same line, and runs the function', { timeout: 120_000 }, async () => {
  const run = await runsOf.invokeLocal;
  assert.equal(run.code, 0, run.output);
  const lines = gripLines(run.output);
  assert.equal(lines.length, 1, run.output);
  assert.match(lines[0]!, /^Warning: grip-lambda: function "ping" uses runtime /);
  assert.match(run.output, /"statusCode": 200/);
  assert.match(run.output, /pong v\d+/);
});
