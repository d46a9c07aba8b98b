import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'acorn';
import { FirmwareBuildError, MAX_BUNDLE_BYTES, buildFirmware, checkBundle } from '../../host/build/firmware.ts';
import { freeIdentifiers } from '../../host/build/free-identifiers.ts';

const FIX = resolve(import.meta.dirname, '../fixtures/link');
const tmp = mkdtempSync(join(tmpdir(), 'pt-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function free(code: string): string[] {
  return freeIdentifiers(parse(code, { ecmaVersion: 2019, sourceType: 'script' }), code).map((f) => f.name + (f.typeofOnly ? '?' : ''));
}

describe('free identifiers (the scope pass)', () => {
  it('finds globals, not properties, keys, labels or declared names', () => {
    expect(free('var a = 1; function f(b) { let c = b + a; return c + d; } obj.require; ({ module: 1 }); x: for (;;) break x;')).toEqual(['d', 'obj']);
  });

  it('hoists var and function declarations, and scopes let, const, class and catch', () => {
    expect(free('g(); function g() { return h; var h = 1; } { let k = 1; } k; try {} catch (e) { e; } e; class K {} new K();')).toEqual(['e', 'k']);
  });

  it('handles patterns, defaults, arrows, named function expressions and classes', () => {
    const code = 'const { a, b: [c, ...r], [key]: z = dflt } = src; const f = function self(n = m) { return self(a + c + z + r.length + n); }; ' + 'const g = ({ p }) => p + q; class A extends Base { m() { return A; } static s(u) { return u; } }';
    expect(free(code)).toEqual(['Base', 'dflt', 'key', 'm', 'q', 'src']);
  });

  it('tells typeof-only uses apart, and shadowing removes a name', () => {
    expect(free('if (typeof require !== "undefined") x(); function y(require) { return require("fs"); }')).toEqual(['require?', 'x']);
    expect(free('typeof Buffer; Buffer.from("a");')).toEqual(['Buffer']);
  });

  it('sees assignment targets as uses and shorthand properties as references', () => {
    expect(free('leak = 1; [u, v] = pair; ({ w } = o); const s = { t };')).toEqual(['leak', 'o', 'pair', 't', 'u', 'v', 'w']);
  });
});

describe('checkBundle', () => {
  it('accepts a plain ES2019 script that reads Kaluma globals, process included', () => {
    expect(checkBundle('"use strict";\nvar pt = (() => { console.log(process.memoryUsage().heapUsed, millis()); return {}; })();\n').problems).toEqual([]);
  });

  it('rejects syntax newer than ES2019', () => {
    const { problems } = checkBundle('var a = b?.c;');
    expect(problems.join()).toMatch(/ES2019/);
    expect(checkBundle('var a = b ?? c;').problems.join()).toMatch(/ES2019/);
  });

  it('rejects what strict mode forbids', () => {
    expect(checkBundle('with (a) { b; }').problems.join()).toMatch(/strict/);
    expect(checkBundle('var x = 010;').problems.join()).toMatch(/strict/);
  });

  it('rejects a module (import/export) where a script is needed', () => {
    expect(checkBundle('export const a = 1;').problems.join()).toMatch(/ES2019 strict-mode script/);
  });

  it('rejects a NUL byte', () => {
    expect(checkBundle('var s = "a\0b";').problems.join()).toMatch(/NUL byte \(at offset 10\)/);
  });

  it('rejects a bundle over 64 KB', () => {
    const code = 'var s = "' + 'x'.repeat(MAX_BUNDLE_BYTES) + '";';
    expect(checkBundle(code).problems.join()).toMatch(/over the 65536-byte/);
  });

  it('lists globals the board may lack, without failing', () => {
    const { problems, report } = checkBundle('var a = new Intl.NumberFormat(); var b = Math.abs(millis()); var c = typeof Bun;');
    expect(problems).toEqual([]);
    expect(report.unknownGlobals.map((g) => g.name)).toEqual(['Intl']);
  });

  it('allows `typeof require` (a guard that cannot throw) but not a call', () => {
    expect(checkBundle('var r = typeof require;').problems).toEqual([]);
    expect(checkBundle('var r = require("x");').problems.join()).toMatch(/Node global `require` \(bundle line 1\)/);
  });
});

describe('buildFirmware', () => {
  it('bundles, lowers `?.` and `??`, and writes the bundle and its map', async () => {
    const outfile = join(tmp, 'ok.js');
    const res = await buildFirmware({ entry: join(FIX, 'ok-main.ts'), outfile });
    expect(res.code).not.toMatch(/\?\./);
    expect(res.code).not.toMatch(/\?\?/);
    expect(res.code.startsWith('"use strict";\nvar pt = ')).toBe(true);
    expect(res.code).not.toMatch(/sourceMappingURL/);
    expect(JSON.parse(res.map).sources.some((s: string) => s.endsWith('ok-lib.ts'))).toBe(true);
    expect(res.globals.map((g) => g.name)).toEqual(['JSON', 'console', 'process']);
    expect(res.bytes).toBeLessThan(MAX_BUNDLE_BYTES);
  });

  it('fails on a program that uses require', async () => {
    const err = await buildFirmware({ entry: join(FIX, 'uses-require.ts'), write: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirmwareBuildError);
    expect((err as Error).message).toMatch(/Node global `require`/);
  });

  it('fails on Buffer but not on a local named `module`', async () => {
    const err = (await buildFirmware({ entry: join(FIX, 'uses-buffer.ts'), write: false }).catch((e: unknown) => e)) as FirmwareBuildError;
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatch(/`Buffer`/);
  });

  it('fails on a program over 64 KB', async () => {
    const entry = join(tmp, 'big.ts');
    const values: number[] = [];
    for (let i = 0; i < 14000; i++) values.push((i * 7919) % 100003);
    writeFileSync(entry, `export const TABLE: number[] = [${values.join(',')}];\nconsole.log(TABLE.length);\n`);
    const err = await buildFirmware({ entry, write: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirmwareBuildError);
    expect((err as Error).message).toMatch(/64 KB/);
  });

  it('reports an esbuild error with file and line', async () => {
    const entry = join(tmp, 'broken.ts');
    writeFileSync(entry, 'import { nothing } from "./missing.ts";\nconsole.log(nothing);\n');
    const err = await buildFirmware({ entry, write: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FirmwareBuildError);
    expect((err as Error).message).toMatch(/broken\.ts:1:\d+: Could not resolve/);
  });
});
