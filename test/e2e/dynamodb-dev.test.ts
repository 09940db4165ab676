// `grip-lambda dev --dynamodb` as from a terminal, on a project of its own:
// the banner names the table and endpoint, the functions see
// DYNAMODB_TABLE and AWS_ENDPOINT_URL_DYNAMODB, the table is there, and
// Ctrl-C leaves no process and no port behind.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { canConnect } from '../../src/local/processes.js';
import { freePort } from '../../src/local/stack.js';
import { DynamoDBApi } from '../../src/store/dynamodb/api.js';
import { output, processesOf, signalGroup, startCli, stillRunning, type CliRun } from './support/cli-run.js';
import { ROOT, waitFor, within } from './support/e2e.js';

const scratch = mkdtempSync(join(tmpdir(), 'grip-lambda-dev-dynamodb-'));
let run: CliRun | undefined;
after(async () => {
  if (run !== undefined) {
    signalGroup(run, 'SIGTERM');
    await within(run.exited, 15_000, 'the CLI to stop').catch(() => signalGroup(run!, 'SIGKILL'));
  }
  rmSync(scratch, { recursive: true, force: true });
});

test('grip-lambda dev --dynamodb: a local DynamoDB with its table for the functions; Ctrl-C leaves nothing', {
  timeout: 120_000,
}, async () => {
  mkdirSync(join(scratch, 'functions'));
  writeFileSync(
    join(scratch, 'serverless.yml'),
    'service: dev-dynamodb\nprovider:\n  name: aws\n  runtime: nodejs24.x\nfunctions:\n  env:\n    handler: functions/env.handler\n    events:\n      - httpApi: GET /env\n',
  );
  writeFileSync(
    join(scratch, 'functions/env.mjs'),
    `export const handler = async () => ({ statusCode: 200, body: JSON.stringify({ table: process.env.DYNAMODB_TABLE, endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: process.env.AWS_REGION, redis: process.env.REDIS_URL ?? null }) });\n`,
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(GRIP_|NODE_TEST|AWS_)/.test(name) || ['REDIS_URL', 'DYNAMODB_TABLE', 'NODE_OPTIONS', 'PORT', 'CONTROL_PORT'].includes(name))
      continue;
    env[name] = value;
  }
  const port = await freePort();
  run = startCli(
    process.execPath,
    [
      '--import',
      import.meta.resolve('tsx'),
      join(ROOT, 'src/local/cli.ts'),
      'dev',
      '--dynamodb',
      '--port',
      String(port),
      '--control-port',
      String(await freePort()),
    ],
    { cwd: scratch, env: { ...env, FORCE_COLOR: '0' } },
  );
  const cli = run;
  await waitFor(
    () => cli.stdout.includes('Ctrl-C stops everything') || cli.exit !== undefined,
    60_000,
    () => `the banner\n${output(cli)}`,
  );
  const shown = /History: +DynamoDB table grip-lambda at (http:\/\/127\.0\.0\.1:(\d+)) \(dynalite\)/.exec(cli.stdout);
  assert.ok(shown, output(cli));
  const endpoint = shown[1]!;

  const seen = (await (await fetch(`http://127.0.0.1:${port}/env`)).json()) as Record<string, string | null>;
  assert.deepEqual(seen, { table: 'grip-lambda', endpoint, region: 'us-east-1', redis: null });
  const api = new DynamoDBApi({
    table: 'grip-lambda',
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const described = await api.call<{ Table: { TableStatus: string } }>('DescribeTable', { TableName: 'grip-lambda' });
  assert.equal(described.Table.TableStatus, 'ACTIVE');

  const started = processesOf(cli);
  assert.ok(
    started.some((p) => p.name === 'node' || p.name.startsWith('node')),
    `dynalite runs as a child: ${JSON.stringify(started.map((p) => p.name))}`,
  );
  signalGroup(cli, 'SIGINT');
  await within(cli.exited, 30_000, 'the CLI to stop on Ctrl-C');
  assert.equal(cli.exit?.code, 0, output(cli));
  assert.deepEqual(stillRunning(started), [], 'every process it started is gone');
  assert.equal(await canConnect(Number(shown[2])), false, 'the DynamoDB port is closed');
});
