// grip-lambda/serverless declaring the DynamoDB table, with the real osls
// CLI on a project of its own (fixtures/dynamodb): `serverless package`'s
// CloudFormation holds the table (the stores' key schema, TTL on `ttl`,
// on-demand billing), DYNAMODB_TABLE for the functions and the role's
// statement for the stores' operations on that table alone; a REDIS_URL
// beside it stops the package, naming both.
import assert from 'node:assert/strict';
import { execFile as execFileCallback } from 'node:child_process';
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { TABLE_DEFINITION } from '../../src/store/dynamodb/table.js';
import { offlineEnv, ROOT } from './support/serverless-cli.js';

const execFile = promisify(execFileCallback);
const FIXTURE = join(ROOT, 'test', 'e2e', 'fixtures', 'dynamodb');
const SERVERLESS_BIN = join(ROOT, 'node_modules', '.bin', 'serverless');
const scratch = `.esbuild/dynamodb-${process.pid}`;

after(() => {
  rmSync(join(FIXTURE, scratch), { recursive: true, force: true });
  try {
    rmdirSync(join(FIXTURE, '.esbuild'));
  } catch {
    // Not empty (another run's) or gone.
  }
});

let runs = 0;
async function serverlessPackage(env: Record<string, string> = {}): Promise<{ code: number; output: string; packageDir: string }> {
  const run = `${scratch}/${++runs}`;
  const packageDir = join(FIXTURE, run, 'package');
  try {
    const { stdout, stderr } = await execFile(process.execPath, [SERVERLESS_BIN, 'package', '--package', packageDir], {
      cwd: FIXTURE,
      env: { ...offlineEnv(), SERVERLESS_ESBUILD_WORK_FOLDER: `${run}/build`, ...env },
      timeout: 90_000,
    });
    return { code: 0, output: stdout + stderr, packageDir };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, output: `${e.stdout ?? ''}${e.stderr ?? ''}`, packageDir };
  }
}

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

test('serverless package declares the table, DYNAMODB_TABLE and the IAM statement for it', { timeout: 120_000 }, async () => {
  const run = await serverlessPackage();
  assert.equal(run.code, 0, run.output);
  const template = JSON.parse(readFileSync(join(run.packageDir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
  const table = template.Resources.GripLambdaTable;
  assert.equal(table?.Type, 'AWS::DynamoDB::Table');
  assert.deepEqual(table.Properties.KeySchema, TABLE_DEFINITION.KeySchema, "the stores' key schema");
  assert.deepEqual(table.Properties.AttributeDefinitions, TABLE_DEFINITION.AttributeDefinitions);
  assert.equal(table.Properties.BillingMode, 'PAY_PER_REQUEST');
  assert.deepEqual(table.Properties.TimeToLiveSpecification, { AttributeName: 'ttl', Enabled: true });

  const fn = Object.values(template.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
  const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
  assert.deepEqual(variables.DYNAMODB_TABLE, { Ref: 'GripLambdaTable' });

  const role = template.Resources.IamRoleLambdaExecution!;
  const statements = (
    role.Properties.Policies as { PolicyDocument: { Statement: { Effect: string; Action: string[]; Resource: unknown }[] } }[]
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const onTable = statements.filter((s) => JSON.stringify(s.Resource).includes('GripLambdaTable'));
  assert.equal(onTable.length, 1, JSON.stringify(statements));
  assert.equal(onTable[0]!.Effect, 'Allow');
  assert.deepEqual(onTable[0]!.Resource, [{ 'Fn::GetAtt': ['GripLambdaTable', 'Arn'] }]);
  for (const action of ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'BatchWriteItem', 'DescribeTable'])
    assert.ok(onTable[0]!.Action.includes(`dynamodb:${action}`), `allows dynamodb:${action}`);
  assert.ok(!onTable[0]!.Action.some((a) => a === 'dynamodb:*' || a.includes('Scan') || a.includes('DeleteTable')), 'nothing more');
});

test('with REDIS_URL set as well, serverless package stops, naming both', { timeout: 120_000 }, async () => {
  const run = await serverlessPackage({ FIXTURE_REDIS_URL: 'redis://cache.example:6379' });
  assert.notEqual(run.code, 0, run.output);
  assert.match(run.output, /custom\.gripLambda\.dynamodb and provider\.environment\.REDIS_URL are both set/);
});
