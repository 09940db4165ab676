/**
 * The echo function at another commit against today's, for the before and
 * after of a change: each checkout's functions/echo.ts bundled with its own
 * build plugins, then, side by side in one run with @fanoutio/grip's echoes,
 * load plus the first signed request (fresh processes, as bench/cold-start.ts)
 * and the whole 1-event invocation (in one process, as bench/micro.ts).
 *
 *   node --import tsx bench/before-after.ts <commit> [samples]
 *
 * The other commit is checked out in a temporary git worktree (using this
 * checkout's node_modules) and removed after.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Plugin } from 'esbuild';
import { bundle, measure, signedOpenEvent } from './cold-start.js';
import { compareMicros, httpApiEvent, textBody } from './micro.js';

const root = join(import.meta.dirname, '..');
const [commit, samplesArg] = process.argv.slice(2);
if (commit === undefined) throw new Error('usage: node --import tsx bench/before-after.ts <commit> [samples]');
const samples = Number(samplesArg ?? 21);

const dir = mkdtempSync(join(tmpdir(), 'grip-before-after-'));
const before = join(dir, 'checkout');
const require = createRequire(import.meta.url);
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
git('worktree', 'add', '--detach', before, commit);
try {
  symlinkSync(join(root, 'node_modules'), join(before, 'node_modules'));
  const files = {
    before: join(dir, 'echo-before.cjs'),
    after: join(dir, 'echo-after.cjs'),
    gripVerified: join(dir, 'grip-echo-verified.cjs'),
    grip: join(dir, 'grip-echo.cjs'),
  };
  await bundle(join(before, 'functions/echo.ts'), files.before, {
    plugins: require(join(before, 'build/esbuild-plugins.cjs')) as Plugin[],
  });
  await bundle(join(root, 'functions/echo.ts'), files.after);
  await bundle(join(root, 'bench/cold/grip-echo-verified.ts'), files.gripVerified);
  await bundle(join(root, 'bench/cold/grip-echo.ts'), files.grip);

  const cold = measure([files.before, files.after, files.gripVerified], [true, true, true], await signedOpenEvent(), samples, dir);
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [coldBefore, coldAfter, coldGrip] = cold.map((rows) => median(rows.map((row) => row.firstRequestMs ?? Number.NaN)));

  // In-process, as bench/micro.ts: no verify key, as grip's echo has none.
  delete process.env.GRIP_URL;
  delete process.env.GRIP_VERIFY_KEY;
  const warn = console.warn;
  console.warn = () => {};
  type Echo = (event: unknown) => Promise<unknown>;
  const load = (file: string) => (require(file) as { handler: Echo }).handler;
  const [echoBefore, echoAfter, gripEcho] = [load(files.before), load(files.after), load(files.grip)];
  const event = httpApiEvent(textBody(1, 64));
  const [usBefore, usGripBefore] = await compareMicros(
    () => echoBefore(event),
    () => gripEcho(event),
  );
  const [usAfter, usGripAfter] = await compareMicros(
    () => echoAfter(event),
    () => gripEcho(event),
  );
  console.warn = warn;

  const short = git('rev-parse', '--short', commit).toString().trim();
  const ms = (value: number | undefined) => `${value?.toFixed(2)} ms`;
  const us = (value: number) => `${value.toFixed(2)} µs`;
  console.log(`Node.js ${process.versions.node}; ${short} (before) against this checkout (after)`);
  console.log(
    `echo load + first signed request: before ${ms(coldBefore)}, after ${ms(coldAfter)}; @fanoutio/grip echo + validateSig ${ms(coldGrip)}`,
  );
  console.log(
    `whole 1-event invocation: before ${us(usBefore)} (grip ${us(usGripBefore)}), after ${us(usAfter)} (grip ${us(usGripAfter)})`,
  );
} finally {
  git('worktree', 'remove', '--force', before);
  rmSync(dir, { recursive: true, force: true });
}
