import { adoptLogger } from './current.js';
import { readObserveSettings, type ObserveEnv, type ObserveOptions, type ObserveSettings } from './settings.js';
import { loadOtel } from './tracing.js';

/**
 * A handler's observability, set up when it is made (Lambda's init phase):
 * settings read, `@opentelemetry/api` looked for (so the first invocation
 * need not wait for it), and its logger made the process's for lines no
 * invocation owns when it is the first one given.
 */
export function setUpObserving(options: ObserveOptions, env: ObserveEnv): ObserveSettings {
  const settings = readObserveSettings(options, env);
  if (settings.tracing) void loadOtel();
  if (options.logger !== undefined) adoptLogger(options.logger);
  return settings;
}
