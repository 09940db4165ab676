// `npm start` (scripts/start.mjs → src/local/cli.ts dev) as a user runs it:
// it starts, lists its routes, serves the chat page through Pushpin on PORT,
// refuses to start a second time while running (lock file
// .grip-lambda/stack.pid), and on Ctrl-C (SIGINT to its process group) stops
// everything it started.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { canConnect } from '../../src/local/processes.js';
import { freePort } from '../../src/local/stack.js';
import { isRunning, type ProcessRecord } from '../../src/local/process-tree.js';
import { type CliRun, output, processesOf, startCli } from './support/cli-run.js';
import { ROOT, waitFor, within } from './support/e2e.js';

const LOCK_FILE = join(ROOT, '.grip-lambda', 'stack.pid');

const runs: CliRun[] = [];

/** The environment of `npm start` in a terminal: this one's, without what the test runner and other stacks set. */
function cliEnv(port: number, controlPort: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(GRIP_|NODE_TEST)/.test(name) || ['PUBLISH_TOKEN', 'REDIS_URL', 'NODE_OPTIONS'].includes(name)) continue;
    env[name] = value;
  }
  return { ...env, PORT: String(port), CONTROL_PORT: String(controlPort), FORCE_COLOR: '0' };
}

function start(env: NodeJS.ProcessEnv): CliRun {
  const run = startCli(process.execPath, [join(ROOT, 'scripts', 'start.mjs')], { cwd: ROOT, env });
  runs.push(run);
  return run;
}

/** How a run ended (a function, so that earlier checks do not narrow it). */
const exitOf = (run: CliRun) => run.exit;

/** Whether `pid` is running and not a zombie (the lock file holds only a pid). */
function pidIsRunning(pid: number): boolean {
  const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  const stat = ps.stdout.trim();
  return stat !== '' && !stat.startsWith('Z');
}

/** The pid in the lock file, if that process is running (someone's `npm start`). */
function lockHolder(): number | undefined {
  try {
    const pid = Number(readFileSync(LOCK_FILE, 'utf8'));
    return pid > 0 && pidIsRunning(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

let started: ProcessRecord[] = [];

after(async () => {
  // Whatever a failed test left running: Ctrl-C first, then SIGKILL, by pid.
  for (const run of runs) {
    if (run.exit !== undefined || run.child.pid === undefined) continue;
    try {
      process.kill(-run.child.pid, 'SIGINT');
    } catch {
      // gone
    }
    await within(run.exited, 15_000, 'the CLI to stop').catch(() => {
      try {
        process.kill(-run.child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    });
  }
  for (const record of started) {
    if (isRunning(record)) process.kill(record.pid, 'SIGKILL');
  }
});

const holder = lockHolder();

describe('npm start (scripts/start.mjs)', {
  skip: holder !== undefined ? `a local stack is running already (pid ${holder} in .local/stack.pid)` : false,
}, () => {
  test('starts, serves the chat page, refuses a second start, and stops everything on Ctrl-C', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const controlPort = await freePort();
    const env = cliEnv(port, controlPort);

    const first = start(env);
    await waitFor(
      () => first.stdout.includes('Ctrl-C stops everything') || first.exit !== undefined,
      60_000,
      () => `the banner in the output\n${output(first)}`,
    );
    assert.equal(first.exit, undefined, `the CLI exited early\n${output(first)}`);
    // Each route served, with its URL; the SQS relay listed as not served, with why.
    assert.match(first.stdout, new RegExp(`GET / +page +HTTP API +http://localhost:${port}/`));
    assert.match(first.stdout, new RegExp(`POST /echo +echo +HTTP API +http://localhost:${port}/echo +ws://localhost:${port}/echo`));
    assert.match(first.stdout, /Not served:\n +relay \(sqs\): not an HTTP event/);

    const page = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>grip-lambda chat<\/title>/);

    // What it started: Pushpin (and its parts), zurl, and the CLI holding the lock.
    started = processesOf(first);
    const names = started.map((p) => p.name).join('\n');
    assert.match(names, /pushpin/, names);
    assert.match(names, /zurl/, names);
    const lockPid = lockHolder();
    assert.ok(
      lockPid !== undefined && started.some((p) => p.pid === lockPid),
      `the lock file names a running process of this stack (${lockPid})`,
    );

    // A second one, same settings: refused while the first runs.
    const second = start(env);
    await within(second.exited, 60_000, () => `the second CLI to exit\n${output(second)}`);
    assert.notEqual(exitOf(second)?.code, 0, output(second));
    assert.match(second.stderr, /already running/, output(second));
    // ...and the first is unharmed.
    assert.equal(first.exit, undefined);
    assert.equal(lockHolder(), lockPid);
    const again = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(again.status, 200);
    await again.body?.cancel();

    // Ctrl-C: SIGINT to the foreground process group.
    process.kill(-first.child.pid!, 'SIGINT');
    await within(first.exited, 30_000, () => `the CLI to stop after SIGINT\n${output(first)}`);
    assert.equal(exitOf(first)?.code, 0, output(first));
    assert.match(first.stdout, /Stopping/);

    assert.equal(await canConnect(port), false, `nothing listens on PORT ${port} any more`);
    assert.equal(await canConnect(controlPort), false, `nothing listens on CONTROL_PORT ${controlPort} any more`);
    await waitFor(
      () => started.every((p) => !isRunning(p)),
      10_000,
      () => `every process of the stack to be gone: ${JSON.stringify(started.filter((p) => isRunning(p)))}`,
    );
    assert.equal(lockHolder(), undefined, 'the lock is released');
  });
});
