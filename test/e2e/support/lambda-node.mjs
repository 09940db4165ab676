// Loads and invokes one function the way AWS Lambda's Node.js 24 runtime
// does (aws-lambda-nodejs-runtime-interface-client): the handler string's
// module found by trying no extension, .js, .mjs, then .cjs, each loaded
// with import(); the handler taken from the module's exports or its default
// export; a handler declaring three or more parameters (a callback) refused
// at init, as that runtime refuses callback-style handlers; then one call,
// whose answer must be a promise. Run with the Node.js binary and flags of
// the runtime under test:
//
//   node [flags] lambda-node.mjs TASK_ROOT HANDLER EVENT_FILE
//
// Prints one JSON line: {"result": ...} or {"error": {...}, "phase": "init" | "invoke"},
// with `loaded`: the task root's files loaded by the end of init and by the
// end of the call (`init`, `invoke`), paths relative to it, so a test can
// tell when a function's on-demand files were read.
// Plain JavaScript, so that any Node.js runs it as it is.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';

const [taskRoot, handlerString, eventFile] = process.argv.slice(2);
if (taskRoot === undefined || handlerString === undefined || eventFile === undefined) {
  console.error('usage: node lambda-node.mjs TASK_ROOT HANDLER EVENT_FILE');
  process.exit(2);
}

// A bundle's import() of its on-demand files, CommonJS, lands in the CommonJS module cache too.
const moduleCache = createRequire(import.meta.url).cache;
const loaded = {};

/** The task root's files loaded so far, relative to it, sorted. */
function loadedFiles() {
  return Object.keys(moduleCache)
    .filter((file) => file.startsWith(resolve(taskRoot) + sep))
    .map((file) => relative(resolve(taskRoot), file))
    .sort();
}

function report(value) {
  process.stdout.write(`${JSON.stringify({ ...value, loaded })}\n`);
}

function describe(error) {
  return error instanceof Error
    ? { name: error.name, message: error.message, code: error.code, cause: error.cause?.code }
    : { name: typeof error, message: String(error) };
}

async function loadHandler() {
  // "functions/echo.handler": module path up to the last dot, then the (possibly nested) export name.
  const dot = handlerString.lastIndexOf('.');
  const modulePath = join(taskRoot, handlerString.slice(0, dot));
  const handlerName = handlerString.slice(dot + 1);
  let module;
  for (const extension of ['', '.js', '.mjs', '.cjs']) {
    if (existsSync(modulePath + extension)) {
      module = await import(pathToFileURL(modulePath + extension).href);
      break;
    }
  }
  if (module === undefined) throw new Error(`no module for ${handlerString} in ${taskRoot}`);
  const handler = module[handlerName] ?? module.default?.[handlerName];
  if (typeof handler !== 'function') throw new Error(`${handlerString} is not a function (exports: ${Object.keys(module).join(', ')})`);
  const streaming = handler[Symbol.for('aws.lambda.runtime.handler.streaming')] === 'response';
  if (handler.length >= 3 && !streaming) {
    throw new Error(`${handlerString} takes ${handler.length} parameters: a callback-style handler, which Node.js 24's runtime refuses`);
  }
  return handler;
}

process.chdir(taskRoot);
let handler;
try {
  handler = await loadHandler();
} catch (error) {
  report({ phase: 'init', error: describe(error) });
  process.exit(0);
}
loaded.init = loadedFiles();

const context = {
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
  memoryLimitInMB: '256',
  awsRequestId: 'lambda-node-test',
  logGroupName: '/aws/lambda/test',
  logStreamName: 'test',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 10_000,
};

try {
  const answer = handler(JSON.parse(readFileSync(eventFile, 'utf8')), context);
  if (typeof answer?.then !== 'function') throw new Error(`${handlerString} answered without a promise: ${JSON.stringify(answer)}`);
  const result = (await answer) ?? null;
  loaded.invoke = loadedFiles();
  report({ result });
} catch (error) {
  loaded.invoke = loadedFiles();
  report({ phase: 'invoke', error: describe(error) });
}
