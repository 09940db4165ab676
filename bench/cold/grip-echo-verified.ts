// The alternative with the check every deployment needs: the minimal
// @fanoutio/grip echo, first verifying Grip-Sig with grip's validateSig.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { validateSig } from '@fanoutio/grip';
import { handler as echo } from './grip-echo.js';

const key = process.env.GRIP_VERIFY_KEY ?? '';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  if (!(await validateSig(event.headers['grip-sig'] ?? '', key, 'pushpin'))) {
    return { statusCode: 401, body: 'invalid Grip-Sig\n' };
  }
  return echo(event);
}
