// The package as a user installs it: `npm run build` output, imported
// through the `exports` map of package.json, with its type declarations.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ROOT } from './support/e2e.js';

// Inside the project, so the built files resolve their dependencies from its node_modules.
mkdirSync(join(ROOT, '.local'), { recursive: true });
const outDir = mkdtempSync(join(ROOT, '.local', 'build-'));
after(() => rmSync(outDir, { recursive: true, force: true }));

test('the build emits every entry of the exports map, and each loads with its API', async () => {
  execFileSync(
    process.execPath,
    [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir],
    {
      stdio: 'pipe',
    },
  );
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { types: string; import: string }>;
  };
  const loaded: Record<string, Record<string, unknown>> = {};
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string') continue; // ./package.json
    for (const file of [target.types, target.import]) {
      const built = join(outDir, file.replace(/^\.\/dist\//, ''));
      assert.ok(existsSync(built), `${entry}: ${file} is built`);
    }
    loaded[entry] = (await import(pathToFileURL(join(outDir, target.import.replace(/^\.\/dist\//, ''))).href)) as Record<string, unknown>;
  }
  for (const name of ['websocket', 'readWebSocketContext', 'webSocketResult', 'http', 'getPublisher', 'relay']) {
    assert.equal(typeof loaded['.']![name], 'function', `grip-lambda exports ${name}`);
  }
  for (const name of ['decodeEvents', 'encodeEvents']) {
    assert.equal(typeof loaded['./protocol']![name], 'function', `grip-lambda/protocol exports ${name}`);
  }
  for (const name of ['getFeed', 'closeSharedFeed']) {
    assert.equal(typeof loaded['./feed']![name], 'function', `grip-lambda/feed exports ${name}`);
  }
  for (const name of ['RedisPresence', 'getPresence', 'closeSharedPresence']) {
    assert.equal(typeof loaded['./presence']![name], 'function', `grip-lambda/presence exports ${name}`);
  }
  for (const name of ['RealtimeClient', 'connect', 'isNewerId']) {
    assert.equal(typeof loaded['./client']![name], 'function', `grip-lambda/client exports ${name}`);
  }
  for (const name of ['startStack', 'freePort', 'lambdaContext']) {
    assert.equal(typeof loaded['./local']![name], 'function', `grip-lambda/local exports ${name}`);
  }
});
