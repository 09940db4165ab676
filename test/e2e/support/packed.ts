// The package as `npm pack` makes it, for the tests that install it as a
// user does (test/e2e/own-project.test.ts, test/e2e/package.test.ts): packed
// once per test run and shared. `npm pack` runs the package's prepack (the
// build) in a copy of what package.json's `files` names, with this
// checkout's node_modules: packing in this checkout would rebuild its dist/
// under whatever else is using it. The tarball is kept in a folder named
// by the test runner's process and by what went into it, so a later run, or
// a run of changed sources, packs again; folders of runs that are gone are
// removed.
import { execFile as execFileCallback } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './e2e.js';

const execFile = promisify(execFileCallback);

interface PackageJson {
  readonly files: readonly string[];
}

const PREFIX = 'grip-lambda-packed-';

/** The files a pack is made from: package.json, the lock file, the TypeScript configs and what `files` names (dist/ is built). */
function inputs(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  const found = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];
  for (const entry of pkg.files.filter((f) => !f.startsWith('dist'))) {
    const path = join(ROOT, entry);
    if (!statSync(path).isDirectory()) found.push(entry);
    else
      for (const name of readdirSync(path, { recursive: true, encoding: 'utf8' })) {
        if (statSync(join(path, name)).isFile()) found.push(relative(ROOT, join(path, name)));
      }
  }
  return found.sort();
}

function digest(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(`${file}\0`);
    hash.update(readFileSync(join(ROOT, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/** Whether process `pid` is alive. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the folders of test runs whose runner is gone. */
function removeStale(): void {
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(/^grip-lambda-packed-(\d+)-/.exec(name)?.[1]);
    if (Number.isInteger(pid) && !alive(pid)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

/** Runs a command (npm, node...) in `cwd`; its stdout, or an error carrying its output. */
export async function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  try {
    const env = { ...process.env, npm_config_update_notifier: 'false', NODE_OPTIONS: '' };
    return (await execFile(command, args, { cwd, env, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

/**
 * The path of the package's tarball, packed by `npm pack` (prepack
 * included) on the first call of this test run, the same file afterwards.
 */
export async function packedTarball(): Promise<string> {
  const files = inputs();
  // The test runner's process: every test file of one run is its child.
  const folder = join(tmpdir(), `${PREFIX}${process.ppid}-${digest(files)}`);
  const tarball = join(folder, 'grip-lambda.tgz');
  if (existsSync(tarball)) return tarball;
  removeStale();
  const staging = mkdtempSync(join(tmpdir(), 'grip-lambda-pack-'));
  try {
    for (const file of files) cpSync(join(ROOT, file), join(staging, file));
    symlinkSync(join(ROOT, 'node_modules'), join(staging, 'node_modules'), 'dir');
    const packed = (await run('npm', ['pack', '--silent', '--pack-destination', staging], staging)).trim().split('\n').at(-1)!;
    mkdirSync(folder, { recursive: true });
    renameSync(join(staging, packed), tarball); // whole or not at all, for another test file of this run
    return tarball;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
