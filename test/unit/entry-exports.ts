// The names each entry of package.json's exports map gives (values and
// types), read by the TypeScript checker from the sources the build
// compiles. Shared by the entry-points test (which pins them) and the docs
// test (which checks that docs/api.md names them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = fileURLToPath(new URL('../../', import.meta.url));

/** Each entry of the exports map and the source file its `import` target is built from. */
export function entrySources(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports: Record<string, string | { import?: string }> };
  const sources = new Map<string, string>();
  for (const [entry, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string' || target.import === undefined) continue; // package.json, the serverless plugin
    sources.set(entry, join(root, target.import.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts')));
  }
  return sources;
}

/** A reader of the names each of `files` exports. */
export function exportReader(files: readonly string[]): (file: string) => string[] {
  // Names only: the binder needs the package's own modules, not its dependencies' types or the lib files
  // (which would take seconds to parse): those are read as empty.
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    noEmit: true,
    noLib: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readSource = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language, ...rest) =>
    fileName.includes('/node_modules/') ? ts.createSourceFile(fileName, '', language) : readSource(fileName, language, ...rest);
  const program = ts.createProgram([...files], options, host);
  const checker = program.getTypeChecker();
  return (file) => {
    const source = program.getSourceFile(file);
    assert.ok(source !== undefined, `${file} is in the program`);
    const symbol = checker.getSymbolAtLocation(source);
    assert.ok(symbol !== undefined, `${file} is a module`);
    return checker
      .getExportsOfModule(symbol)
      .map((s) => s.name)
      .sort();
  };
}
