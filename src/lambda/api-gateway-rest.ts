import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import {
  decodeBody,
  encodeBody,
  foldMultiValueHeaders,
  lowerCaseHeaders,
  pathParams,
  queryFromMultiValue,
  queryFromSingleValue,
} from './body.js';
import type { FrontDoor } from './types.js';
import { log } from '../observe/current.js';

let warnedTextOnly = false;

/**
 * API Gateway REST API (payload 1.0). A REST API base64-encodes bodies only
 * for its `binaryMediaTypes`: a request that arrived base64-encoded proves
 * `application/websocket-events` is one, so the answer may be base64 too.
 * Otherwise the API passes bodies as text both ways, and the answer goes back
 * as UTF-8 text (a BINARY frame that is not UTF-8 cannot survive that).
 */
export const apiGatewayRest: FrontDoor<APIGatewayProxyEvent, APIGatewayProxyResult> = {
  name: 'api-gateway-rest',
  request(event) {
    const headers =
      event.multiValueHeaders != null && Object.keys(event.multiValueHeaders).length > 0
        ? foldMultiValueHeaders(event.multiValueHeaders)
        : lowerCaseHeaders(event.headers);
    const rawQuery =
      event.multiValueQueryStringParameters != null
        ? queryFromMultiValue(event.multiValueQueryStringParameters)
        : queryFromSingleValue(event.queryStringParameters);
    return {
      method: event.httpMethod,
      path: event.path,
      rawQuery,
      headers,
      params: pathParams(event.pathParameters),
      body: decodeBody(event.body, event.isBase64Encoded),
    };
  },
  result(response, event) {
    if (event.isBase64Encoded || typeof response.body === 'string') {
      return { statusCode: response.status, headers: response.headers, ...encodeBody(response) };
    }
    if (!warnedTextOnly && event.body != null && event.body !== '') {
      warnedTextOnly = true;
      log(
        'warn',
        'REST API request body was not base64-encoded: add application/websocket-events to binaryMediaTypes, or BINARY frames will not survive',
      );
    }
    return {
      statusCode: response.status,
      headers: response.headers,
      body: Buffer.from(response.body).toString('utf8'),
      isBase64Encoded: false,
    };
  },
};
