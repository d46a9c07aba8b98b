// Builds the firmware bundle that Kaluma runs, and refuses bundles the board would choke on.
//
// Kaluma 1.2.1 parses the flashed program as one strict-mode ES2019-ish script (JerryScript
// 2.4: no `?.`, no `??=`, no #private), stores it NUL-terminated, and has none of Node's
// globals. esbuild lowers and bundles; the checks below then prove the result is fit:
// it parses as an ES2019 strict script, reads no Node global, is at most 64 KB, has no NUL.
// The source map stays on the host (dist/firmware.js.map) so board stack lines can be traced.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { programVersion } from '../program.ts';
import { fileURLToPath } from 'node:url';
import { parse } from 'acorn';
import { build } from 'esbuild';
import { UserError } from '../errors.ts';
import { freeIdentifiers, type FreeUse } from './free-identifiers.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_ENTRY = resolve(REPO_ROOT, 'firmware/main.ts');
export const DEFAULT_OUT = resolve(REPO_ROOT, 'dist/firmware.js');

/** Largest bundle accepted: a budget that leaves the 180 KB heap room to parse and run it. */
export const MAX_BUNDLE_BYTES = 64 * 1024;

/**
 * Globals Node has and Kaluma does not: reading one on the board throws a ReferenceError.
 * `process` is not here: Kaluma has its own (`process.memoryUsage()`, `process.stdin`).
 */
export const NODE_ONLY_GLOBALS = [
  'require',
  'module',
  'exports',
  'Buffer',
  '__dirname',
  '__filename',
  'global',
  'setImmediate',
  'clearImmediate',
  'queueMicrotask',
  'structuredClone',
  'TextEncoder',
  'TextDecoder',
  'URL',
  'URLSearchParams',
  'fetch',
  'AbortController',
  'performance',
  'WebAssembly',
] as const;

/**
 * Globals a Kaluma 1.2.1 program can count on: ES2019 built-ins (JerryScript 2.4, es.next profile)
 * and Kaluma's own. A bundle that reads anything else gets a warning (not a failure): it may be a
 * Kaluma global this list lacks, or a browser/Node API the board does not have.
 */
export const BOARD_GLOBALS = new Set([
  // language
  'undefined', 'NaN', 'Infinity', 'Object', 'Function', 'Array', 'String', 'Number', 'Boolean', 'Symbol', 'Math', 'JSON', 'Date',
  'RegExp', 'Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'Promise', 'Proxy',
  'Reflect', 'Map', 'Set', 'WeakMap', 'WeakSet', 'ArrayBuffer', 'DataView', 'Int8Array', 'Uint8Array', 'Uint8ClampedArray',
  'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'isFinite', 'isNaN', 'parseInt',
  'parseFloat', 'encodeURIComponent', 'decodeURIComponent', 'encodeURI', 'decodeURI', 'globalThis', 'arguments',
  // Kaluma
  'console', 'process', 'setTimeout', 'setInterval', 'clearTimeout', 'clearInterval', 'delay', 'millis', 'micros', 'board',
  'pinMode', 'digitalRead', 'digitalWrite', 'digitalToggle', 'setWatch', 'clearWatch', 'analogRead', 'analogWrite', 'tone',
  'noTone', 'btoa', 'atob', 'seed', 'HIGH', 'LOW', 'INPUT', 'OUTPUT', 'INPUT_PULLUP', 'INPUT_PULLDOWN', 'CHANGE', 'RISING', 'FALLING',
]);

export class FirmwareBuildError extends UserError {
  constructor(
    readonly problems: string[],
    entry: string,
  ) {
    super(`the firmware bundle of ${entry} is not fit for the board:\n  - ${problems.join('\n  - ')}`);
    this.name = 'FirmwareBuildError';
  }
}

export interface BundleReport {
  bytes: number;
  lines: number;
  /** Every global the bundle reads (Kaluma's and the language's). */
  globals: FreeUse[];
  /** Globals read outside `typeof` that are neither in BOARD_GLOBALS nor banned: worth a look. */
  unknownGlobals: FreeUse[];
}

/** The checks alone, on bundle text: returns the problems found (empty = fit for the board). */
export function checkBundle(code: string): { problems: string[]; report: BundleReport } {
  const problems: string[] = [];
  const bytes = Buffer.byteLength(code, 'utf8');
  const lines = code.split('\n').length;
  let globals: FreeUse[] = [];

  if (bytes > MAX_BUNDLE_BYTES) problems.push(`it is ${bytes} bytes, over the ${MAX_BUNDLE_BYTES}-byte (64 KB) limit`);
  const nul = code.indexOf('\0');
  if (nul >= 0) problems.push(`it contains a NUL byte (at offset ${nul}); Kaluma stores the program NUL-terminated and would cut it there`);

  // The directive goes on the first line so line numbers in parse errors stay the bundle's own.
  try {
    const ast = parse('"use strict";' + code, { ecmaVersion: 2019, sourceType: 'script' });
    globals = freeIdentifiers(ast, code);
  } catch (err) {
    problems.push(`it does not parse as an ES2019 strict-mode script: ${(err as Error).message}`);
  }
  const banned = new Set<string>(NODE_ONLY_GLOBALS);
  for (const g of globals) {
    if (banned.has(g.name) && !g.typeofOnly) problems.push(`it uses the Node global \`${g.name}\` (bundle line ${g.line}), which Kaluma does not have`);
  }
  const unknownGlobals = globals.filter((g) => !g.typeofOnly && !banned.has(g.name) && !BOARD_GLOBALS.has(g.name));
  return { problems, report: { bytes, lines, globals, unknownGlobals } };
}

/** The version the firmware reports in its hello record: package.json's. */
/**
 * What every board's bundle is built with: one script (an IIFE: the board runs a script, not a
 * module) for ES2019, ASCII, no legal comments, an external map (no sourceMappingURL goes to the
 * board), and the firmware's version in `__FIRMWARE_VERSION__` (the hello record carries it;
 * firmware/kaluma-globals.d.ts declares it). Class fields are plain assignments in the constructor,
 * as TypeScript wrote them before ES2022: esbuild's ES2019 lowering of define semantics is a helper
 * call per field, code the board would parse, keep in its heap and run on every construction.
 */
export function boardBuildOptions(entry: string, outfile: string, define: Record<string, string> = {}) {
  return {
    entryPoints: [entry],
    bundle: true,
    format: 'iife' as const,
    target: 'es2019',
    platform: 'neutral' as const,
    sourcemap: 'external' as const,
    sourcesContent: true,
    charset: 'ascii' as const,
    legalComments: 'none' as const,
    tsconfigRaw: { compilerOptions: { useDefineForClassFields: false, alwaysStrict: true } },
    define: { __FIRMWARE_VERSION__: JSON.stringify(programVersion()), ...define },
    outfile,
    write: false as const,
    logLevel: 'silent' as const,
  };
}

/** A build's bundle and its source map, from esbuild's output files. */
export function codeAndMap(files: readonly { path: string; text: string }[]): { code: string; map: string } {
  let code = '';
  let map = '';
  for (const f of files) {
    if (f.path.endsWith('.map')) map = f.text;
    else code = f.text;
  }
  return { code, map };
}

export interface BuildOptions {
  entry?: string;
  /** Output path; the map goes beside it with `.map` added. */
  outfile?: string;
  /** false: build and check in memory only (tests). */
  write?: boolean;
}

export interface BuildResult extends BundleReport {
  code: string;
  map: string;
  outfile: string;
  mapfile: string;
}

/** What esbuild refused, one `file:line:column: text` each (its own message when it gave no list). */
export function esbuildProblems(err: unknown): string[] {
  const e = err as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[]; message?: string };
  return e.errors && e.errors.length > 0 ? e.errors.map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text)) : [String(e.message ?? err)];
}

/** esbuild → checks → dist/firmware.js (+ .map). Throws FirmwareBuildError with every problem found. */
export async function buildFirmware(opts: BuildOptions = {}): Promise<BuildResult> {
  const entry = resolve(opts.entry ?? DEFAULT_ENTRY);
  const outfile = resolve(opts.outfile ?? DEFAULT_OUT);
  const mapfile = outfile + '.map';
  let result;
  try {
    result = await build({
      ...boardBuildOptions(entry, outfile),
      // The entry's exports become a top-level `var pt`: the pt.d / pt.c the host calls.
      globalName: 'pt',
      // Short local names and folded syntax, but one statement a line: JerryScript keeps every
      // identifier's text in its heap (2.3 KB of it went to long local names), while board stack
      // lines (`at <anonymous>:LINE`) still map back through the source map.
      minifyWhitespace: false,
      minifySyntax: true,
      minifyIdentifiers: true,
    });
  } catch (err) {
    throw new FirmwareBuildError(esbuildProblems(err), entry);
  }
  const { code, map } = codeAndMap(result.outputFiles);
  const { problems, report } = checkBundle(code);
  if (problems.length > 0) throw new FirmwareBuildError(problems, entry);
  if (opts.write !== false) {
    await mkdir(dirname(outfile), { recursive: true });
    await writeFile(outfile, code);
    await writeFile(mapfile, map);
  }
  return { code, map, outfile, mapfile, ...report };
}
