import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { decodeBody, encodeBody, lowerCaseHeaders, pathParams } from './body.js';
import type { FrontDoor, FrontDoorName, HttpRequest, HttpResponse } from './types.js';

/** The gate answers 400 for the TypeError: a query that is not a string would throw later, in the function. */
function rawQueryString(value: unknown): string {
  if (value == null) return '';
  if (typeof value !== 'string') throw new TypeError('rawQueryString is not a string');
  return value;
}

function request(event: APIGatewayProxyEventV2): HttpRequest {
  const headers = lowerCaseHeaders(event.headers);
  // Payload 2.0 moves Cookie headers into `cookies`.
  if (event.cookies != null && event.cookies.length > 0 && !headers.has('cookie')) {
    headers.set('cookie', event.cookies.join('; '));
  }
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    rawQuery: rawQueryString(event.rawQueryString),
    headers,
    params: pathParams(event.pathParameters),
    body: decodeBody(event.body, event.isBase64Encoded),
  };
}

function result(response: HttpResponse): APIGatewayProxyStructuredResultV2 {
  const { body, isBase64Encoded } = encodeBody(response);
  return { statusCode: response.status, headers: response.headers, body, isBase64Encoded };
}

function payloadV2(name: FrontDoorName): FrontDoor<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2> {
  return { name, request, result };
}

/** API Gateway HTTP API, payload 2.0. */
export const apiGatewayHttp = payloadV2('api-gateway-http');

/** Lambda Function URLs use the payload 2.0 shape too. */
export const functionUrl = payloadV2('function-url');
