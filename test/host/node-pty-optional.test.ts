// node-pty is an optional dependency: only the virtual Pico needs it, and it compiles from source
// on Linux. The CLI must load it with a dynamic import when a virtual Pico starts and never before
// (commands are registered eagerly, so one static import anywhere below host/cli.ts would make
// every command need it), and say in one line what is missing when it is.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { NODE_PTY_MISSING } from '../../host/sim/pty.ts';
import { ROOT } from '../e2e/cli.ts';

const run = promisify(execFile);
const HIDE_NODE_PTY = ['--import', './test/helpers/without-node-pty.mjs'];

interface ModuleImports {
  /** Imports that load with the module: import/export … from, require(). `import type` is left out. */
  static: string[];
  /** import(…) calls, a variable specifier resolved to the string constant it names. */
  dynamic: string[];
}

function importsOf(file: string): ModuleImports {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const constants = new Map<string, string>();
  const out: ModuleImports = { static: [], dynamic: [] };
  const text = (node: ts.Expression): string => (ts.isStringLiteralLike(node) ? node.text : ts.isIdentifier(node) ? (constants.get(node.text) ?? `<${node.text}>`) : '<expression>');
  for (const st of source.statements) {
    if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) if (ts.isIdentifier(d.name) && d.initializer && ts.isStringLiteralLike(d.initializer)) constants.set(d.name.text, d.initializer.text);
    }
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      // `import { type A } from …` counts: with verbatimModuleSyntax it stays as `import {} from …`.
      out.static.push(text(node.moduleSpecifier));
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      out.static.push(text(node.moduleSpecifier));
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      out.dynamic.push(text(node.arguments[0]));
    } else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'require' && node.arguments.length === 1) {
      out.static.push(text(node.arguments[0]));
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** Every module that loads with `entry` (following relative static imports), with each one's imports. */
function staticGraph(entry: string): Map<string, ModuleImports> {
  const graph = new Map<string, ModuleImports>();
  const todo = [resolve(ROOT, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (graph.has(file)) continue;
    const imports = importsOf(file);
    graph.set(file, imports);
    for (const spec of imports.static) {
      if (!spec.startsWith('.')) continue;
      const target = [resolve(dirname(file), spec), resolve(dirname(file), spec.replace(/\.js$/, '.ts'))].find((f) => existsSync(f));
      expect(target, `${relative(ROOT, file)} imports ${spec}`).toBeDefined();
      if (/\.(ts|mts|js|mjs)$/.test(target!)) todo.push(target!);
    }
  }
  return graph;
}

const isNodePty = (spec: string) => spec === 'node-pty' || spec.startsWith('node-pty/');

describe('node-pty is optional', () => {
  it('is in optionalDependencies, not dependencies', () => {
    const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    expect(pkg.optionalDependencies?.['node-pty']).toBeDefined();
    expect(pkg.dependencies?.['node-pty']).toBeUndefined();
  });

  it('is reached from host/cli.ts only through a dynamic import (in host/sim/pty.ts)', () => {
    const graph = staticGraph('host/cli.ts');
    // the graph is the whole CLI: every command, the virtual Pico's module among them
    for (const f of ['host/commands/run.ts', 'host/commands/flash.ts', 'host/commands/send.ts', 'host/commands/train.ts', 'host/commands/monitor.ts', 'host/commands/ports.ts', 'host/sim/pty.ts']) {
      expect(graph.has(resolve(ROOT, f)), f).toBe(true);
    }
    const staticUses = [...graph].flatMap(([file, imports]) => imports.static.filter(isNodePty).map((spec) => `${relative(ROOT, file)}: ${spec}`));
    expect(staticUses).toEqual([]);
    const dynamicUses = [...graph].flatMap(([file, imports]) => imports.dynamic.filter(isNodePty).map((spec) => `${relative(ROOT, file)}: ${spec}`));
    expect(dynamicUses).toEqual(['host/sim/pty.ts: node-pty/lib/utils.js']);
  });

  it('without node-pty, `host sim` says what to install in one line, and the other commands work', async () => {
    const sim = await run(process.execPath, [...HIDE_NODE_PTY, 'host/bin.js', 'sim', '--pace', 'fast'], { cwd: ROOT, encoding: 'utf8' }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(sim.code).toBe(1);
    expect(sim.stderr).toBe(`host: ${NODE_PTY_MISSING}\n`);
    expect(NODE_PTY_MISSING).toBe('the virtual Pico needs node-pty, which did not build: install g++, make and python3, then npm install');

    const trained = await run(process.execPath, [...HIDE_NODE_PTY, 'host/bin.js', 'run', '--data', 'test/fixtures/data/seed.csv', '--no-bias', '--epochs', '100', '--format', 'text'], { cwd: ROOT, encoding: 'utf8' });
    expect(trained.stdout).toMatch(/^Done: 100 epochs\. W= 1\.9999443/m);
    const help = await run(process.execPath, [...HIDE_NODE_PTY, 'host/bin.js', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(help.stdout).toMatch(/^Usage: host /);
  });
});
