// The browser bundle of grip-lambda/client: at most 3 KB minified and
// gzipped, and the copy the chat page serves is the one src/client/ builds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { bundleClient, generatedModule, GENERATED } from '../../scripts/client-script.js';

test('the client bundle is at most 3 KB minified and gzipped', async () => {
  const bundle = await bundleClient();
  const gzipped = gzipSync(bundle, { level: 9 }).length;
  console.log(`client bundle: ${bundle.length} bytes minified, ${gzipped} bytes gzipped`);
  assert.ok(gzipped <= 3 * 1024, `${gzipped} bytes gzipped`);
});

test('functions/lib/client-script.ts is up to date (npm run build:client), and safe inside <script>', async () => {
  const bundle = await bundleClient();
  assert.equal(readFileSync(GENERATED, 'utf8'), generatedModule(bundle), 'run npm run build:client');
  assert.ok(!/<\/script/i.test(bundle));
});
