const fs = require('node:fs');
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

/** A file's text, or undefined when there is none. */
function readIfThere(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * A plugin that bundles what `filter` imports into a file of its own next
 * to the function's bundle, `NAME.SUFFIX.cjs`, which the function loads
 * only when it first imports it (`import()`), not at cold start. The name
 * keeps the file in that function's zip alone: serverless-esbuild leaves
 * `OTHER.*` files out of each function's zip. `entryFor` names the file to
 * bundle for an import `filter` matches, or undefined to leave it alone.
 * The file is a bundle of its own: modules both import are copies there
 * (classes too, so an instanceof across the two fails: see
 * src/store/dynamodb/shared.ts).
 */
function onDemand(name, suffix, filter, entryFor) {
  return {
    name,
    setup(build) {
      const options = build.initialOptions;
      const entries = Array.isArray(options.entryPoints) ? options.entryPoints : Object.values(options.entryPoints ?? {});
      if (entries.length !== 1) return; // one bundle per build, as serverless-esbuild builds
      const entry = typeof entries[0] === 'string' ? entries[0] : entries[0].in;
      const extension = options.outExtension?.['.js'] || '.js';
      const outfile = options.outfile ?? path.join(options.outdir ?? '.', path.basename(entry).replace(/\.[cm]?[jt]sx?$/, '') + extension);
      const vendorName = `${path.basename(outfile).replace(/\.[^.]+$/, '')}.${suffix}.cjs`;
      let vendorEntry;
      build.onResolve({ filter }, (args) => {
        const entry = entryFor(args);
        if (entry === undefined) return undefined;
        vendorEntry = entry;
        return { path: `./${vendorName}`, external: true };
      });
      build.onEnd(async (result) => {
        if (vendorEntry === undefined || result.errors.length > 0) return;
        const bundlePath = path.resolve(options.absWorkingDir ?? process.cwd(), outfile);
        const vendorPath = path.join(path.dirname(bundlePath), vendorName);
        // Resolved is not used: tree-shaking may have dropped the import (echo imports the publisher's module, never publishes).
        const written = result.outputFiles?.find((file) => file.path === bundlePath)?.text ?? readIfThere(bundlePath);
        if (written !== undefined && !written.includes(`"./${vendorName}"`)) {
          fs.rmSync(vendorPath, { force: true });
          return;
        }
        await build.esbuild.build({
          entryPoints: [vendorEntry],
          outfile: vendorPath,
          bundle: true,
          minify: options.minify,
          platform: 'node',
          target: options.target,
          format: 'cjs',
          plugins: [gripSideEffectFree],
          logLevel: 'warning',
        });
      });
    },
  };
}

// ioredis (about 200 KB minified) is needed only by functions that keep a
// feed, and only when REDIS_URL is set, yet parsing it inline costs every
// cold start ~5 ms: it goes in `NAME.ioredis.cjs`, loaded when the
// function makes its feed (REDIS_URL set).
const ioredisOnDemand = onDemand('ioredis-on-demand', 'ioredis', /^ioredis$/, () => require.resolve('ioredis'));

/**
 * A module of grip-lambda's own, imported as `./FILE.js` by a module whose
 * path matches `importer`: its source (.ts, through tsx or
 * serverless-esbuild) or the package's compiled dist/ (.js).
 */
function ownModule(importer) {
  return (args) => {
    if (!importer.test(args.importer.replace(/\.[jt]s$/, ''))) return undefined;
    const file = path.join(args.resolveDir, args.path);
    return fs.existsSync(file) ? file : file.replace(/\.js$/, '.ts');
  };
}

// @fanoutio/grip's publishing client signs with jose, whose Node.js build
// loads node:crypto (OpenSSL) as it loads: about 10 ms of a publishing
// function's cold start. grip-lambda imports it on first publish, from
// src/publish/grip-clients; bundled, it goes in `NAME.grip-publish.cjs`.
// (Left in the bundle, the lazy import would wrap grip's whole index, and
// the functions' other imports from it would then load all of it at init.)
const gripPublishOnDemand = onDemand(
  'grip-publish-on-demand',
  'grip-publish',
  /^\.\/grip-clients\.js$/,
  ownModule(/[\\/]publish[\\/]control-queue$/),
);

// Client tokens are checked with jose (src/auth/jose-verify), imported on
// the first handshake that carries one: inline, the whole of jose (about
// 67 KB, as an import() keeps every export) would be read at every cold
// start, by functions that never see a token too. It goes in
// `NAME.jose.cjs`, holding only what verifying needs.
const joseOnDemand = onDemand('jose-on-demand', 'jose', /^\.\/jose-verify\.js$/, ownModule(/[\\/]auth[\\/]client-token$/));

// The DynamoDB stores and aws4fetch (src/store/dynamodb/stores, about
// 25 KB) serve only functions whose DYNAMODB_TABLE is set, yet every
// function keeping a feed or presence has them: they go in
// `NAME.dynamodb.cjs`, imported when getFeed or getPresence makes its
// store with DYNAMODB_TABLE set (src/store/dynamodb/shared).
const dynamodbOnDemand = onDemand('dynamodb-on-demand', 'dynamodb', /^\.\/stores\.js$/, ownModule(/[\\/]store[\\/]dynamodb[\\/]shared$/));

module.exports = [gripSideEffectFree, ioredisOnDemand, gripPublishOnDemand, joseOnDemand, dynamodbOnDemand];
