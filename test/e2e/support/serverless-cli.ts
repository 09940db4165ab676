// Runs the Serverless Framework CLI (osls, from node_modules/.bin) the way the
// e2e test needs it: offline, without AWS credentials, timed, and killed if it
// hangs (osls stays up when a handler fails to load during `invoke local`:
// serverless-esbuild's esbuild context is never disposed).
import { spawn } from 'node:child_process';
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where serverless.yml is. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVERLESS_BIN = join(ROOT, 'node_modules', '.bin', 'serverless');

/**
 * serverless-esbuild's work folder for this process's runs (serverless.yml
 * reads it from SERVERLESS_ESBUILD_WORK_FOLDER): it zips whatever it finds
 * there, so each test run starts from an empty one, and neither disturbs
 * nor is disturbed by a developer's .esbuild/.build or another run.
 */
export const WORK_FOLDER = join('.esbuild', `e2e-${process.pid}`);

/** Removes this process's work folder, and .esbuild too if nothing else is left in it. */
export function removeWorkFolder(): void {
  rmSync(join(ROOT, WORK_FOLDER), { recursive: true, force: true });
  try {
    if (readdirSync(join(ROOT, '.esbuild')).length === 0) rmdirSync(join(ROOT, '.esbuild'));
  } catch {
    // Gone already, or someone else's build is in it.
  }
}

export interface CommandRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock time, in milliseconds. */
  readonly ms: number;
}

/**
 * The environment for the CLI: the caller's, without anything that would
 * reach AWS or change what the functions see. Every AWS_* variable goes
 * (credentials, profiles, container credential endpoints), the shared
 * config and credentials files point at nothing, and the EC2 instance
 * metadata service is not probed (osls resolves credentials for
 * `invoke local`; probing it offline costs seconds). GRIP_* and the other
 * settings the functions read are dropped: serverless.yml and the command
 * line alone set them.
 */
export function offlineEnv(): NodeJS.ProcessEnv {
  const nowhere = join(tmpdir(), `grip-lambda-no-aws-${process.pid}`); // never created
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(AWS_|GRIP_)/.test(name)) continue;
    if (['PUBLISH_TOKEN', 'REDIS_URL', 'NODE_TEST_CONTEXT', 'SLS_DEBUG'].includes(name)) continue;
    env[name] = value;
  }
  return {
    ...env,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: join(nowhere, 'credentials'),
    AWS_CONFIG_FILE: join(nowhere, 'config'),
    SERVERLESS_ESBUILD_WORK_FOLDER: WORK_FOLDER,
    FORCE_COLOR: '0',
    NO_COLOR: '1',
  };
}

/** Runs `serverless ARGS...` in the repository; resolves with its output whatever the exit code. */
export function runServerless(args: readonly string[], timeoutMs = 60_000): Promise<CommandRun> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SERVERLESS_BIN, ...args], {
      cwd: ROOT,
      env: offlineEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let grace: NodeJS.Timeout | undefined;
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      // osls ends an error report with its environment and docs lines; if it then stays up, it is stuck.
      if (grace === undefined && /^Docs: /m.test(Buffer.concat(stderr).toString('utf8'))) {
        grace = setTimeout(() => child.kill('SIGKILL'), 3_000);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      clearTimeout(grace);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(grace);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        ms: Math.round(performance.now() - started),
      });
    });
  });
}

/** What a run printed, for assertion messages. */
export function describeRun(args: readonly string[], run: CommandRun): string {
  return [
    `serverless ${args.join(' ')} exited with ${run.code ?? run.signal} after ${run.ms} ms`,
    `--- stdout ---\n${run.stdout}`,
    `--- stderr ---\n${run.stderr}`,
  ].join('\n');
}

/**
 * The handler's result from `serverless invoke local` output: osls prints it
 * last, as indented JSON starting on a line of its own. Anything the handler
 * or the CLI logged to stdout before it is skipped.
 */
export function parseInvokeResult(stdout: string): unknown {
  const text = stdout.replace(/\r\n/g, '\n');
  const starts: number[] = [];
  for (let at = 0; at < text.length; at = text.indexOf('\n', at) + 1 || text.length) {
    if (text[at] === '{' || text[at] === '[') starts.push(at);
  }
  for (const start of starts) {
    try {
      return JSON.parse(text.slice(start));
    } catch {
      // Not the result: an earlier log line starting with a brace.
    }
  }
  throw new Error(`no JSON result in invoke output:\n${stdout}`);
}
