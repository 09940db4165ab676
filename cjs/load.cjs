'use strict';
// The `require` side of the exports map. grip-lambda is an ES module; Node.js
// 20.19, 22.12 and later load it with require() too (the same module instance
// `import` gets), unless started with --no-experimental-require-module, as
// AWS Lambda starts Node.js on its Node.js 20 and 22 runtimes. When
// require() cannot load it, the error says why here and what to change.

const FLAG = '--no-experimental-require-module';

/** Whether this process runs with require() of ES modules turned off by the flag (on the command line or in NODE_OPTIONS). */
function requireModuleTurnedOff() {
  return process.execArgv.includes(FLAG) || (process.env.NODE_OPTIONS ?? '').split(/\s+/).includes(FLAG);
}

function explain(entry) {
  const esm =
    'load it with import instead: make the function an ES module ("type": "module" in package.json, ' +
    'or .mjs / .mts files; in TypeScript, "module": "NodeNext")';
  if (requireModuleTurnedOff()) {
    return (
      `${entry} is an ES module, and this Node.js (${process.version}) runs with require() of ES modules turned off ` +
      `(${FLAG}, which AWS Lambda's Node.js 20 and 22 runtimes set). ` +
      'Bundle the function with grip-lambda/serverless (plugins: [grip-lambda/serverless] in serverless.yml), ' +
      `which puts grip-lambda inside one CommonJS file; or ${esm}; or deploy on nodejs24.x, which leaves require() of ES modules on.`
    );
  }
  return `${entry} is an ES module, and Node.js ${process.version} cannot require() it. ` + `Use Node.js 20.19, 22.12 or later, or ${esm}.`;
}

module.exports = function load(requireEsm, entry) {
  try {
    return requireEsm();
  } catch (error) {
    if (error && (error.code === 'ERR_REQUIRE_ESM' || error.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
      throw new Error(explain(entry), { cause: error });
    }
    throw error;
  }
};
