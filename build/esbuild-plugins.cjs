// esbuild plugins for the function bundles, shared by serverless.yml
// (serverless-esbuild `plugins:`) and the cold-start benchmark.
//
// @fanoutio/grip's package.json does not declare "sideEffects": false, so
// esbuild keeps every module its barrel re-exports that runs code at load,
// among them the `debug` logger, which pulls in `tty` (~3 ms at cold start)
// although no function calls it. grip's modules only define classes and
// functions, so they are safe to tree-shake: this plugin says so.
const gripSideEffectFree = {
  name: 'grip-side-effect-free',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'grip-side-effect-free') return undefined;
      const fromGrip = args.importer.includes('/node_modules/@fanoutio/grip/');
      if (!fromGrip && !args.path.startsWith('@fanoutio/grip')) return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'grip-side-effect-free',
      });
      if (result.errors.length > 0 || !result.path.includes('/node_modules/@fanoutio/grip/')) return result.errors.length > 0 ? { errors: result.errors } : undefined;
      return { path: result.path, namespace: result.namespace, sideEffects: false };
    });
  },
};

module.exports = [gripSideEffectFree];
