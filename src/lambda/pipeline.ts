import { RequestError } from '../errors.js';
import { observe, type Observation } from '../observe/observation.js';
import type { GripPublisher } from '../publish/publisher.js';
import { errorResult, gateFor } from './gate.js';
import { markLogged, runInvocation } from './invocation.js';
import { readHandlerSettings, type GripOptions, type HandlerSettings } from './settings.js';
import type { HttpRequest, HttpResponse, LambdaHandler, LambdaHttpEvent, LambdaHttpResult } from './types.js';

/**
 * What a handler kind does with an admitted request, given the handler's
 * publisher bound to the invocation and what observes the invocation; a
 * thrown RequestError is answered with its status.
 */
export type Serve = (
  request: HttpRequest,
  settings: HandlerSettings,
  publisher: GripPublisher,
  observation: Observation,
) => HttpResponse | Promise<HttpResponse>;

/**
 * The one path every HTTP event takes: settings read once (here, when the
 * handler is made), then per event: the invocation scope (deadline, pending
 * publishes, the publisher bound to it), the gate (front door, Grip-Sig),
 * `serve`, the answer shaped for the front door, and, before returning, the
 * invocation's pending publishes. A RequestError becomes its status and
 * reason; any other throw is logged and answered 500. Pending publishes
 * never change the answer: a failed one rejects its own promise and is
 * logged (see `runInvocation`).
 */
export function lambdaHttpHandler(serve: Serve, options: GripOptions = {}): LambdaHandler {
  const settings = readHandlerSettings(options);
  const gate = gateFor(settings);
  return async (event, context) => {
    const observation = observe(settings.observe, context);
    const result = await runInvocation(
      context,
      settings.publisher,
      async (publisher): Promise<LambdaHttpResult> => {
        let admitted;
        try {
          admitted = await gate.admit(event);
        } catch (error) {
          if (error instanceof RequestError && error.status === 401) observation.gripSigRejected();
          return failed(error, event, observation);
        }
        try {
          observation.admitted(admitted.frontDoor.name, admitted.request);
          return admitted.frontDoor.result(await serve(admitted.request, settings, publisher, observation), event);
        } catch (error) {
          return failed(error, event, observation);
        }
      },
      observation,
    );
    observation.end(result.statusCode ?? 200);
    return result;
  };
}

/** The answer to a request that failed: its RequestError's status, or a logged 500. */
function failed(error: unknown, event: LambdaHttpEvent, observation: Observation): LambdaHttpResult {
  if (error instanceof RequestError) return errorResult(error, event);
  markLogged(error);
  observation.failed('handler failed', error);
  return errorResult(new RequestError(500, 'internal error'), event);
}
