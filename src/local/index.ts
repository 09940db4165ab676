/**
 * `grip-lambda/local`: the local stack for tests and development. Pushpin
 * (with zurl) in front of a function host that invokes the functions of a
 * project's serverless.yml exactly as an API Gateway HTTP API would.
 * Needs Debian's `pushpin` (and `redis-server` for `redis: true`) on PATH,
 * and TypeScript handlers loadable in this process (run under tsx).
 */
export { startStack, freePort, type StackOptions, type RunningStack } from './stack.js';
export { lambdaContext, type InvocationLog } from './function-host.js';
export { readProxyConnections } from './proxy-metrics.js';
import '../globals.js'; // types without the DOM lib
