// Grip-Sig (HS256) checked with jose's jwtVerify, bundled and loaded at init, as grip-lambda checked it before moving off jose.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jwtVerify } from 'jose';

const secret = new TextEncoder().encode(process.env.GRIP_VERIFY_KEY ?? '');

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  try {
    await jwtVerify(event.headers['grip-sig'] ?? '', secret, { algorithms: ['HS256'], issuer: 'pushpin', requiredClaims: ['exp'] });
    return { statusCode: 200 };
  } catch {
    return { statusCode: 401 };
  }
}
