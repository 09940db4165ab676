// README.md and docs/ as a reader meets them: README short enough to read in
// minutes, every relative link landing on a file and heading that exist,
// every shell command either run by a named test or marked as not run here,
// docs/api.md naming every export, and figures left to BENCHMARKS.md.
// (The TypeScript examples compile in readme.test.ts.)
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { entrySources, exportReader, root } from './entry-exports.js';

const README_MAX_LINES = 300;
/** A command no test runs carries this comment (on its line, or as the first line of its block). */
const NOT_RUN = /#\s*not run here\b/;

/** Which test runs a command shown in a ```sh block, and a text in that test that shows it does. */
interface Run {
  readonly command: string | RegExp;
  /** `file#heading-slug` where the command appears; any place when left out. */
  readonly where?: string;
  readonly test: string;
  readonly needle: string;
}

const OWN_PROJECT = 'README.md#your-own-project';
const RUNS: readonly Run[] = [
  { command: 'npm start', test: 'test/e2e/start.test.ts', needle: "join(ROOT, 'scripts', 'start.mjs')" },
  // This repository's `npm test` is what CI runs on a clean machine.
  { command: 'npm test', where: 'README.md#two-commands', test: '.ci/run', needle: '\nnpm test' },
  { command: 'npm test', where: 'docs/contributing.md#getting-started', test: '.ci/run', needle: '\nnpm test' },
  // own-project.test.ts reads the section's first block and runs its commands in a temp folder.
  {
    command: /^(mkdir my-realtime-app && cd my-realtime-app|npm init -y|npm pkg set .+|npm install .+)$/,
    where: OWN_PROJECT,
    test: 'test/e2e/own-project.test.ts',
    needle: "readme.indexOf('\\n## Your own project\\n')",
  },
  { command: 'npx tsc', where: OWN_PROJECT, test: 'test/e2e/own-project.test.ts', needle: "sh('npx', ['tsc'], project)" },
  { command: 'npm test', where: OWN_PROJECT, test: 'test/e2e/own-project.test.ts', needle: "sh('npm', ['test'], project)" },
  // The script `npm pkg set` wrote: grip-lambda dev.
  { command: 'npm run dev', where: OWN_PROJECT, test: 'test/e2e/own-project.test.ts', needle: "startCli('npx', ['grip-lambda', 'dev'" },
  {
    command: 'npx serverless package',
    where: OWN_PROJECT,
    test: 'test/e2e/own-project.test.ts',
    needle: "sh('npx', ['serverless', 'package'], project)",
  },
  {
    command: /^npx serverless invoke local -f news --data .+ \| npx grip-lambda read$/,
    where: OWN_PROJECT,
    test: 'test/e2e/own-project.test.ts',
    needle: "sh('sh', ['-c', invokeLine], project)",
  },
  {
    command: 'npx serverless package',
    where: 'docs/operations.md#deploying',
    test: 'test/e2e/serverless.test.ts',
    needle: "['package', '--package', out]",
  },
  { command: 'npx grip-lambda dev --proxies 3', test: 'test/e2e/dev-cluster.test.ts', needle: "'--proxies',\n      '3'," },
  {
    command: /^npx grip-lambda proxy-config --origin \S+ --out proxy --nodes 3$/,
    test: 'test/e2e/proxy-config.test.ts',
    needle: "'--out', out, '--nodes', '3'",
  },
];

interface Page {
  readonly file: string;
  readonly text: string;
}

const pages: readonly Page[] = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
].map((file) => ({ file, text: readFileSync(join(root, file), 'utf8') }));

/** The anchor GitHub gives a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The text outside fenced blocks, and each fenced block with its language and the heading above it. */
function parse(text: string): { prose: string; headings: string[]; blocks: { lang: string; body: string; heading: string }[] } {
  const headings: string[] = [];
  const blocks: { lang: string; body: string; heading: string }[] = [];
  let prose = '';
  let fence: { lang: string; lines: string[] } | undefined;
  for (const line of text.split('\n')) {
    if (fence !== undefined) {
      if (line.startsWith('```')) {
        blocks.push({ lang: fence.lang, body: fence.lines.join('\n'), heading: headings.at(-1) ?? '' });
        fence = undefined;
      } else fence.lines.push(line);
      continue;
    }
    const opening = /^```(\S*)/.exec(line);
    if (opening !== null) {
      fence = { lang: opening[1]!, lines: [] };
      continue;
    }
    const heading = /^#{1,6} (.+)$/.exec(line);
    if (heading !== null) headings.push(slug(heading[1]!));
    prose += `${line}\n`;
  }
  return { prose, headings, blocks };
}

const parsed = new Map(pages.map((page) => [page.file, parse(page.text)]));

test(`README.md is a front door: under ${README_MAX_LINES} lines, linking the docs and BENCHMARKS.md`, () => {
  const readme = pages[0]!.text;
  const lines = readme.split('\n').length;
  assert.ok(lines < README_MAX_LINES, `README.md has ${lines} lines`);
  assert.match(readme, /\]\(BENCHMARKS\.md\)/);
  for (const page of pages.slice(1)) assert.ok(readme.includes(`](${page.file})`), `README links ${page.file}`);
});

test('every relative link reaches a file, and a heading of it when it names one', () => {
  const broken: string[] = [];
  for (const { file } of pages) {
    for (const [, target] of parsed.get(file)!.prose.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split('#') as [string, string | undefined];
      const resolved = path === '' ? file : normalize(join(dirname(file), path));
      if (!existsSync(join(root, resolved))) {
        broken.push(`${file}: ${target} (no ${resolved})`);
        continue;
      }
      if (anchor === undefined || !resolved.endsWith('.md')) continue;
      const headings = parsed.get(resolved)?.headings ?? parse(readFileSync(join(root, resolved), 'utf8')).headings;
      if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no heading #${anchor} in ${resolved})`);
    }
  }
  assert.deepEqual(broken, []);
});

test('every command in a ```sh block is run by a named test, or marked as not run here', () => {
  const used = new Set<Run>();
  const unaccounted: string[] = [];
  for (const { file } of pages) {
    for (const block of parsed.get(file)!.blocks) {
      if (block.lang !== 'sh' && block.lang !== 'bash') continue;
      const lines = block.body.split('\n');
      if (NOT_RUN.test(lines[0] ?? '')) continue;
      for (const line of lines) {
        if (line.trim() === '' || line.trim().startsWith('#')) continue; // output and notes
        if (NOT_RUN.test(line)) continue;
        const command = line.replace(/\s+#.*$/, '').trim();
        const where = `${file}#${block.heading}`;
        const run = RUNS.find(
          (r) =>
            (r.where === undefined || r.where === where) &&
            (typeof r.command === 'string' ? r.command === command : r.command.test(command)),
        );
        if (run === undefined) unaccounted.push(`${where}: ${command}`);
        else used.add(run);
      }
    }
  }
  assert.deepEqual(unaccounted, [], 'add each to RUNS with the test that runs it, or mark it "# not run here: needs AWS"');
  for (const run of RUNS) {
    assert.ok(used.has(run), `RUNS lists ${run.command} (${run.where ?? 'anywhere'}), which no page shows any more`);
    assert.ok(existsSync(join(root, run.test)), `${run.test} exists`);
    assert.ok(readFileSync(join(root, run.test), 'utf8').includes(run.needle), `${run.test} runs ${run.command}: it holds ${run.needle}`);
  }
});

test('```typescript blocks (files of a project, compiled by own-project.test.ts) are only in README\'s "Your own project"', () => {
  for (const { file } of pages) {
    for (const block of parsed.get(file)!.blocks) {
      if (block.lang === 'typescript') assert.equal(`${file}#${block.heading}`, OWN_PROJECT, block.body.split('\n')[0]);
    }
  }
});

test('docs/api.md names every export of every entry point', () => {
  const api = readFileSync(join(root, 'docs/api.md'), 'utf8');
  const named = new Set([...api.matchAll(/`([A-Za-z_$][\w$]*)[`(]/g)].map((m) => m[1]!));
  const sources = entrySources();
  const exportsOf = exportReader([...sources.values()]);
  const missing = [...sources].flatMap(([entry, file]) =>
    exportsOf(file)
      .filter((name) => !named.has(name))
      .map((name) => `grip-lambda${entry.slice(1)}: ${name}`),
  );
  assert.deepEqual(missing, [], 'name each in docs/api.md, under its entry');
});

test('npm run bench writes BENCHMARKS.md, never README.md or docs/', () => {
  for (const name of readdirSync(join(root, 'bench')).filter((n) => n.endsWith('.ts'))) {
    const source = readFileSync(join(root, 'bench', name), 'utf8');
    assert.doesNotMatch(source, /README\.md|['"`]docs\//, `bench/${name} names README.md or docs/`);
  }
});
