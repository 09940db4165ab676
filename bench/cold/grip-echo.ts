// The alternative: a minimal echo written directly on @fanoutio/grip, as its README suggests.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeWebSocketEvents, encodeWebSocketEvents, WebSocketContext } from '@fanoutio/grip';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const body = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers)) {
    if (name.startsWith('meta-') && value !== undefined) meta[name.slice(5)] = value;
  }
  const ctx = new WebSocketContext(event.headers['connection-id'] ?? '', meta, decodeWebSocketEvents(body));
  if (ctx.isOpening()) ctx.accept();
  while (ctx.canRecv()) {
    const message = ctx.recvRaw();
    if (message == null) {
      ctx.close(1000);
      break;
    }
    if (typeof message === 'string') ctx.send(message);
    else ctx.sendBinary(message);
  }
  return {
    statusCode: 200,
    headers: ctx.toHeaders(),
    body: Buffer.from(encodeWebSocketEvents(ctx.getOutgoingEvents())).toString('base64'),
    isBase64Encoded: true,
  };
}
