// grip-lambda/serverless: the DynamoDB table the feeds, presence and
// sequence numbers keep their items in, declared for a service that asks
// for it in serverless.yml:
//
//   custom:
//     gripLambda:
//       dynamodb: true            # or { tableName: my-table }
//
// One table (string keys pk and sk, expiry by the `ttl` attribute, billed
// per request), DYNAMODB_TABLE set for every function, and the functions'
// role allowed the operations the stores make on it, and no others.
// src/store/dynamodb/table.ts has the same key schema; a test compares them.

const LOGICAL_ID = 'GripLambdaTable';

/** The operations the stores call (DescribeTable only to explain a wrong key schema). */
const ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
  'dynamodb:BatchWriteItem',
  'dynamodb:DescribeTable',
];

function tableResource(tableName) {
  return {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      ...(tableName ? { TableName: tableName } : {}),
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    },
  };
}

/**
 * Adds the table, DYNAMODB_TABLE and the IAM statement to the service when
 * `custom.gripLambda.dynamodb` asks for them. Refuses a REDIS_URL with a
 * value beside it: the functions would fail at start with both set.
 */
function addDynamoDBTable(serverless, ServerlessError = Error) {
  const service = serverless.service;
  const asked = service.custom?.gripLambda?.dynamodb;
  if (!asked) return;
  const tableName = typeof asked === 'object' && typeof asked.tableName === 'string' ? asked.tableName : undefined;
  const provider = service.provider;
  const redisUrl = provider.environment?.REDIS_URL;
  if (typeof redisUrl === 'string' && redisUrl !== '') {
    throw new ServerlessError(
      'grip-lambda: custom.gripLambda.dynamodb and provider.environment.REDIS_URL are both set: the functions keep their feeds and presence in one store; remove one',
      'GRIP_LAMBDA_TWO_STORES',
    );
  }
  service.resources = service.resources ?? {};
  service.resources.Resources = service.resources.Resources ?? {};
  service.resources.Resources[LOGICAL_ID] = tableResource(tableName);
  provider.environment = { ...(provider.environment ?? {}), DYNAMODB_TABLE: { Ref: LOGICAL_ID } };
  provider.iam = provider.iam ?? {};
  provider.iam.role = provider.iam.role ?? {};
  provider.iam.role.statements = [
    ...(provider.iam.role.statements ?? []),
    { Effect: 'Allow', Action: ACTIONS, Resource: [{ 'Fn::GetAtt': [LOGICAL_ID, 'Arn'] }] },
  ];
}

module.exports = { addDynamoDBTable, LOGICAL_ID, ACTIONS };
