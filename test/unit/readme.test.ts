// The TypeScript examples of README.md and docs/*.md compile against the
// current API as written: `grip-lambda` and its entries resolve to this
// checkout's sources through tsconfig.json's paths, as they do for
// functions/. (README's "Your own project" files are ```typescript blocks,
// compiled in a project of their own by test/e2e/own-project.test.ts.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
mkdirSync(join(root, '.local'), { recursive: true });
const dir = mkdtempSync(join(root, '.local', 'readme-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const pages = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

test('every ```ts block of README.md and docs/*.md type-checks', () => {
  const written: string[] = [];
  for (const page of pages) {
    const blocks = [...readFileSync(join(root, page), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```/gm)].map((match) => match[1]!);
    blocks.forEach((block, i) => {
      // Named after the page and the block's place in it, so an error says which example to fix.
      const name = `${page.replace(/\.md$/, '').replace(/\//g, '-')}-${i + 1}.ts`;
      writeFileSync(join(dir, name), `${block}\nexport {};\n`);
      written.push(name);
    });
  }
  assert.ok(written.filter((name) => name.startsWith('README-')).length >= 1, 'README shows a handler');
  assert.ok(written.length >= 10, `${written.length} TypeScript examples in all`);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../../tsconfig.json',
      // Examples show shapes, not whole programs: parameters may go untyped (as in JavaScript) and locals unused.
      compilerOptions: { noEmit: true, noImplicitAny: false, noUnusedLocals: false, noUnusedParameters: false },
      include: ['./*.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { stdio: 'pipe' });
  } catch (error) {
    assert.fail(`examples do not compile (file names: page-block.ts):\n${String((error as { stdout?: Buffer }).stdout ?? error)}`);
  }
});
