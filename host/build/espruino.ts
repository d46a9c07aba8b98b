// Builds the firmware bundle that Espruino 2v29 runs, and refuses one it could not run. It is the
// Kaluma firmware's main.ts with firmware/espruino.ts as its runtime module (RUNTIME_SWAP), entered
// through firmware/espruino-main.ts, which assigns the global `pt` the host calls.
//
// Espruino is a much smaller interpreter than Kaluma's JerryScript: it lacks destructuring,
// spread, default parameters, `**`, labels, hoisting and several built-ins (espruino-syntax.ts
// holds the list). esbuild bundles and lowers what it can for ES2019 and a few features more;
// lower-espruino.ts hoists functions and vars, which esbuild's output relies on; then every
// problem espruinoProblems finds in the final bundle is traced through the source map to its
// TypeScript line, and the build fails with all of them. The map stays on the host
// (dist/espruino.js.map) so board errors can be traced too.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { LEAST_UPPER_BOUND, TraceMap, originalPositionFor } from '@jridgewell/trace-mapping';
import { build, type Plugin } from 'esbuild';
import { UserError } from '../errors.ts';
import { espruinoProblems } from './espruino-syntax.ts';
import { REPO_ROOT, boardBuildOptions, codeAndMap, esbuildProblems, type BuildOptions } from './firmware.ts';
import { lowerForEspruino } from './lower-espruino.ts';
import { FILE_HEADER_BYTES, STORAGE_BYTES } from '../sim/espruino/board-facts.ts';

/** The same firmware as Kaluma's (main.ts, imported by this entry): only its runtime module differs (RUNTIME_SWAP). */
export const DEFAULT_ESPRUINO_ENTRY = resolve(REPO_ROOT, 'firmware/espruino-main.ts');

/**
 * The global the host calls (pt.d, pt.c). The build declares it (`var pt;` on the bundle's first
 * line) and the entry assigns it. Not esbuild's globalName: that wraps the exports with
 * __toCommonJS, whose getters are closures made in a `for (let key of …)` loop, which on Espruino
 * would all read the last key (espruinoProblems refuses it).
 */
export const ESPRUINO_GLOBAL = 'pt';
export const DEFAULT_ESPRUINO_OUT = resolve(REPO_ROOT, 'dist/espruino.js');

/**
 * firmware/runtime.ts re-exports kaluma.ts, which the Kaluma build and the desktop's type check
 * see; the Espruino bundle gets espruino.ts in its place, so neither carries the other's code.
 */
export const RUNTIME_SWAP = { from: resolve(REPO_ROOT, 'firmware/runtime.ts'), to: resolve(REPO_ROOT, 'firmware/espruino.ts') } as const;

const swapRuntime: Plugin = {
  name: 'espruino-runtime',
  setup(b) {
    b.onResolve({ filter: /(^|\/)runtime(\.ts)?$/ }, (args) => {
      const file = resolve(args.resolveDir, args.path.endsWith('.ts') ? args.path : args.path + '.ts');
      return file === RUNTIME_SWAP.from ? { path: RUNTIME_SWAP.to } : undefined;
    });
  },
};

/**
 * esbuild's `supported` overrides on top of target es2019. Tried one by one (test/build/espruino.test.ts):
 * - lowered: `?.` and `??` (es2019 already lowers them; said again so no target change undoes it),
 *   and object spread `{...o}` (helpers over Object.defineProperty/defineProperties/
 *   getOwnPropertyDescriptors; the Symbol part is skipped where getOwnPropertySymbols is missing).
 * - kept so the check names their TypeScript line: `#private` (esbuild's lowering needs WeakMap),
 *   `**` (lowered, it becomes `var __pow = Math.pow`, inexact, and a call that no longer says
 *   Math.pow), async (lowered, it becomes a generator, which Espruino lacks too).
 * - esbuild cannot lower them ("not supported yet"): destructuring, default arguments, rest
 *   arguments, generators; array/call spread and computed keys have no feature name at all.
 */
export const ESPRUINO_ESBUILD_SUPPORTED: Readonly<Record<string, boolean>> = {
  // `catch {` without a binding is ES2019, which the minifier writes wherever the error goes
  // unused; Espruino's parser wants `catch (e)` (not checked on the board: kept to be safe).
  'optional-catch-binding': false,
  'optional-chain': false,
  'nullish-coalescing': false,
  'object-rest-spread': false,
  'class-private-field': true,
  'class-private-method': true,
  'class-private-accessor': true,
  'class-private-static-field': true,
  'class-private-static-method': true,
  'class-private-static-accessor': true,
  'class-private-brand-check': true,
};

export class EspruinoBuildError extends UserError {
  constructor(
    readonly problems: string[],
    entry: string,
  ) {
    super(`the Espruino bundle of ${entry} is not fit for Espruino 2v29:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EspruinoBuildError';
  }
}

export interface EspruinoBuildOptions extends BuildOptions {
  minify?: boolean;
}

export interface EspruinoBuildResult {
  code: string;
  map: string;
  outfile: string;
  mapfile: string;
  bytes: number;
  lines: number;
  /** What the lowering pass moved (see lower-espruino.ts). */
  hoistedFunctions: number;
  hoistedVars: number;
}

const repoPath = (abs: string): string => {
  const rel = relative(REPO_ROOT, abs).split('\\').join('/');
  return rel.startsWith('..') ? abs : rel;
};

/**
 * The problems of a finished bundle, each as `source.ts:LINE: what` through its map (`mapDir`:
 * where the map lives, as its `sources` are relative to it). Empty: fit for Espruino.
 */
export function espruinoBundleProblems(code: string, map: string, mapDir: string, bundleName = 'the bundle'): string[] {
  const out: string[] = [];
  const nul = code.indexOf('\0');
  if (nul >= 0) out.push(`${bundleName} contains a NUL byte (at offset ${nul}); a program sent as text would be cut there`);
  const tm = new TraceMap(map as ConstructorParameters<typeof TraceMap>[0]);
  for (const p of espruinoProblems(code)) {
    // The column matters: a minified bundle is one line.
    let pos = originalPositionFor(tm, { line: p.line, column: p.column });
    if (pos.source === null) pos = originalPositionFor(tm, { line: p.line, column: p.column, bias: LEAST_UPPER_BOUND });
    const where = pos.source !== null && pos.line !== null ? `${repoPath(resolve(mapDir, pos.source))}:${pos.line}` : `${bundleName}:${p.line}:${p.column} (esbuild's own code)`;
    out.push(`${where}: ${p.what}`);
  }
  return [...new Set(out)];
}

/** esbuild's bundle alone, before the hoisting and the checks (map sources relative to the outfile's folder). */
export async function bundleEspruino(opts: EspruinoBuildOptions = {}): Promise<{ code: string; map: string; entry: string; outfile: string }> {
  const entry = resolve(opts.entry ?? DEFAULT_ESPRUINO_ENTRY);
  const outfile = resolve(opts.outfile ?? DEFAULT_ESPRUINO_OUT);
  let result;
  try {
    result = await build({
      ...boardBuildOptions(entry, outfile, { __RUNTIME__: '"espruino"' }),
      supported: { ...ESPRUINO_ESBUILD_SUPPORTED },
      // Minified by default: Espruino runs the program from its Storage in flash, whose room is
      // small (the whole bundle must fit there), and the map still traces `line:col` back.
      minify: opts.minify ?? true,
      plugins: [swapRuntime],
    });
  } catch (err) {
    throw new EspruinoBuildError(esbuildProblems(err), repoPath(entry));
  }
  return { ...codeAndMap(result.outputFiles), entry, outfile };
}

/** esbuild → hoisting → checks → dist/espruino.js (+ .map). Throws EspruinoBuildError with every problem found. */
export async function buildEspruino(opts: EspruinoBuildOptions = {}): Promise<EspruinoBuildResult> {
  const { code, map, entry, outfile } = await bundleEspruino(opts);
  const mapfile = outfile + '.map';
  const lowered = lowerForEspruino(code, map, [ESPRUINO_GLOBAL]);
  const problems = espruinoBundleProblems(lowered.code, lowered.map, dirname(outfile), repoPath(outfile));
  // The program runs from the `.bootcde` file of Storage, which on an Espruino Pico (the smallest
  // board) is three 16 KB pages of flash: the bundle and its file header must fit there.
  const bytes = Buffer.byteLength(lowered.code, 'utf8');
  const room = STORAGE_BYTES - FILE_HEADER_BYTES;
  if (bytes > room) problems.push(`it is ${bytes} bytes, more than the ${room} an Espruino Pico's Storage holds (its .bootcde file)`);
  if (problems.length > 0) throw new EspruinoBuildError(problems, repoPath(entry));
  if (opts.write !== false) {
    await mkdir(dirname(outfile), { recursive: true });
    await writeFile(outfile, lowered.code);
    await writeFile(mapfile, lowered.map);
  }
  return {
    code: lowered.code,
    map: lowered.map,
    outfile,
    mapfile,
    bytes,
    lines: lowered.code.split('\n').length,
    hoistedFunctions: lowered.hoistedFunctions,
    hoistedVars: lowered.hoistedVars,
  };
}
