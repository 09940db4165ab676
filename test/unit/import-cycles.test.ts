// No module of src/ imports itself through others, type-only imports
// included: each concern's modules can be read, loaded and tested on their
// own (a cycle once tied the invocation scope, the handler settings and the
// publisher together).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const SRC = join(import.meta.dirname, '../../src');

/** Relative specifiers of a module's static imports and re-exports (`import x from`, `import type`, `export ... from`, `import './x.js'`). */
function relativeImports(source: string): string[] {
  const specifiers: string[] = [];
  for (const match of source.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'|^\s*import\s+'(\.[^']+)'/gm)) {
    specifiers.push((match[1] ?? match[2])!);
  }
  return specifiers;
}

/** Every module of src/ and the modules it imports, by absolute path. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const imports = relativeImports(readFileSync(file, 'utf8')).map((specifier) =>
      resolve(dirname(file), specifier.replace(/\.js$/, '.ts')),
    );
    graph.set(file, imports);
  }
  return graph;
}

/** Each cycle found by a depth-first walk, as `a.ts -> b.ts -> a.ts`. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      const at = path.indexOf(next);
      if (at !== -1) found.push([...path.slice(at), next].map((f) => relative(SRC, f)).join(' -> '));
      else if (!done.has(next) && graph.has(next)) visit(next);
    }
    path.pop();
    done.add(file);
  };
  for (const file of graph.keys()) if (!done.has(file)) visit(file);
  return found;
}

test('the graph is read: the handler pipeline imports the gate, the invocation scope and the settings', () => {
  const pipeline = importGraph().get(join(SRC, 'lambda/pipeline.ts'));
  assert.ok(pipeline !== undefined);
  for (const name of ['gate.ts', 'invocation.ts', 'settings.ts']) assert.ok(pipeline.includes(join(SRC, 'lambda', name)), name);
});

test('a cycle is found when there is one', () => {
  const graph = new Map([
    ['/a.ts', ['/b.ts']],
    ['/b.ts', ['/c.ts']],
    ['/c.ts', ['/a.ts']],
  ]);
  assert.equal(cycles(graph).length, 1);
});

test('no import cycle among the modules of src/', () => {
  assert.deepEqual(cycles(importGraph()), []);
});
