'use strict';
// The `require` side of the exports map. grip-lambda is an ES module; Node.js
// 20.19 and later load it with require() too (the same module instance
// `import` gets). Older ones cannot: say what to change, at load time.
module.exports = function load(requireEsm, entry) {
  try {
    return requireEsm();
  } catch (error) {
    if (error && (error.code === 'ERR_REQUIRE_ESM' || error.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
      throw new Error(
        `${entry} is an ES module, and Node.js ${process.version} cannot require() it. ` +
          'Use Node.js 20.19 or later, or load it with import: set "type": "module" in your package.json ' +
          '(or name your files .mjs / .mts; in TypeScript, "module": "NodeNext").',
        { cause: error },
      );
    }
    throw error;
  }
};
