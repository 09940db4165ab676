// The README's TypeScript examples compile against the current API as
// written: `grip-lambda` and its entries resolve to this checkout's sources
// through tsconfig.json's paths, as they do for functions/.
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
    writeFileSync(join(dir, `example-${i}.ts`), `${block}\nexport {};\n`);
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
