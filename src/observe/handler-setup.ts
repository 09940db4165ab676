import { adoptLogger } from './current.js';
import { readObserveSettings, type ObserveEnv, type ObserveOptions, type ObserveSettings } from './settings.js';

/**
 * A handler's observability, set up when it is made (Lambda's init phase):
 * settings read, and its logger made the process's for lines no invocation
 * owns when it is the first one given. (`@opentelemetry/api` is loaded at
 * the first invocation that finds an OpenTelemetry setup registered.)
 */
export function setUpObserving(options: ObserveOptions, env: ObserveEnv): ObserveSettings {
  const settings = readObserveSettings(options, env);
  if (options.logger !== undefined) adoptLogger(options.logger);
  return settings;
}
