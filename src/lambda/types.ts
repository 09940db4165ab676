import type {
  ALBEvent,
  ALBResult,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyResult,
  APIGatewayProxyStructuredResultV2,
  Context,
  LambdaFunctionURLEvent,
} from 'aws-lambda';

/** Every HTTP event shape Lambda receives: REST API, HTTP API, Function URL, ALB. */
export type LambdaHttpEvent = APIGatewayProxyEvent | APIGatewayProxyEventV2 | LambdaFunctionURLEvent | ALBEvent;

/** What the handler answers; its shape follows the event's. */
export type LambdaHttpResult = APIGatewayProxyResult | APIGatewayProxyStructuredResultV2 | ALBResult;

/** A Lambda function for HTTP events, as `websocket()` and `http()` make them. */
export type LambdaHandler = (event: LambdaHttpEvent, context?: Context) => Promise<LambdaHttpResult>;

/** Request headers with lower-case names, as every front door delivers them. */
export type RequestHeaders = ReadonlyMap<string, string>;

/** An HTTP request, whichever front door it came through. */
export interface HttpRequest {
  readonly method: string;
  /** The path as the client sent it, without the query. */
  readonly path: string;
  /** Raw query string without the leading `?`. */
  readonly rawQuery: string;
  readonly headers: RequestHeaders;
  /** Path parameters the route matched (`/chat/{room}` gives `room`); empty where the front door has no routes. */
  readonly params: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** An HTTP response before it is shaped for a front door. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** Bytes are sent base64-encoded where the front door allows it; strings as text. */
  readonly body: Uint8Array | string;
}

export type FrontDoorName = 'api-gateway-rest' | 'api-gateway-http' | 'function-url' | 'alb';

/** One processor per event shape: reads its event, writes its result. */
export interface FrontDoor<E extends LambdaHttpEvent = LambdaHttpEvent, R extends LambdaHttpResult = LambdaHttpResult> {
  readonly name: FrontDoorName;
  request(event: E): HttpRequest;
  result(response: HttpResponse, event: E): R;
}
