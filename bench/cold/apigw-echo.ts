// The API Gateway WebSocket API way: an echo that sends with the management API client.
import type { APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';

const client = new ApiGatewayManagementApiClient({
  endpoint: process.env.APIGW_ENDPOINT ?? 'https://example.execute-api.us-east-1.amazonaws.com/prod',
});

export async function handler(event: APIGatewayProxyWebsocketEventV2): Promise<{ statusCode: number }> {
  if (event.requestContext.routeKey === '$default' && event.body !== undefined) {
    await client.send(new PostToConnectionCommand({ ConnectionId: event.requestContext.connectionId, Data: event.body }));
  }
  return { statusCode: 200 };
}
