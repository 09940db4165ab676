// serverless.yml read into the local host's routes (src/local/routes.ts):
// each service loads its own instance of its functions' ES modules.
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { readRoutes } from '../../src/local/routes.js';

const root = mkdtempSync(join(tmpdir(), 'grip-routes-'));
after(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'functions'));
writeFileSync(
  join(root, 'serverless.yml'),
  'service: s\nfunctions:\n  setting:\n    handler: functions/setting.handler\n    events:\n      - httpApi: { method: GET, path: /setting }\n',
);
// Reads its setting when loaded, as websocket() and http() do.
writeFileSync(
  join(root, 'functions/setting.mjs'),
  'const setting = process.env.ROUTES_TEST_SETTING;\nexport const handler = async () => ({ statusCode: 200, body: setting });\n',
);

async function loadSetting(): Promise<unknown> {
  const service = await readRoutes(root);
  const [route] = service.routes;
  assert.equal(route?.path, '/setting');
  const handler = await route!.load();
  return ((await handler({} as never)) as { body: unknown }).body;
}

describe('readRoutes', () => {
  test('each service loads its functions afresh: a second one reads the settings of its time, and an import of the module elsewhere is not shared', async () => {
    process.env.ROUTES_TEST_SETTING = 'first';
    const imported = (await import(pathToFileURL(join(root, 'functions/setting.mjs')).href)) as {
      handler: () => Promise<{ body: unknown }>;
    };
    process.env.ROUTES_TEST_SETTING = 'second';
    assert.equal(await loadSetting(), 'second');
    process.env.ROUTES_TEST_SETTING = 'third';
    assert.equal(await loadSetting(), 'third');
    assert.equal((await imported.handler()).body, 'first');
    delete process.env.ROUTES_TEST_SETTING;
  });
});
