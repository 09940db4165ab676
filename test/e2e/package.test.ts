// The package as a user installs it: built, packed by `npm pack` from the
// files package.json lists (support/packed.ts, shared with
// test/e2e/own-project.test.ts), installed from the tarball in a temp folder
// outside this repository (dependencies from the registry, through npm's
// cache), then every entry of the exports map loaded with `import` and with
// `require()` (the same module either way), and type-checked through its
// `types` condition from an ES module and a CommonJS one. And `dependencies`
// are what the built files import: the bare imports of the emitted
// JavaScript, plus the type packages the declarations name.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import ts from 'typescript';
import { ROOT } from './support/e2e.js';
import { packedTarball, run } from './support/packed.js';

interface PackageJson {
  readonly exports: Record<string, string | Record<string, string>>;
  readonly files: readonly string[];
  readonly dependencies: Record<string, string>;
  readonly peerDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
const scratch = mkdtempSync(join(tmpdir(), 'grip-lambda-package-'));
const project = join(scratch, 'project');
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The entries with conditions, as `grip-lambda/...` specifiers. */
const conditional = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target !== 'string')
  .map(([entry]) => `grip-lambda${entry.slice(1)}`);

before(async () => {
  const tarball = await packedTarball();
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-grip-lambda', private: true }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], project);
});

test('every entry loads with import and with require(), as the same module', async () => {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const report = {};
    for (const entry of ${JSON.stringify(conditional)}) {
      const imported = await import(entry);
      const required = require(entry);
      const names = Object.keys(imported).sort();
      report[entry] = { names: names.length, same: names.every((name) => required[name] === imported[name]) && Object.keys(required).length === names.length };
    }
    report['grip-lambda/serverless'] = { plugin: typeof require('grip-lambda/serverless') };
    console.log(JSON.stringify(report));`;
  writeFileSync(join(project, 'load.mjs'), script);
  const report = JSON.parse(await run(process.execPath, ['load.mjs'], project)) as Record<string, { names?: number; same?: boolean }>;
  for (const entry of conditional) {
    assert.ok((report[entry]?.names ?? 0) > 0, `${entry} exports something: ${JSON.stringify(report[entry])}`);
    assert.equal(report[entry]?.same, true, `${entry}: require() gives what import gives`);
  }
  assert.deepEqual(report['grip-lambda/serverless'], { plugin: 'function' });
  for (const entry of ['grip-lambda/presence', 'grip-lambda/client']) assert.ok(entry in report, `${entry} is an entry with conditions`);
});

test('every entry type-checks through its types condition, from an ES module and from a CommonJS one', async () => {
  const typed = conditional.map((entry, i) => ({ entry, name: `entry${i}` }));
  writeFileSync(
    join(project, 'check.mts'),
    typed.map(({ entry, name }) => `import * as ${name} from '${entry}';\nvoid ${name};\n`).join(''),
  );
  writeFileSync(
    join(project, 'check.cts'),
    typed.map(({ entry, name }) => `import ${name} = require('${entry}');\nvoid ${name};\n`).join(''),
  );
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        lib: ['ES2022'],
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
        // Node's types from this checkout; every other type the package names resolves from the install.
        typeRoots: [join(ROOT, 'node_modules/@types')],
      },
      files: ['check.mts', 'check.cts'],
    }),
  );
  await run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], project);
});

/**
 * Type packages a dependency's declarations need but do not bring: ioredis's
 * import the untyped `redis-errors`, whose types ioredis lists as a
 * devDependency only, so a project type-checking grip-lambda/feed or
 * grip-lambda/presence with `skipLibCheck: false` would fail in them.
 */
const TYPES_DEPENDENCIES_FORGOT = ['@types/redis-errors'];

/** The package a bare specifier names: `@scope/name/sub` -> `@scope/name`, `name/sub` -> `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function bareImports(dir: string, suffix: string): Set<string> {
  const found = new Set<string>();
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((n) => n.endsWith(suffix))) {
    const text = readFileSync(join(dir, name), 'utf8');
    // TypeScript's scanner reads import, export-from, import() and require() as code, not text that looks like them.
    for (const { fileName: specifier } of ts.preProcessFile(text, true, true).importedFiles) {
      if (!specifier.startsWith('.') && !specifier.startsWith('node:')) found.add(packageOf(specifier));
    }
  }
  return found;
}

test('dependencies are exactly what the published files import, and nothing only tests use is installed', () => {
  const installed = join(project, 'node_modules', 'grip-lambda');
  const runtime = new Set([...bareImports(join(installed, 'dist'), '.js'), ...bareImports(join(installed, 'cjs'), '.cjs')]);
  for (const plugin of ['serverless', 'build']) for (const name of bareImports(join(installed, plugin), '.cjs')) runtime.add(name);
  // Types the declarations import come from @types packages.
  const types = [...bareImports(join(installed, 'dist'), '.d.ts')].filter((name) => !runtime.has(name)).map((name) => `@types/${name}`);
  const peers = new Set(Object.keys(pkg.peerDependencies ?? {}));
  const needed = [...runtime].filter((name) => !peers.has(name) && name !== 'grip-lambda');
  assert.deepEqual(Object.keys(pkg.dependencies).sort(), [...new Set([...needed, ...types, ...TYPES_DEPENDENCIES_FORGOT])].sort());
  assert.equal(existsSync(join(project, 'node_modules', '@fanoutio', 'serve-grip')), false, 'serve-grip is not installed with the package');
});
