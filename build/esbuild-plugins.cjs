const path = require('node:path');

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
      if (result.errors.length > 0) return { errors: result.errors };
      // Only grip's own files: its dependencies are left as their packages describe them.
      if (!result.path.includes('/node_modules/@fanoutio/grip/')) return undefined;
      return { path: result.path, namespace: result.namespace, sideEffects: false };
    });
  },
};

// ioredis (about 200 KB minified) is needed only by functions that keep a
// feed, and only when REDIS_URL is set, yet parsing it inline costs every
// cold start ~5 ms. This plugin bundles it into its own file next to the
// function's bundle, `NAME.ioredis.cjs`, which the function loads only
// when it makes its feed (REDIS_URL set). The name keeps it in that function's zip alone:
// serverless-esbuild leaves `OTHER.*` files out of each function's zip.
const ioredisOnDemand = {
  name: 'ioredis-on-demand',
  setup(build) {
    const options = build.initialOptions;
    const entries = Array.isArray(options.entryPoints) ? options.entryPoints : Object.values(options.entryPoints ?? {});
    if (entries.length !== 1) return; // one bundle per build, as serverless-esbuild builds
    const entry = typeof entries[0] === 'string' ? entries[0] : entries[0].in;
    const extension = (options.outExtension?.['.js']) || '.js';
    const outfile = options.outfile ?? path.join(options.outdir ?? '.', path.basename(entry).replace(/\.[cm]?[jt]sx?$/, '') + extension);
    const vendorName = `${path.basename(outfile).replace(/\.[^.]+$/, '')}.ioredis.cjs`;
    let used = false;
    build.onResolve({ filter: /^ioredis$/ }, () => {
      used = true;
      return { path: `./${vendorName}`, external: true };
    });
    build.onEnd(async (result) => {
      if (!used || result.errors.length > 0) return;
      await build.esbuild.build({
        entryPoints: [require.resolve('ioredis')],
        outfile: path.join(path.dirname(path.resolve(options.absWorkingDir ?? process.cwd(), outfile)), vendorName),
        bundle: true,
        minify: options.minify,
        platform: 'node',
        target: options.target,
        format: 'cjs',
        logLevel: 'warning',
      });
    });
  },
};

module.exports = [gripSideEffectFree, ioredisOnDemand];
