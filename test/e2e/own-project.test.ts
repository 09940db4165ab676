// README's "Your own project", followed as a new user would, outside this
// repository: `npm pack` (prepack builds; support/packed.ts, shared with
// test/e2e/package.test.ts), a temp folder, the section's
// commands and files exactly as shown, the tarball and the devDependencies it
// lists installed from the registry (npm's shared cache), then the project's
// own type check and unit test, `npx grip-lambda dev` talked to with a real
// `ws` client and stopped with Ctrl-C (none of its processes left), and
// `npx serverless package`, each zip's handler loaded and invoked in a fresh
// Node process.
import assert from 'node:assert/strict';
import { execFile as execFileCallback, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { after, test } from 'node:test';
import WebSocket from 'ws';
import { canConnect } from '../../src/local/processes.js';
import { freePort } from '../../src/local/stack.js';
import { output, processesOf, signalGroup, startCli, stillRunning, type CliRun } from './support/cli-run.js';
import { ROOT, waitFor, within } from './support/e2e.js';
import { packedTarball } from './support/packed.js';
import { readZip } from './support/serverless-zip.js';

const execFile = promisify(execFileCallback);
const scratch = mkdtempSync(join(tmpdir(), 'grip-lambda-own-'));
const project = join(scratch, 'my-realtime-app');
const runs: CliRun[] = [];
after(async () => {
  for (const run of runs) {
    signalGroup(run, 'SIGINT');
    await within(run.exited, 15_000, 'grip-lambda dev to stop').catch(() => signalGroup(run, 'SIGKILL'));
  }
  // The project's node_modules holds ~20,000 files: removed in the background, not on the test's time.
  spawn('rm', ['-rf', scratch], { detached: true, stdio: 'ignore' }).unref();
});

/** The environment of a terminal: without what the test runner, tsx and other stacks set here. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(GRIP_|NODE_TEST|AWS_|npm_)/.test(name) || ['PUBLISH_TOKEN', 'REDIS_URL', 'NODE_OPTIONS', 'TSX_TSCONFIG_PATH'].includes(name))
      continue;
    env[name] = value;
  }
  return { ...env, FORCE_COLOR: '0', NO_COLOR: '1', AWS_EC2_METADATA_DISABLED: 'true', npm_config_update_notifier: 'false' };
}

/** The README section: its shell commands and its files, each block opening with a comment naming the file. */
function readmeSection(): { commands: string[]; files: Map<string, string>; invoke: { line: string; expected: string[] } } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Your own project\n');
  assert.ok(start >= 0, 'README has a section "Your own project"');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end);
  const commands: string[] = [];
  const files = new Map<string, string>();
  let invoke: { line: string; expected: string[] } | undefined;
  for (const [, lang, body] of section.matchAll(/```(\w+)\n([\s\S]*?)```/g)) {
    const lines = body!.split('\n').filter((line) => line !== '');
    if (lang === 'sh' && lines[0]!.startsWith('npx serverless invoke local')) {
      invoke = { line: lines[0]!, expected: lines.slice(1).map((line) => line.replace(/^# /, '')) };
      continue;
    }
    const first = body!.split('\n')[0]!;
    const named = /^(?:\/\/|#) ([\w./-]+\.\w+)$/.exec(first);
    if (named !== null && lang !== 'sh') files.set(named[1]!, body!);
    else if (lang === 'sh' && commands.length === 0) commands.push(...body!.split('\n').filter((line) => line.trim() !== ''));
  }
  assert.ok(invoke !== undefined, 'the section shows serverless invoke local with grip-lambda event and read');
  return { commands, files, invoke };
}

async function sh(
  command: string,
  args: readonly string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<{ stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await execFile(command, args, { cwd, env: userEnv(), timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
    if (process.env.GRIP_LAMBDA_TEST_TIMINGS)
      console.error(`${Math.round(performance.now() - started)} ms: ${command} ${args.join(' ').slice(0, 60)}`);
    return { stdout, stderr, ms: performance.now() - started };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\nstdout: ${e.stdout?.slice(-3000)}\nstderr: ${e.stderr?.slice(-3000)}`,
    );
  }
}

/** `name@range` -> [name, range] (scoped names keep their leading @). */
function splitSpec(spec: string): [string, string] {
  const at = spec.lastIndexOf('@');
  return at > 0 ? [spec.slice(0, at), spec.slice(at + 1)] : [spec, '*'];
}

test("README's own project: install, type-check, unit test, grip-lambda dev, Ctrl-C, package", { timeout: 300_000 }, async (t) => {
  const timings: Record<string, number> = {};
  // npm pack runs prepack (the build) first.
  const packStarted = performance.now();
  const tarball = await packedTarball();
  timings['npm pack'] = performance.now() - packStarted;
  assert.ok(existsSync(tarball), `npm pack wrote ${tarball}`);

  const {
    commands,
    files,
    invoke: { line: invokeLine, expected: invokeExpected },
  } = readmeSection();
  mkdirSync(project, { recursive: true });
  // The section's commands, in order: setup as shown; the two installs as one npm install of the same
  // packages (the tarball for grip-lambda), which resolves the tree once.
  const deps: Record<string, string> = {};
  const devDeps: Record<string, string> = {};
  for (const line of commands) {
    const words = line.split(/\s+/);
    if (words[0] === 'mkdir' || words[0] === 'cd' || line.startsWith('mkdir ')) continue;
    if (words[0] !== 'npm') assert.fail(`unexpected command in the README section: ${line}`);
    if (words[1] === 'install') {
      const dev = words.includes('--save-dev') || words.includes('-D');
      for (const spec of words.slice(2).filter((w) => !w.startsWith('-'))) {
        const [name, range] = splitSpec(spec);
        (dev ? devDeps : deps)[name] = name === 'grip-lambda' ? `file:${tarball}` : range;
      }
      continue;
    }
    // npm init -y / npm pkg set ...: as shown (the quotes are the shell's).
    const args = [...line.matchAll(/(?:[^\s"]+|"[^"]*")+/g)].map((m) => m[0].replace(/"/g, '')).slice(1);
    await sh('npm', args, project);
  }
  assert.ok('grip-lambda' in deps, 'the section installs grip-lambda');
  const pkgFile = join(project, 'package.json');
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(pkgFile, JSON.stringify({ ...pkg, dependencies: deps, devDependencies: devDeps }, null, 2));
  const install = await sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project, 240_000);
  timings['npm install'] = install.ms;

  for (const [name, body] of files) {
    mkdirSync(dirname(join(project, name)), { recursive: true });
    writeFileSync(join(project, name), body);
  }
  for (const name of ['serverless.yml', 'functions/news.ts', 'functions/publish.ts', 'test/news.test.ts', 'tsconfig.json']) {
    assert.ok(files.has(name), `the section shows ${name}`);
  }

  // The project's type check, its unit test and `serverless package` run meanwhile: they do not touch what dev does.
  const checks = Promise.all([
    sh('npx', ['tsc'], project).then((r) => (timings['npx tsc'] = r.ms)),
    sh('npm', ['test'], project).then((r) => (timings['npm test'] = r.ms)),
    // A CommonJS require() of every entry loads (Node.js 20.19+ requires ES modules).
    sh(
      process.execPath,
      [
        '-e',
        "for (const e of ['grip-lambda','grip-lambda/feed','grip-lambda/local','grip-lambda/testing']) if (typeof require(e) !== 'object') throw new Error(e)",
      ],
      project,
    ),
    // Then (same build folder) the section's invoke-local line, whose output it shows as comments.
    sh('npx', ['serverless', 'package'], project).then(async (r) => {
      timings['serverless package'] = r.ms;
      const invoke = await sh('sh', ['-c', invokeLine], project);
      timings['invoke local | read'] = invoke.ms;
      assert.equal(invoke.stdout.trim(), invokeExpected.join('\n'), `${invokeLine}\n${invoke.stderr}`);
    }),
  ]);
  checks.catch(() => {}); // awaited below; a failure there must not go unhandled meanwhile

  // npx grip-lambda dev, as in a terminal.
  const port = await freePort();
  const controlPort = await freePort();
  const devStarted = performance.now();
  const dev = startCli('npx', ['grip-lambda', 'dev', '--port', String(port), '--control-port', String(controlPort)], {
    cwd: project,
    env: userEnv(),
  });
  runs.push(dev);
  await waitFor(
    () => dev.stdout.includes('Ctrl-C stops everything') || dev.exit !== undefined,
    60_000,
    () => `the banner\n${output(dev)}`,
  );
  timings['grip-lambda dev start'] = performance.now() - devStarted;
  assert.equal(dev.exit, undefined, output(dev));
  assert.match(dev.stdout, /POST \/news +news/);
  assert.match(dev.stdout, /POST \/publish +publish/);

  const ws = new WebSocket(`ws://127.0.0.1:${port}/news`);
  const received: string[] = [];
  ws.on('message', (data) => received.push(String(data)));
  await within(new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject)), 10_000, 'the WebSocket to open');
  ws.send('hello');
  await waitFor(
    () => received.includes('hello'),
    10_000,
    () => `the echo; got ${JSON.stringify(received)}`,
  );
  const published = await fetch(`http://127.0.0.1:${port}/publish`, {
    method: 'POST',
    body: 'breaking',
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(published.status, 202, await published.text());
  await waitFor(
    () => received.includes('breaking'),
    10_000,
    () => `the publish; got ${JSON.stringify(received)}`,
  );
  assert.match(dev.stdout, /news +POST \/news 200 conn=\w+ in=TEXT out=TEXT/);

  // What it started: zurl, Pushpin and Pushpin's children, Redis when installed.
  const started = processesOf(dev);
  const names = started.map((p) => p.name);
  for (const name of ['zurl', 'pushpin', 'condure', 'pushpin-proxy', 'pushpin-handl']) {
    assert.ok(
      names.some((n) => n.startsWith(name)),
      `${name} runs: ${names.join(', ')}`,
    );
  }
  const runDirs = new Set(
    started.flatMap((p) => {
      try {
        return [...readFileSync(`/proc/${p.pid}/cmdline`, 'latin1').matchAll(/--config=(\/[^\0]*)\/pushpin\.conf/g)].map((m) => m[1]!);
      } catch {
        return [];
      }
    }),
  );
  assert.equal(runDirs.size, 1, `one temp folder: ${[...runDirs].join(', ')}`);

  ws.close();
  signalGroup(dev, 'SIGINT');
  await within(dev.exited, 30_000, () => `grip-lambda dev to stop after SIGINT\n${output(dev)}`);
  // npx exits by the same SIGINT once the CLI (which exits 0) is done.
  const devExit = dev.exit as CliRun['exit'];
  assert.ok(devExit?.code === 0 || devExit?.signal === 'SIGINT', `exit ${JSON.stringify(devExit)}\n${output(dev)}`);
  assert.match(dev.stdout, /Stopping/);
  await waitFor(
    () => stillRunning(started).length === 0,
    10_000,
    () => `every process to be gone: ${JSON.stringify(stillRunning(started))}`,
  );
  assert.equal(await canConnect(port), false, 'nothing listens on --port');
  assert.equal(await canConnect(controlPort), false, 'nothing listens on --control-port');
  for (const dir of runDirs) assert.equal(existsSync(dir), false, `${dir} is removed`);

  await checks;
  // Each zip's handler loads in a fresh Node process, and answers.
  const zips = readdirSync(join(project, '.serverless')).filter((name) => name.endsWith('.zip'));
  assert.deepEqual(zips.sort(), ['news.zip', 'publish.zip']);
  for (const zip of zips) {
    const dir = mkdtempSync(join(scratch, 'zip-'));
    for (const entry of readZip(readFileSync(join(project, '.serverless', zip)))) {
      mkdirSync(dirname(join(dir, entry.name)), { recursive: true });
      writeFileSync(join(dir, entry.name), entry.data);
    }
    const bundle = join(dir, 'functions', zip.replace('.zip', '.cjs'));
    assert.ok(
      existsSync(bundle),
      `${zip} holds ${bundle}: ${readZip(readFileSync(join(project, '.serverless', zip)))
        .map((e) => e.name)
        .join(', ')}`,
    );
    // The event comes from grip-lambda/testing, required (CommonJS) from the project.
    const script = `
      const { handler } = require(${JSON.stringify(bundle)});
      if (typeof handler !== 'function') throw new Error('no handler export');
      const { webSocketRequest, readWebSocketResult } = require('grip-lambda/testing');
      if (${JSON.stringify(zip)} === 'news.zip') handler(webSocketRequest({ path: '/news' })).then((r) => console.log(JSON.stringify(readWebSocketResult(r).accepted)));
      else console.log('true');`;
    const loaded = await sh(process.execPath, ['-e', script], project);
    assert.equal(loaded.stdout.trim().split('\n').at(-1), 'true', `${zip}: ${loaded.stdout}${loaded.stderr}`);
  }
  t.diagnostic(`timings (ms): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
});
