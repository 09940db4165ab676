'use strict';
// `plugins: [grip-lambda/serverless]` in serverless.yml (osls, the Serverless
// Framework v3 line). CommonJS, as the framework loads plugins with require().
//
// Packaging: it runs serverless-esbuild with the settings grip-lambda's
// functions need, so serverless.yml carries no `custom.esbuild` block; any
// setting given there still wins. `package` and `deploy` stop at once when a
// function is on a runtime Lambda has closed (serverless/runtimes.cjs): the
// deploy would fail anyway, later, in CloudFormation. It adds
// `serverless grip dev`, the same as `npx grip-lambda dev`.
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const { createRequire } = require('node:module');
const path = require('node:path');
const { closedRuntimeLine, esbuildTargetFor, isClosedRuntime, RECOMMENDED_RUNTIME } = require('./runtimes.cjs');
const { addDynamoDBTable } = require('./dynamodb.cjs');

const PACKAGE_ROOT = path.join(__dirname, '..');

/**
 * Each function's runtime as the framework deploys it: its own `runtime`,
 * else the provider's, else the framework's default. Container-image
 * functions have none.
 */
function functionRuntimes(serverless) {
  const service = serverless.service;
  const provider = typeof serverless.getProvider === 'function' ? serverless.getProvider('aws') : undefined;
  const runtimes = new Map();
  for (const [name, fn] of Object.entries(service.functions ?? {})) {
    if (fn?.image !== undefined) continue;
    const runtime =
      typeof provider?.getRuntime === 'function'
        ? provider.getRuntime(fn?.runtime)
        : (fn?.runtime ?? service.provider?.runtime ?? RECOMMENDED_RUNTIME);
    runtimes.set(name, runtime);
  }
  return runtimes;
}

/** One line per closed runtime in use, naming its functions; empty when every function's runtime is open. */
function closedRuntimeLines(serverless, only) {
  const byRuntime = new Map();
  for (const [name, runtime] of functionRuntimes(serverless)) {
    if (only !== undefined && name !== only) continue;
    if (!isClosedRuntime(runtime)) continue;
    byRuntime.set(runtime, [...(byRuntime.get(runtime) ?? []), name]);
  }
  return [...byRuntime].map(([runtime, names]) => `grip-lambda: ${closedRuntimeLine(runtime, names)}`);
}

/**
 * The esbuild settings every grip-lambda function needs:
 * - CommonJS output: @fanoutio/grip's `debug` dependency is CommonJS and
 *   breaks an ESM bundle (`Dynamic require of "tty" is not supported`).
 * - `.cjs` files: in a `"type": "module"` project Node would load a `.js`
 *   bundle as ESM; Lambda's runtime finds `NAME.cjs` for `NAME.handler`.
 * - build/esbuild-plugins.cjs: grip's modules marked side-effect free (its
 *   `debug` logger left out), ioredis in a file of its own, loaded only
 *   when REDIS_URL is set, and grip's publishing client (jose, node:crypto)
 *   in another, loaded on the first publish.
 * - Everything bundled: no externals, so no `npm install` into each zip.
 */
function esbuildDefaults(runtimes) {
  return {
    bundle: true,
    minify: true,
    sourcemap: false,
    // One build for every function: the oldest Node.js among their runtimes.
    target: esbuildTargetFor(runtimes),
    platform: 'node',
    format: 'cjs',
    outputFileExtension: '.cjs',
    plugins: require('../build/esbuild-plugins.cjs'),
    external: [],
    exclude: [],
  };
}

/** serverless-esbuild, from the project (a peer dependency), or next to this package. */
function loadServerlessEsbuild(serviceDir) {
  for (const from of [path.join(serviceDir, 'package.json'), path.join(PACKAGE_ROOT, 'package.json')]) {
    try {
      const mod = createRequire(from)('serverless-esbuild');
      return mod?.default ? mod.default : mod;
    } catch (error) {
      if (error.code !== 'MODULE_NOT_FOUND' || !String(error.message).includes("'serverless-esbuild'")) throw error;
    }
  }
  throw new Error(
    'grip-lambda/serverless packages functions with serverless-esbuild, which is not installed. Run: npm install --save-dev serverless-esbuild@1.57.2 esbuild',
  );
}

/** grip-lambda's settings under the service's own: `custom.esbuild` values given in serverless.yml win. */
function applyDefaults(serverless) {
  const service = serverless.service;
  service.custom = service.custom ?? {};
  const runtimes = [...functionRuntimes(serverless).values()];
  service.custom.esbuild = { ...esbuildDefaults(runtimes), ...(service.custom.esbuild ?? {}) };
  // One zip per function, so each carries its own bundle only.
  service.package = { individually: true, ...(service.package ?? {}) };
}

/**
 * serverless-esbuild reading its settings with grip-lambda's defaults. They
 * go in when it initialises (the framework's `initialize` hook): the service
 * configuration is final by then, while changes made when plugins load can
 * be replaced by it.
 */
function withGripDefaults(ServerlessEsbuild) {
  class GripLambdaEsbuild extends ServerlessEsbuild {
    init() {
      applyDefaults(this.serverless);
      return super.init();
    }
  }
  Object.defineProperty(GripLambdaEsbuild, 'name', { value: ServerlessEsbuild.name });
  return GripLambdaEsbuild;
}

/** How `serverless grip dev` runs the CLI: the built one in a package, the source in this repository. */
function cliCommand() {
  const built = path.join(PACKAGE_ROOT, 'dist', 'src', 'local', 'cli.js');
  if (existsSync(built)) return [built];
  const source = path.join(PACKAGE_ROOT, 'src', 'local', 'cli.ts');
  return ['--import', 'tsx', source];
}

class GripLambdaPlugin {
  constructor(serverless, options, utils) {
    this.serverless = serverless;
    this.options = options;
    this.log = utils?.log;
    const service = serverless.service;
    const listed = (Array.isArray(service.plugins) ? service.plugins : (service.plugins?.modules ?? [])).includes('serverless-esbuild');
    if (listed) {
      // Listed by hand as well: it is loaded already, so the settings go in now.
      applyDefaults(serverless);
    } else {
      serverless.pluginManager.addPlugin(withGripDefaults(loadServerlessEsbuild(serverless.serviceDir ?? serverless.config.servicePath)));
    }

    this.commands = {
      grip: {
        usage: 'grip-lambda commands',
        commands: {
          dev: {
            usage: 'Runs the local stack (Pushpin, Redis, the functions): the same as npx grip-lambda dev',
            lifecycleEvents: ['run'],
            options: {
              port: { usage: 'Where clients connect (default 7999)', type: 'string' },
              'control-port': { usage: "Pushpin's control API (default 5561)", type: 'string' },
              redis: { usage: 'Use Redis for history (default: when installed); --no-redis turns it off', type: 'boolean' },
            },
          },
        },
      },
    };
    this.hooks = {
      'grip:dev:run': () => this.dev(),
      // The configuration is final here: the table, DYNAMODB_TABLE and the role's statement when custom.gripLambda.dynamodb asks.
      initialize: () => addDynamoDBTable(this.serverless, this.serverless.classes?.Error ?? Error),
      // Before anything is built: `package`, and `deploy`, which packages first.
      'before:package:cleanup': () => this.refuseClosedRuntimes(),
      'before:deploy:function:initialize': () => this.refuseClosedRuntimes(this.options.function),
      // A local run is not Lambda: it goes ahead, with the same line as a warning.
      'before:invoke:local:invoke': () => this.warnOfClosedRuntimes(this.options.function),
    };
  }

  /**
   * Stops `package` and `deploy` when a function is on a closed runtime:
   * Lambda refuses to create or update it, so the deploy would fail in
   * CloudFormation after the build and upload, and roll back.
   */
  refuseClosedRuntimes(only) {
    const lines = closedRuntimeLines(this.serverless, only);
    if (lines.length === 0) return;
    const ServerlessError = this.serverless.classes?.Error ?? Error;
    throw new ServerlessError(lines.join('\n'), 'GRIP_LAMBDA_CLOSED_RUNTIME');
  }

  warnOfClosedRuntimes(only) {
    for (const line of closedRuntimeLines(this.serverless, only)) {
      if (typeof this.log?.warning === 'function') this.log.warning(line);
      else console.error(line);
    }
  }

  dev() {
    const args = ['dev'];
    if (this.options.port !== undefined) args.push('--port', String(this.options.port));
    if (this.options['control-port'] !== undefined) args.push('--control-port', String(this.options['control-port']));
    if (this.options.redis === false) args.push('--no-redis');
    const configFile = this.serverless.configurationFilename;
    if (typeof configFile === 'string' && configFile !== 'serverless.yml') args.push('--config', configFile);
    const child = spawn(process.execPath, [...cliCommand(), ...args], {
      cwd: this.serverless.serviceDir ?? this.serverless.config.servicePath,
      stdio: 'inherit',
    });
    // Ctrl-C reaches the whole foreground group; the CLI stops the stack itself. Wait for it.
    const forward = (signal) => () => child.kill(signal);
    const handlers = ['SIGINT', 'SIGTERM', 'SIGHUP'].map((signal) => [signal, forward(signal)]);
    for (const [signal, handler] of handlers) process.on(signal, handler);
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => {
        for (const [name, handler] of handlers) process.removeListener(name, handler);
        if (code === 0 || signal === 'SIGINT') resolve();
        else reject(new Error(`grip-lambda dev exited with ${code ?? signal}`));
      });
    });
  }
}

module.exports = GripLambdaPlugin;
