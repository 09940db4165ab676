/**
 * OpenTelemetry spans, when `@opentelemetry/api` can be loaded: one span
 * per invocation (the active span while user code runs, so its own spans
 * nest under it) and one child span per publish. The package is an
 * optional peer: absent, nothing is traced and nothing fails. The API's
 * global registry makes the tracer provider the application (or the ADOT
 * layer) registered the one used here, whichever copy of the API loads.
 */

/** The part of `@opentelemetry/api`'s Span used here. */
export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: Error | string): unknown;
  /** False for the API's no-op span, when no tracer provider is registered. */
  isRecording(): boolean;
  end(): void;
}

/** An OpenTelemetry Context (opaque here). */
export type OtelContext = object;

/** The part of `@opentelemetry/api` used here. */
export interface OtelApi {
  readonly trace: {
    getTracer(
      name: string,
      version?: string,
    ): {
      startSpan(
        name: string,
        options?: { kind?: number; attributes?: Record<string, string | number | boolean> },
        context?: OtelContext,
      ): OtelSpan;
    };
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  readonly context: {
    active(): OtelContext;
    with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
      context: OtelContext,
      fn: F,
      thisArg?: unknown,
      ...args: A
    ): ReturnType<F>;
  };
}

/** SpanKind and SpanStatusCode values of the API (stable since 1.0). */
export const SPAN_KIND_SERVER = 1;
export const SPAN_KIND_PRODUCER = 3;
export const SPAN_STATUS_ERROR = 2;

const API_MODULE = '@opentelemetry/api';

let loaded: OtelApi | null | undefined;
let loading: Promise<OtelApi | null> | undefined;

/**
 * Loads `@opentelemetry/api` once per process; null when it is not
 * installed. The module name is held in a variable so bundlers leave it to
 * run time instead of failing the build without it. From CommonJS (a
 * bundled function) it is required at once: `import()` there would start
 * Node's ESM loader, which took about 5 ms of a function's load.
 */
export function loadOtel(): Promise<OtelApi | null> {
  if (loaded !== undefined) return Promise.resolve(loaded);
  if (typeof require === 'function') {
    try {
      loaded = asApi(require(API_MODULE) as ApiModule);
    } catch {
      loaded = null;
    }
    return Promise.resolve(loaded);
  }
  loading ??= import(API_MODULE).then(
    (module: ApiModule) => (loaded = asApi(module)),
    () => (loaded = null),
  );
  return loading;
}

type ApiModule = { default?: OtelApi } & Partial<OtelApi>;

function asApi(module: ApiModule): OtelApi | null {
  return module.trace !== undefined ? (module as OtelApi) : (module.default ?? null);
}

/** Where every copy of `@opentelemetry/api` 1.x registers its globals (tracer provider, context manager). */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

/**
 * Whether an OpenTelemetry setup has registered anything (a tracer
 * provider, a context manager) in this process. Without one, every span
 * would be a no-op: the API is not even loaded then, so a function without
 * tracing pays nothing for it at load or per invocation.
 */
export function otelRegistered(): boolean {
  return (globalThis as { [API_GLOBAL]?: unknown })[API_GLOBAL] !== undefined;
}

/** The API if already loaded (undefined while loading, null when absent). */
export function loadedOtel(): OtelApi | null | undefined {
  return loaded;
}

/** The toolkit's tracer name, as OpenTelemetry's instrumentation scope. */
export const TRACER_NAME = 'grip-lambda';
