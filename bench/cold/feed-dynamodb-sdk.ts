// A feed read on DynamoDB with @aws-sdk/client-dynamodb: the client made at init, one consistent Query on the first request.
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';

const table = process.env.DYNAMODB_TABLE ?? 'grip';
const client = new DynamoDBClient({});

export async function handler(): Promise<{ statusCode: number }> {
  const out = await client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :p AND sk > :after',
      ExpressionAttributeValues: { ':p': { S: 'f#bench' }, ':after': { S: 'i#' } },
      ConsistentRead: true,
      Limit: 100,
    }),
  );
  return { statusCode: (out.Items?.length ?? 0) > 0 ? 200 : 500 };
}
