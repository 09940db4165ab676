import type { WebSocketContext, WebSocketMessage } from './context.js';

type Awaitable<T> = T | Promise<T>;

/** A route's handler: the message's JSON body (with its route key), and the message itself. */
export type RouteHandler<Body> = (ctx: WebSocketContext, body: Body, message: WebSocketMessage) => Awaitable<void>;

/** The handlers of a route map: `Routes` names each route's body type, e.g. `{ join: { room: string } }`. */
export type Routes<Bodies extends Record<string, object>, Key extends string = 'action'> = {
  readonly [Name in keyof Bodies & string]: RouteHandler<Bodies[Name] & { readonly [K in Key]: Name }>;
};

export interface RouterOptions<Key extends string = 'action'> {
  /** The field of a JSON message that names its route (API Gateway's `$request.body.action`); default `action`. */
  readonly key?: Key;
  /**
   * Everything no route takes (API Gateway's `$default`): other actions,
   * text that is not a JSON object, binary messages. Without it, such a
   * message is answered with `{"error": "...", "action": ...}` and dropped.
   */
  readonly default?: (ctx: WebSocketContext, message: WebSocketMessage) => Awaitable<void>;
}

/**
 * An `onMessage` that sends each message to a handler by the value of one
 * field, like API Gateway's route selection expression:
 * `onMessage: routeMessages<{ join: { room: string } }>({ join(ctx, body) {...} }, { default: ... })`.
 * The bodies are what the client sent, parsed but not checked: validate what you use.
 */
export function routeMessages<Bodies extends Record<string, object>, Key extends string = 'action'>(
  routes: Routes<Bodies, Key>,
  options: RouterOptions<Key> = {},
): (ctx: WebSocketContext, message: WebSocketMessage) => Promise<void> {
  const key = options.key ?? 'action';
  return async (ctx, message) => {
    let body: Record<string, unknown> | undefined;
    if (message.type === 'text' && message.data.startsWith('{')) {
      try {
        const parsed: unknown = JSON.parse(message.data);
        if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
      } catch {
        // not JSON: the default route's
      }
    }
    const name = body?.[key];
    // Own properties only: "constructor" or "__proto__" must not reach Object.prototype.
    if (typeof name === 'string' && Object.hasOwn(routes, name)) {
      const handler = (routes as Record<string, RouteHandler<unknown>>)[name]!;
      await handler(ctx, body, message);
      return;
    }
    if (options.default !== undefined) {
      await options.default(ctx, message);
      return;
    }
    ctx.send(
      JSON.stringify(
        typeof name === 'string'
          ? { error: `no route for ${key} ${JSON.stringify(name)}`, [key]: name }
          : { error: `messages are JSON objects with a string "${key}"` },
      ),
    );
  };
}
