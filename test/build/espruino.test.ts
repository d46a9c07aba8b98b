import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import { build, transform } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { ESPRUINO_ESBUILD_SUPPORTED, EspruinoBuildError, buildEspruino, bundleEspruino } from '../../host/build/espruino.ts';
import { ESPRUINO_MISSING_BUILTINS, ESPRUINO_MISSING_SYNTAX, espruinoProblems, type EspruinoSyntaxRule } from '../../host/build/espruino-syntax.ts';
import { espruinoParseNumber } from '../../host/build/espruino-number.ts';
import { lowerForEspruino } from '../../host/build/lower-espruino.ts';
import { BundleTracer } from '../../host/build/trace.ts';

const FIX = resolve(import.meta.dirname, '../fixtures/espruino');
const fixture = (name: string): string => join(FIX, `${name}.ts`);
const tmp = mkdtempSync(join(tmpdir(), 'pt-espruino-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const whats = (code: string): string[] => espruinoProblems(code).map((p) => p.what);

/** Runs a bundle in a fresh context and returns its `pt`, as the host would call it. */
function run(code: string): Record<string, any> {
  return vm.runInNewContext(code + '\n;pt', {}) as Record<string, any>;
}

describe('espruinoProblems: the syntax Espruino lacks', () => {
  // One or more snippets per rule; the rule's phrase must be found in each.
  const CASES: Record<EspruinoSyntaxRule, string[]> = {
    destructuring: ['const { a } = o;', 'const [b] = o;', 'function f({ x }) {}', 'let a, b; [a, b] = pair;', 'for (const [k, v] of e) {}', 'try {} catch ({ message }) {}'],
    spread: ['f(...a);', 'const b = [...a];', 'const c = { ...o };'],
    rest: ['function f(...r) {}', '(...r) => r;'],
    defaultParameter: ['function f(a = 1) {}', '(a = 1) => a;'],
    optionalChain: ['a?.b;', 'a?.();', 'a?.[0];'],
    exponent: ['x = a ** 2;'],
    exponentAssign: ['x **= 2;'],
    computedKey: ['({ [k]: 1 });', 'class A { [k]() {} }', 'class A { [k] = 1; }'],
    generator: ['function* g() { yield 1; }', '({ *m() {} });'],
    async: ['async function f() { await g(); }', 'const f = async () => 1;', 'async function f() { for await (const x of y) {} }'],
    privateMember: ['class A { #x = 1; m() { return this.#x; } }', 'class A { #m() {} }'],
    label: ['a: for (;;) {}', 'b: { }'],
    labelledBreak: ['a: for (;;) { break a; }'],
    labelledContinue: ['a: for (;;) { continue a; }'],
    bigint: ['const n = 1n;'],
    inexactDecimal: ['x = 0.3;', 'y = -1e-8;', 'z = 2.5e-7.toFixed(9);', 'w = [1e-30];', 'v = 123456789012345678901;'],
    functionHoisting: ['f(); function f() {}', 'function g() { h(); function h() {} }', '{ k(); function k() {} }', 'const t = f; function f() {}'],
    varAssignHoisting: ['x = 1; var x;', 'function f() { if (c) y = 2; var y = 3; return y; }', 'function f() { n++; var n; }'],
    varReadHoisting: ['function f() { return z; var z; }'],
    forLetClosure: ['for (let i = 0; i < 3; i++) fs.push(() => i);', 'for (let i = 0; i < 3; i++) { fs.push(function () { return i; }); }', 'for (const k of ks) fs.push(() => k);', 'for (let k in o) fs.push(() => k);'],
    parse: ['var = ;', 'export const a = 1;'],
  };

  it('has a case for every rule in the list', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(ESPRUINO_MISSING_SYNTAX).sort());
  });

  for (const [rule, snippets] of Object.entries(CASES) as [EspruinoSyntaxRule, string[]][]) {
    it(`finds ${rule}`, () => {
      for (const code of snippets) expect(whats(code).join('\n'), code).toContain(ESPRUINO_MISSING_SYNTAX[rule]);
    });
  }

  it('names the function or var that relies on hoisting', () => {
    expect(whats('f(); function f() {}')).toEqual(['`f` ' + ESPRUINO_MISSING_SYNTAX.functionHoisting]);
    expect(whats('x = 1; var x;')).toEqual(['`x` ' + ESPRUINO_MISSING_SYNTAX.varAssignHoisting]);
  });

  it('gives 1-based lines and 0-based columns of the offending node', () => {
    expect(espruinoProblems('var a = 1;\n  b: for (;;) {\n    break b;\n  }')).toEqual([
      { line: 2, column: 2, what: ESPRUINO_MISSING_SYNTAX.label },
      { line: 3, column: 4, what: ESPRUINO_MISSING_SYNTAX.labelledBreak },
    ]);
    const [parseError] = espruinoProblems('var ok = 1;\nvar = 2;');
    expect(parseError).toMatchObject({ line: 2, column: 4 });
    expect(parseError!.what).toMatch(/^does not parse: /);
  });

  it('reports a destructuring once, not once per nested pattern', () => {
    expect(whats('const { a: [b, { c }], ...r } = o;')).toEqual([ESPRUINO_MISSING_SYNTAX.destructuring]);
  });

  it('is conservative about hoisting: uses in nested functions and after the declaration pass', () => {
    const ok = [
      'function f() {} f();',
      'const g = () => f(); function f() {}',
      'function outer() { return () => h(); function h() {} }',
      'var x = 1; x = 2;',
      'function f() { return () => w; var w = 1; }',
      'var v = v || {};',
      'if (typeof q === "undefined") {} var q;',
      'function p(a) { a = 1; var a; }',
      '{ let x = 1; x = 2; } var x;',
    ];
    for (const code of ok) expect(whats(code), code).toEqual([]);
  });

  it('passes a for-let loop whose closures copy the variable, or that has none', () => {
    expect(whats('for (let i = 0; i < 3; i++) { let k = i; fs.push(() => k); }')).toEqual([]);
    expect(whats('let s = 0; for (let i = 0; i < 3; i++) s += i;')).toEqual([]);
    expect(whats('for (var i = 0; i < 3; i++) fs.push(() => i);')).toEqual([]);
    expect(whats('for (const k of ks) { const c = k; fs.push(() => c); }')).toEqual([]);
  });

  it('passes the syntax Espruino has: classes with fields, ??, arrows, let/const, for-of, templates, a local named Map', () => {
    const code = [
      'class Base { constructor(n) { this.n = n; } get twice() { return this.n * 2; } static of(n) { return new Base(n); } }',
      'class Counter extends Base { count = 0; static made = 0; constructor(n) { super(n); Counter.made++; } add(k) { this.count += k; return this; } }',
      'const scale = (x, k) => x * (k ?? 1);',
      'let total = 0;',
      'for (const v of [1, 2, 3]) total += scale(v);',
      'for (const key in { a: 1 }) total += key.length;',
      'const Map = new Float32Array(4);',
      'function keyed(Set) { const Symbol = 1; return Set + Symbol; }',
      'const label = `total ${total} ${Map.length}`;',
      'const o = { total, label, get size() { return 1; }, m() { return 2; }, "quoted": 3 };',
      'console.log(label, o, keyed(1), Math.sqrt(2), Math.floor(1.5), isFinite(1), (1.5).toFixed(2));',
      'try { JSON.parse("{}"); } catch (e) { e; }',
      'process.memory(); require("Storage"); global.x = 1; E.getSizeOf(o);',
    ].join('\n');
    expect(espruinoProblems(code)).toEqual([]);
  });
});

describe('espruinoProblems: the built-ins Espruino lacks', () => {
  const CASES: Record<string, string> = {
    'Math.fround': 'y = Math.fround(x);',
    'Math.trunc': 'y = Math.trunc(x);',
    'Math.log2': 'y = Math.log2(x);',
    'Math.log10': 'y = Math.log10(x);',
    'Math.hypot': 'y = Math.hypot(x, 1);',
    'Math.cbrt': 'y = Math.cbrt(x);',
    'Math.pow': 'y = Math.pow(2, 53);',
    'Number.isFinite': 'y = Number.isFinite(x);',
    'Number.isInteger': 'y = Number.isInteger(x);',
    'Number.EPSILON': 'y = 1 + Number.EPSILON;',
    'Array.from': 'y = Array.from(x);',
    Map: 'y = new Map();',
    Set: 'y = new Set();',
    Symbol: 'y = Symbol("s");',
    '.toPrecision': 'y = x.toPrecision(9);',
    globalThis: 'y = globalThis.x;',
  };
  // The rest of ESPRUINO_ABSENT, one generated case each: a static read, a global read, a method call.
  for (const key of Object.keys(ESPRUINO_MISSING_BUILTINS)) {
    if (CASES[key]) continue;
    CASES[key] = key.startsWith('.') ? `y = x${key}(1);` : `y = ${key};`;
  }

  it('has a case for every built-in in the list', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(ESPRUINO_MISSING_BUILTINS).sort());
  });

  for (const [name, code] of Object.entries(CASES)) {
    it(`finds ${name}`, () => {
      expect(whats(code)).toEqual([ESPRUINO_MISSING_BUILTINS[name]]);
    });
  }

  it('finds a computed member with a string key, and points at the member expression', () => {
    expect(espruinoProblems('var y =\n  Math["fround"](x);')).toEqual([{ line: 2, column: 2, what: ESPRUINO_MISSING_BUILTINS['Math.fround'] }]);
  });

  it('finds Node globals, but not those Espruino has (require, global, process)', () => {
    expect(whats('Buffer.from("a"); setImmediate(f); require("Storage"); global.a = 1; process.memory();')).toEqual([
      'Buffer (a Node global: Espruino has none)',
      'setImmediate (a Node global: Espruino has none)',
    ]);
  });

  it('ignores locals of those names, properties, keys and typeof feature tests', () => {
    const ok = [
      'const Math = { fround: (x) => x }; Math.fround(1);',
      'function g(Map) { return new Map(); }',
      'let Symbol = 1; Symbol += 1;',
      'obj.Map; obj.Math.fround(1); ({ Map: 1, Set: 2 });',
      'if (typeof Map !== "undefined") {} if (typeof Math.fround === "function") {}',
      'class A { Map() {} toPrecisionLike() {} }',
    ];
    for (const code of ok) expect(whats(code), code).toEqual([]);
  });
});

describe("esbuild's lowering for Espruino (what ESPRUINO_ESBUILD_SUPPORTED is built on)", () => {
  const lower = (code: string, supported: Record<string, boolean>) => transform(code, { target: 'es2019', supported, loader: 'ts' });

  it('cannot lower destructuring, default or rest arguments, or generators', async () => {
    await expect(lower('const { a } = o;', { destructuring: false })).rejects.toThrow(/not supported yet/);
    await expect(lower('function f(a = 1) { return a; }', { 'default-argument': false })).rejects.toThrow(/not supported yet/);
    await expect(lower('function f(...r) { return r; }', { 'rest-argument': false })).rejects.toThrow(/not supported yet/);
    await expect(lower('function* g() { yield 1; }', { generator: false })).rejects.toThrow(/not supported yet/);
  });

  it('lowers ?., ?? and object spread into code Espruino runs', async () => {
    const { code } = await lower('const v = a?.b ?? c; const o = { ...p, q: 1 };', ESPRUINO_ESBUILD_SUPPORTED);
    expect(espruinoProblems(code)).toEqual([]);
  });

  it('would lower ** to Math.pow and #private to WeakMap: both are kept, so the check names their line', async () => {
    expect((await lower('x = a ** b;', { 'exponent-operator': false })).code).toMatch(/__pow = Math\.pow/);
    expect((await lower('class A { #x = 1; m() { return this.#x; } }', {})).code).toMatch(/WeakMap/);
    expect((await lower('x = a ** b; class A { #x = 1; m() { return this.#x; } }', ESPRUINO_ESBUILD_SUPPORTED)).code).toMatch(/a \*\* b[\s\S]*#x = 1/);
  });
});

describe('lowerForEspruino: hoisting for a runtime without it', () => {
  it("fixes esbuild's output calling a function before its declaration, keeps the line count, and still runs", async () => {
    const raw = await bundleEspruino({ entry: fixture('hoisting'), minify: false });
    const before = espruinoProblems(raw.code).map((p) => p.what);
    expect(before).toContain('`twice` ' + ESPRUINO_MISSING_SYNTAX.functionHoisting);
    expect(before).toContain('`odd` ' + ESPRUINO_MISSING_SYNTAX.functionHoisting);
    expect(before).toContain('`total` ' + ESPRUINO_MISSING_SYNTAX.varAssignHoisting);

    const lowered = lowerForEspruino(raw.code, raw.map, ['pt']);
    expect(lowered.code.split('\n')[0]).toBe('"use strict"; var pt;');
    expect(espruinoProblems(lowered.code)).toEqual([]);
    expect(lowered).toMatchObject({ hoistedFunctions: 3, hoistedVars: 1 });
    expect(lowered.code.split('\n').length).toBe(raw.code.split('\n').length);
    // Lines after the moved stretch keep their numbers.
    const last = '  pt = { answer, count };';
    expect(lowered.code.split('\n').indexOf(last)).toBe(raw.code.split('\n').indexOf(last));

    const pt = run(lowered.code);
    expect(pt.answer).toBe(42);
    expect(pt.count(5)).toBe(2);
  });

  it('rebuilds the source map: moved lines still trace to their TypeScript line', async () => {
    const built = await buildEspruino({ entry: fixture('hoisting'), write: false, minify: false });
    const tracer = new BundleTracer(built.map, resolve(built.outfile, '..'));
    const lines = built.code.split('\n');
    const at = (text: string): number => lines.findIndex((l) => l.includes(text)) + 1;
    expect(tracer.position(at('return n * 2;'))).toMatchObject({ source: 'test/fixtures/espruino/hoisting.ts', line: 16 });
    expect(tracer.position(at('return i % 2;'))).toMatchObject({ source: 'test/fixtures/espruino/hoisting.ts', line: 11 });
    expect(tracer.position(at('var answer = twice(21);'))).toMatchObject({ source: 'test/fixtures/espruino/hoisting.ts', line: 2 });
  });

  it('leaves directives first and code without late declarations untouched', () => {
    const code = 'function f() { "use strict"; g(); function g() {} }\n';
    const map = JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA' });
    const lowered = lowerForEspruino(code, map);
    expect(lowered.code).toBe('function f() { "use strict"; function g() {} g();  }\n');
    expect(lowerForEspruino('function a() {} a();', map)).toMatchObject({ code: 'function a() {} a();', map, hoistedFunctions: 0 });
  });
});

describe('lowerForEspruino: number literals Espruino would misread', () => {
  const MAP = JSON.stringify({ version: 3, sources: ['a.ts'], names: [], mappings: 'AAAA' });
  const NO_FORM = 'and no exact form exists (an integer over 10ᵏ with k ≤ 22, or over 2ᵏ with k ≤ 62): use a value that has one, or send it from the host';
  /** Every number literal of `code`, as Espruino reads it, and JavaScript's value. */
  const literals = (code: string): { raw: string; read: number; value: number }[] => [...code.matchAll(/(?<![\w$.])(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g)].map((m) => ({ raw: m[0], read: espruinoParseNumber(m[0]), value: Number(m[0].replace(/_/g, '')) }));
  /** Evaluates `code` as Espruino would read its literals: each one replaced by the double Espruino reads. */
  const asEspruino = (code: string): unknown => vm.runInNewContext(code.replace(/(?<![\w$.])(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g, (raw) => `(${espruinoParseNumber(raw)})`));

  it('writes each as an exact quotient Espruino evaluates to the very double JavaScript reads', () => {
    const code = 'var r=[.3,-.95,1e-8,-2.5e-7,2.5e-7.toFixed(9),.3*-1e-6,1e30,5,.5,1.5];r';
    const lowered = lowerForEspruino(code, MAP);
    expect(lowered.code).toBe('var r=[(3/10),-(95/100),(1/100000000),-(25/100000000),(25/100000000).toFixed(9),(3/10)*-(1/1000000),(100000000*1e22),5,.5,1.5];r');
    expect(lowered).toMatchObject({ loweredNumbers: 8, inexactNumbers: 0 });
    // What the board computes from the lowered text (each literal as Espruino reads it) is what JavaScript computes from the original.
    expect(asEspruino(lowered.code)).toEqual(vm.runInNewContext(code));
    expect(asEspruino(code)).not.toEqual(vm.runInNewContext(code));
    // Every literal left is one Espruino reads exactly.
    for (const l of literals(lowered.code)) expect(l.read, l.raw).toBe(l.value);
    expect(espruinoProblems(lowered.code)).toEqual([]);
  });

  it('leaves a literal with no exact form (1e-40) for the checks, which name it', () => {
    const lowered = lowerForEspruino('var floor=Math.max(x,1e-40),ok=.7;', MAP);
    expect(lowered.code).toBe('var floor=Math.max(x,1e-40),ok=(7/10);');
    expect(lowered).toMatchObject({ loweredNumbers: 1, inexactNumbers: 1 });
    expect(espruinoProblems(lowered.code)).toEqual([{ line: 1, column: 21, what: `\`1e-40\` is ${ESPRUINO_MISSING_SYNTAX.inexactDecimal}: Espruino reads ${espruinoParseNumber('1e-40')}, not 1e-40; ${NO_FORM}` }]);
  });

  it('leaves keys alone, and a replacement that would not parse as its own expression', () => {
    // `f()` then a line starting with `(3/10)` would call f's result: left as is, for the checks to refuse.
    const code = 'var o={.3:1,m(){return .3}};f()\n.3.toString()';
    const lowered = lowerForEspruino(code, MAP);
    expect(lowered.code).toBe('var o={.3:1,m(){return (3/10)}};f()\n.3.toString()');
    expect(lowered).toMatchObject({ loweredNumbers: 1, inexactNumbers: 1 });
    expect(whats(lowered.code).filter((w) => w.includes(ESPRUINO_MISSING_SYNTAX.inexactDecimal))).toHaveLength(1);
  });

  it('lowers after hoisting, keeping lines, and a text with nothing to lower unchanged', () => {
    const code = 'var a = .3;\nf();\nfunction f() { return 1e-8; }\n';
    const lowered = lowerForEspruino(code, MAP);
    expect(lowered.code).toBe('function f() { return (1/100000000); } var a = (3/10);\nf();\n\n');
    expect(lowered).toMatchObject({ hoistedFunctions: 1, loweredNumbers: 2 });
    expect(lowerForEspruino('var a = .5 + 1e21 + 0x1F;', MAP)).toMatchObject({ code: 'var a = .5 + 1e21 + 0x1F;', map: MAP, loweredNumbers: 0 });
  });

  it('traces a lowered literal, and a refused one, to its TypeScript line (minified bundle)', async () => {
    const entry = join(tmp, 'decimals.ts');
    writeFileSync(entry, ['export const rate = (x: number) => x * 0.3;', '', 'export const tiny = (x: number) =>', '  x + 1e-8;', ''].join('\n'));
    const built = await buildEspruino({ entry, write: false, minify: true });
    expect(built.code).toContain('(3/10)');
    expect(built.code).toContain('(1/100000000)');
    const tracer = new BundleTracer(built.map, resolve(built.outfile, '..'));
    const lines = built.code.split('\n');
    const at = (text: string): [number, number] => {
      const line = lines.findIndex((l) => l.includes(text));
      return [line + 1, lines[line]!.indexOf(text)];
    };
    expect(tracer.position(...at('(3/10)'))?.line).toBe(1);
    expect(tracer.position(...at('(1/100000000)'))?.line).toBe(4);

    writeFileSync(entry, ['export const a = 1;', 'export const floor = (x: number) => Math.max(x, 1e-40);', ''].join('\n'));
    const err = (await buildEspruino({ entry, write: false, minify: true }).catch((e: unknown) => e)) as EspruinoBuildError;
    expect(err).toBeInstanceOf(EspruinoBuildError);
    expect(err.problems).toEqual([`${entry}:2: \`1e-40\` is ${ESPRUINO_MISSING_SYNTAX.inexactDecimal}: Espruino reads ${espruinoParseNumber('1e-40')}, not 1e-40; ${NO_FORM}`]);
  });
});

describe('buildEspruino', () => {
  it('builds a clean entry: no problems, no NUL, defines, and it runs', async () => {
    const outfile = join(tmp, 'clean.js');
    const res = await buildEspruino({ entry: fixture('clean'), outfile });
    expect(res.code).not.toContain('\0');
    expect(res.bytes).toBe(Buffer.byteLength(res.code));
    expect(res.lines).toBe(res.code.split('\n').length);
    expect(espruinoProblems(res.code)).toEqual([]);
    expect(readFileSync(outfile, 'utf8')).toBe(res.code);
    expect(existsSync(outfile + '.map')).toBe(true);
    expect(res.code).not.toMatch(/sourceMappingURL/);

    const pt = run(res.code);
    expect(pt.runtime).toBe('espruino');
    expect(pt.version).toBe(JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')).version);
    expect(pt.summary([1, 2, 3.5], { scale: 0.1 })).toBe('sum=6.5 first=0.10000000149011612 keys=ab twice=6');
  });

  const REFUSED: [string, number, string][] = [
    ['labelled-break', 8, ESPRUINO_MISSING_SYNTAX.labelledBreak],
    ['destructuring', 3, ESPRUINO_MISSING_SYNTAX.destructuring],
    ['fround', 3, ESPRUINO_MISSING_BUILTINS['Math.fround']!],
    ['pow', 3, ESPRUINO_MISSING_BUILTINS['Math.pow']!],
  ];
  for (const [name, line, what] of REFUSED) {
    it(`refuses ${name}, naming the TypeScript line through the source map`, async () => {
      const err = await buildEspruino({ entry: fixture(name), outfile: join(tmp, `${name}.js`) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EspruinoBuildError);
      expect((err as EspruinoBuildError).problems).toContain(`test/fixtures/espruino/${name}.ts:${line}: ${what}`);
      expect((err as Error).message).toContain(`test/fixtures/espruino/${name}.ts:${line}: ${what}`);
      expect(existsSync(join(tmp, `${name}.js`))).toBe(false);
    });
  }

  it('names the line under minify too (one bundle line: the column finds it)', async () => {
    const err = (await buildEspruino({ entry: fixture('pow'), write: false, minify: true }).catch((e: unknown) => e)) as EspruinoBuildError;
    expect(err.problems).toEqual([`test/fixtures/espruino/pow.ts:3: ${ESPRUINO_MISSING_BUILTINS['Math.pow']}`]);
    const ok = await buildEspruino({ entry: fixture('hoisting'), write: false, minify: true });
    expect(run(ok.code).answer).toBe(42);
  });

  it('refuses **, #private and async at their own line (esbuild is told to keep them)', async () => {
    const entry = join(tmp, 'kept.ts');
    writeFileSync(entry, ['export const cube = (x: number) => x ** 3;', 'export class A {', '  #x = 1;', '  get() { return this.#x; }', '}', 'export async function later() {}', ''].join('\n'));
    const err = (await buildEspruino({ entry, write: false }).catch((e: unknown) => e)) as EspruinoBuildError;
    expect(err.problems).toEqual(expect.arrayContaining([`${entry}:1: ${ESPRUINO_MISSING_SYNTAX.exponent}`, `${entry}:3: ${ESPRUINO_MISSING_SYNTAX.privateMember}`, `${entry}:6: ${ESPRUINO_MISSING_SYNTAX.async}`]));
  });

  it("bundles firmware/espruino-main.ts (main.ts behind it) with espruino.ts in place of runtime.ts's kaluma.ts", async () => {
    const { code, entry } = await bundleEspruino({ minify: false });
    expect(entry).toBe(resolve(import.meta.dirname, '../../firmware/espruino-main.ts'));
    expect(code).toContain('// firmware/main.ts');
    expect(code).toContain('// firmware/espruino.ts');
    expect(code).not.toContain('// firmware/kaluma.ts');
  });

  it("would refuse esbuild's globalName wrapper: its export getters are closures in a for-let-of loop", async () => {
    const { outputFiles } = await build({ entryPoints: [fixture('fround')], bundle: true, format: 'iife', globalName: 'pt', platform: 'neutral', target: 'es2019', write: false });
    expect(whats(outputFiles[0]!.text)).toContain('`key` ' + ESPRUINO_MISSING_SYNTAX.forLetClosure);
  });

  it("reports esbuild's own errors (a missing entry) as a build error", async () => {
    await expect(buildEspruino({ entry: join(tmp, 'nope.ts'), write: false })).rejects.toThrow(EspruinoBuildError);
  });
});

describe('buildEspruino: room in Storage', () => {
  it("refuses a bundle larger than an Espruino Pico's Storage holds (the firmware unminified)", async () => {
    const err = (await buildEspruino({ write: false, minify: false }).catch((e: unknown) => e)) as EspruinoBuildError;
    expect(err).toBeInstanceOf(EspruinoBuildError);
    expect(err.problems.join('\n')).toMatch(/it is \d+ bytes, more than the 49120 an Espruino Pico's Storage holds/);
    // Minified, as `host flash` builds it, it fits with room to spare.
    expect((await buildEspruino({ write: false })).bytes).toBeLessThan(40_000);
  });
});
