import { describeError, RequestError } from '../errors.js';
import { errorResult, gateFor, type Admitted } from './gate.js';
import { markLogged, runInvocation } from './invocation.js';
import { readHandlerSettings, type GripOptions, type HandlerSettings } from './settings.js';
import type { HttpRequest, HttpResponse, LambdaHandler, LambdaHttpEvent, LambdaHttpResult } from './types.js';

/**
 * What a handler kind does with an admitted request, at once or in a
 * promise; a thrown RequestError is answered with its status.
 */
export type Serve = (request: HttpRequest, settings: HandlerSettings) => HttpResponse | Promise<HttpResponse>;

/**
 * The one path every HTTP event takes: settings read once (here, when the
 * handler is made), then per event: the invocation scope (deadline,
 * settings, pending publishes), the gate (front door, Grip-Sig), `serve`,
 * the answer shaped for the front door, and, before returning, the
 * invocation's pending publishes. A RequestError becomes its status and
 * reason; any other throw is logged and answered 500. Pending publishes
 * never change the answer: a failed one rejects its own promise and is
 * logged (see `runInvocation`). Steps that can answer at once do, without
 * a promise each: this runs on every invocation.
 */
export function lambdaHttpHandler(serve: Serve, options: GripOptions = {}): LambdaHandler {
  const settings = readHandlerSettings(options);
  const gate = gateFor(settings);
  const answer = (admitted: Admitted, event: LambdaHttpEvent): LambdaHttpResult | Promise<LambdaHttpResult> => {
    const response = serve(admitted.request, settings);
    return response instanceof Promise
      ? response.then((served) => admitted.frontDoor.result(served, event))
      : admitted.frontDoor.result(response, event);
  };
  const failed = (error: unknown, event: LambdaHttpEvent): LambdaHttpResult => {
    if (error instanceof RequestError) return errorResult(error, event);
    markLogged(error);
    console.error(`[grip-lambda] ${describeError(error, { stack: true })}`);
    return errorResult(new RequestError(500, 'internal error'), event);
  };
  const handle = (event: LambdaHttpEvent): LambdaHttpResult | Promise<LambdaHttpResult> => {
    let result: LambdaHttpResult | Promise<LambdaHttpResult>;
    try {
      const admitted = gate.admit(event);
      result = admitted instanceof Promise ? admitted.then((ready) => answer(ready, event)) : answer(admitted, event);
    } catch (error) {
      return failed(error, event);
    }
    return result instanceof Promise ? result.catch((error: unknown) => failed(error, event)) : result;
  };
  return (event, context) => runInvocation(context, () => handle(event), settings);
}
