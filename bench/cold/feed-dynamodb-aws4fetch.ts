// A feed read on DynamoDB with aws4fetch (SigV4 on WebCrypto, sent with fetch): the same consistent Query as the SDK's row.
import { AwsClient } from 'aws4fetch';

const env = process.env;
const table = env.DYNAMODB_TABLE ?? 'grip';
const region = env.AWS_REGION ?? 'us-east-1';
const endpoint = env.AWS_ENDPOINT_URL_DYNAMODB ?? `https://dynamodb.${region}.amazonaws.com`;
const aws = new AwsClient({
  accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
  secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
  ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
  region,
  service: 'dynamodb',
});

export async function handler(): Promise<{ statusCode: number }> {
  const response = await aws.fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.Query' },
    body: JSON.stringify({
      TableName: table,
      KeyConditionExpression: 'pk = :p AND sk > :after',
      ExpressionAttributeValues: { ':p': { S: 'f#bench' }, ':after': { S: 'i#' } },
      ConsistentRead: true,
      Limit: 100,
    }),
  });
  const out = (await response.json()) as { Items?: unknown[] };
  return { statusCode: response.ok && (out.Items?.length ?? 0) > 0 ? 200 : 500 };
}
