// The README's TypeScript examples compile against the current API, with
// `grip-lambda` and its entries (feed, local, presence, client) mapped to this checkout's sources.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
mkdirSync(join(root, '.local'), { recursive: true });
const dir = mkdtempSync(join(root, '.local', 'readme-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('every ```ts block of README.md type-checks', () => {
  const blocks = [...readFileSync(join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  assert.ok(blocks.length >= 5, `README has ${blocks.length} TypeScript examples`);
  blocks.forEach((block, i) => {
    const source = block
      .replaceAll("from 'grip-lambda/feed'", "from '../../src/feed/index.js'")
      .replaceAll("from 'grip-lambda/local'", "from '../../src/local/index.js'")
      .replaceAll("from 'grip-lambda/testing'", "from '../../src/testing/index.js'")
      .replaceAll("from 'grip-lambda/presence'", "from '../../src/presence/index.js'")
      .replaceAll("from 'grip-lambda/client'", "from '../../src/client/index.js'")
      .replaceAll("from 'grip-lambda'", "from '../../src/index.js'");
    writeFileSync(join(dir, `example-${i}.ts`), `${source}\nexport {};\n`);
  });
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
    assert.fail(`README examples do not compile:\n${String((error as { stdout?: Buffer }).stdout ?? error)}`);
  }
});
