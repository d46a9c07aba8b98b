// The board-speed yardstick for every training path: the loop a person would write by hand for that
// algorithm, in the style and with the cost habits of test/fixtures/reference/board-hand-loops.js
// (top-level `var` Float32Arrays, float64 locals, the gradient written out where it is used, one
// printed line per epoch with a loss pass). The seven loops of that file are used verbatim for their
// paths (read from the file, not copied); the other paths are written from the template below, which
// reproduces those seven's habits and adds nothing clever:
// - 2 features: arrays x1, x2 (a person keeps a column per feature), w1, w2;
// - standardization: z = (x − mean) / scale computed from x as a sample is read (the board has no
//   room for a standardized copy); mean and scale fitted once before training; training starts at the
//   image of w = 1, b = 0 (so the job is the firmware's) and the printed line is in data units;
// - validation split: the training samples visited through an index array of them (`tr`), the
//   validation loss computed in the loss pass over `va`; every fifth sample validates (the firmware's
//   split is seeded-random: the same counts and the same cost, other samples);
// - optimizers as torch defines them, with each one's torch default options; Adam's bias corrections
//   with Math.pow per step, as the given Adam loops do.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'acorn';
import { REPO_ROOT } from './duktape/proxy.ts';

export const HAND_LOOPS_FILE = join(REPO_ROOT, 'test/fixtures/reference/board-hand-loops.js');

export const PATH_OPTIMIZERS = ['sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamw'] as const;
export type PathOptimizer = (typeof PATH_OPTIMIZERS)[number];

/** 1 = per-sample, 32 = mini-batches of 32, 0 = full batch. */
export type BatchMode = 1 | 32 | 0;
export const BATCH_MODES: BatchMode[] = [1, 32, 0];

export interface PathSpec {
  optimizer: PathOptimizer;
  batch: BatchMode;
  bias: boolean;
  features: 1 | 2;
  standardize: boolean;
  /** Validation split 0.2. */
  val: boolean;
}

/**
 * Learning rates: the given hand loops' (0.01; Adam 0.001), which are each optimizer's default as
 * well (shared/config.ts DEFAULT_LR); Adadelta's default is 1 (torch's), Adagrad's and RMSprop's 0.01.
 */
export const PATH_LR: Record<PathOptimizer, number> = {
  sgd: 0.01,
  momentum: 0.01,
  nesterov: 0.01,
  adagrad: 0.01,
  adadelta: 1,
  rmsprop: 0.01,
  adam: 0.001,
  adamw: 0.001,
};

export const SAMPLES = 1000;
export const VAL_SAMPLES = 200;

export function batchLabel(b: BatchMode): string {
  return b === 1 ? 'batch 1' : b === 32 ? 'batch 32' : 'full batch';
}

/** A path's name: optimizer, batch, features, then what is on (e.g. "adam b32 f2 nobias std val"). */
export function pathName(p: PathSpec): string {
  return [p.optimizer, p.batch === 1 ? 'b1' : p.batch === 32 ? 'b32' : 'full', 'f' + p.features, p.bias ? '' : 'nobias', p.standardize ? 'std' : '', p.val ? 'val' : '']
    .filter((s) => s !== '')
    .join(' ');
}

/** Every path the issue names: 8 optimizers × 3 batch modes × bias × features × standardization × split = 384. */
export function allPaths(): PathSpec[] {
  const out: PathSpec[] = [];
  for (const optimizer of PATH_OPTIMIZERS)
    for (const batch of BATCH_MODES)
      for (const features of [1, 2] as const)
        for (const bias of [true, false])
          for (const standardize of [false, true])
            for (const val of [false, true]) out.push({ optimizer, batch, bias, features, standardize, val });
  return out;
}

function plain(optimizer: PathOptimizer, batch: BatchMode, bias = true): PathSpec {
  return { optimizer, batch, bias, features: 1, standardize: false, val: false };
}

/** The seven paths of runtime-facts.md's table, with the board's measured figures (ms per epoch). */
export const TABLE_PATHS: { given: string; label: string; spec: PathSpec; board: { hand: number; firmware: number; ratio: number } }[] = [
  { given: 'sgd-b1', label: 'sgd, batch 1, with bias', spec: plain('sgd', 1), board: { hand: 191, firmware: 394, ratio: 0.49 } },
  { given: 'sgd-b1-nobias', label: 'sgd, batch 1, --no-bias', spec: plain('sgd', 1, false), board: { hand: 162, firmware: 1962, ratio: 0.08 } },
  { given: 'momentum-b1', label: 'momentum, batch 1', spec: plain('momentum', 1), board: { hand: 222, firmware: 2414, ratio: 0.09 } },
  { given: 'adam-b1', label: 'adam, batch 1', spec: plain('adam', 1), board: { hand: 556, firmware: 3127, ratio: 0.18 } },
  { given: 'sgd-full', label: 'sgd, full batch', spec: plain('sgd', 0), board: { hand: 170, firmware: 208, ratio: 0.82 } },
  { given: 'adam-full', label: 'adam, full batch', spec: plain('adam', 0), board: { hand: 170, firmware: 210, ratio: 0.81 } },
  { given: 'sgd-mini32', label: 'sgd, batch 32', spec: plain('sgd', 32), board: { hand: 169, firmware: 280, ratio: 0.6 } },
];

export function samePath(a: PathSpec, b: PathSpec): boolean {
  return a.optimizer === b.optimizer && a.batch === b.batch && a.bias === b.bias && a.features === b.features && a.standardize === b.standardize && a.val === b.val;
}

// ------------------------------------------------------------------ the given file

interface GivenFile {
  /** Everything before `var paths = {`: N, EP, the data, loss() and line(). */
  prelude: string;
  /** Each path's function expression, verbatim. */
  loops: Map<string, string>;
}

let given: GivenFile | null = null;

/** The fixture, taken apart by its syntax tree: the prelude and each loop's source text, untouched. */
export function givenLoops(): GivenFile {
  if (given) return given;
  const text = readFileSync(HAND_LOOPS_FILE, 'utf8');
  const ast = parse(text, { ecmaVersion: 5, sourceType: 'script' }) as unknown as { body: AstNode[] };
  const decl = ast.body.find((n) => n.type === 'VariableDeclaration' && n.declarations?.[0]?.id?.name === 'paths');
  const init = decl?.declarations?.[0]?.init;
  if (!decl || !init || init.type !== 'ObjectExpression' || !init.properties) throw new Error(`${HAND_LOOPS_FILE}: no \`var paths = {…}\``);
  const loops = new Map<string, string>();
  for (const p of init.properties) {
    const key = p.key?.value ?? p.key?.name;
    if (typeof key !== 'string' || !p.value) throw new Error(`${HAND_LOOPS_FILE}: unexpected entry in paths`);
    loops.set(key, text.slice(p.value.start, p.value.end));
  }
  given = { prelude: text.slice(0, decl.start), loops };
  return given;
}

interface AstNode {
  type: string;
  start: number;
  end: number;
  declarations?: { id?: { name?: string }; init?: AstNode }[];
  properties?: { key?: { value?: unknown; name?: unknown }; value?: AstNode }[];
}

// ------------------------------------------------------------------ the template

/** Parameter names of a path: the weights, then b when there is a bias. */
function params(p: PathSpec): { ws: string[]; names: string[] } {
  const ws = p.features === 1 ? ['w'] : ['w1', 'w2'];
  return { ws, names: p.bias ? [...ws, 'b'] : ws };
}

/** The data, loss and line helpers for 2 features, in the given file's style. */
const PRELUDE_2 = `var N = 1000, EP = 3;
var x1 = new Float32Array(N), x2 = new Float32Array(N), y = new Float32Array(N);
for (var i = 0; i < N; i++) { x1[i] = i / N; x2[i] = ((i * 7) % N) / N; y[i] = 2 * x1[i] - x2[i] + 0.5; }
function loss(w1, w2, b) { var s = 0; for (var i = 0; i < N; i++) { var r = w1 * x1[i] + w2 * x2[i] + b - y[i]; s += r * r; } return s / N; }
function line(e, w1, w2, b) { console.log('{"epoch":' + e + ',"w":[' + w1 + ',' + w2 + '],"b":' + b + ',"loss":' + loss(w1, w2, b) + '}'); }
`;

/** The split and its loss pass (training loss over tr, validation loss over va). */
function splitPrelude(p: PathSpec): string {
  const f1 = p.features === 1;
  const args = f1 ? 'w, b' : 'w1, w2, b';
  const model = f1 ? 'w * x[i] + b' : 'w1 * x1[i] + w2 * x2[i] + b';
  const ws = f1 ? "w + '" : "w1 + ',' + w2 + '";
  return `var NV = ${VAL_SAMPLES}, NT = N - NV;
var tr = new Uint32Array(NT), va = new Uint32Array(NV);
for (var i = 0, t = 0, v = 0; i < N; i++) { if (i % 5 === 0) va[v++] = i; else tr[t++] = i; }
function lossOf(${args}, idx, n) { var s = 0; for (var k = 0; k < n; k++) { var i = idx[k]; var r = ${model} - y[i]; s += r * r; } return s / n; }
function lineVal(e, ${args}) { console.log('{"epoch":' + e + ',"w":[' + ${ws}],"b":' + b + ',"loss":' + lossOf(${args}, tr, NT) + ',"val_loss":' + lossOf(${args}, va, NV) + '}'); }
`;
}

/** Mean and scale of each feature over the training samples, fitted once (not timed). */
function stdPrelude(p: PathSpec): string {
  const cols = p.features === 1 ? [['x', 'mx', 'sx']] : [['x1', 'mx1', 'sx1'], ['x2', 'mx2', 'sx2']];
  const n = p.val ? 'NT' : 'N';
  const visit = p.val ? 'for (var k = 0; k < NT; k++) { var i = tr[k]; ' : 'for (var i = 0; i < N; i++) { ';
  let s = '';
  for (const [x, m, c] of cols) {
    s += `var ${m} = 0, ${c} = 0;\n`;
    // Without a bias the model cannot absorb a shift: the features are only scaled (by their RMS), as the firmware does.
    if (p.bias) s += `${visit}${m} += ${x}[i]; } ${m} /= ${n};\n`;
    s += `${visit}${c} += (${x}[i] - ${m}) * (${x}[i] - ${m}); } ${c} = Math.sqrt(${c} / ${n});\n`;
  }
  return s;
}

/** Optimizer constants and state, declared with the parameters. */
function declarations(p: PathSpec, f32: boolean): string {
  const { names } = params(p);
  const lr = PATH_LR[p.optimizer];
  // State named after its parameter, as in the given loops: vw, vb; mw, mb…
  const state = (prefixes: string[]): string => prefixes.flatMap((pre) => names.map((n) => `, ${pre}${n} = 0`)).join('');
  const start = p.standardize
    ? names.map((n) => (n === 'b' ? 'b = mx' + (p.features === 1 ? '' : '1 + mx2') : `${n} = s${n === 'w' ? 'x' : 'x' + n.slice(1)}`)).join(', ')
    : names.map((n) => `${n} = ${n === 'b' ? 0 : 1}`).join(', ');
  // With f32 the start is stored as the engine stores θ: rounded once.
  let s = `var ${f32 && p.standardize ? start.replace(/= (.+?)(?=, |$)/g, '= Math.fround($1)') : start}, lr = ${lr}`;
  switch (p.optimizer) {
    case 'sgd':
      break;
    case 'momentum':
      s += state(['v']) + ', mu = 0.9';
      break;
    case 'nesterov':
      s += state(['v']) + ', mu = 0.9';
      break;
    case 'adagrad':
      s += state(['a']) + ', eps = 1e-10';
      break;
    case 'adadelta':
      s += state(['v', 'u']) + ', rho = 0.9, eps = 1e-6';
      break;
    case 'rmsprop':
      s += state(['v']) + ', al = 0.99, eps = 1e-8';
      break;
    case 'adam':
      s += state(['m', 'v']) + ', t = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8';
      break;
    case 'adamw':
      s += state(['m', 'v']) + ', t = 0, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.01';
      break;
  }
  return s + ';';
}

/**
 * One optimizer step. `g(name)` is the gradient of parameter `name` as an expression. With
 * `f32` every stored value is rounded to float32 as the engine stores it (tests only: it shows the
 * template is the engine's algorithm; the timed loops are plain float64, as a person writes them).
 */
function update(p: PathSpec, g: (n: string) => string, f32: boolean): string {
  const { names } = params(p);
  const put = (t: string, e: string): string => (f32 ? `${t} = Math.fround(${e});` : `${t} = ${e};`);
  const sub = (t: string, e: string): string => (f32 ? `${t} = Math.fround(${t} - (${e}));` : `${t} -= ${e};`);
  const add = (t: string, e: string): string => (f32 ? `${t} = Math.fround(${t} + (${e}));` : `${t} += ${e};`);
  switch (p.optimizer) {
    case 'sgd':
      return names.map((n) => sub(n, `lr * ${g(n)}`)).join(' ');
    case 'momentum':
      return names.map((n) => put(`v${n}`, `mu * v${n} + ${g(n)}`)).join(' ') + ' ' + names.map((n) => sub(n, `lr * v${n}`)).join(' ');
    case 'nesterov':
      return names.map((n) => put(`v${n}`, `mu * v${n} + ${g(n)}`) + ' ' + sub(n, `lr * (${g(n)} + mu * v${n})`)).join(' ');
    case 'adagrad':
      return names.map((n) => add(`a${n}`, `${g(n)} * ${g(n)}`) + ' ' + sub(n, `lr * ${g(n)} / (Math.sqrt(a${n}) + eps)`)).join(' ');
    case 'adadelta':
      return names
        .map(
          (n) =>
            put(`v${n}`, `rho * v${n} + (1 - rho) * ${g(n)} * ${g(n)}`) +
            ` var d${n} = Math.sqrt(u${n} + eps) / Math.sqrt(v${n} + eps) * ${g(n)}; ` +
            put(`u${n}`, `rho * u${n} + (1 - rho) * d${n} * d${n}`) +
            ' ' +
            sub(n, `lr * d${n}`),
        )
        .join(' ');
    case 'rmsprop':
      return names.map((n) => put(`v${n}`, `al * v${n} + (1 - al) * ${g(n)} * ${g(n)}`) + ' ' + sub(n, `lr * ${g(n)} / (Math.sqrt(v${n}) + eps)`)).join(' ');
    case 'adam':
    case 'adamw': {
      let s = 't++; ';
      if (p.optimizer === 'adamw') s += names.map((n) => sub(n, `lr * wd * ${n}`)).join(' ') + ' ';
      s += names.map((n) => put(`m${n}`, `b1 * m${n} + (1 - b1) * ${g(n)}`)).join(' ') + ' ';
      s += names.map((n) => put(`v${n}`, `b2 * v${n} + (1 - b2) * ${g(n)} * ${g(n)}`)).join(' ') + ' ';
      s += 'var c1 = 1 - Math.pow(b1, t), c2 = Math.sqrt(1 - Math.pow(b2, t)); ';
      s += names.map((n) => sub(n, `lr / c1 * m${n} / (Math.sqrt(v${n}) / c2 + eps)`)).join(' ');
      return s;
    }
  }
}

/** Rules whose gradient is used once per parameter take it inline (given SGD and Momentum loops). */
function inlineGradient(o: PathOptimizer): boolean {
  return o === 'sgd' || o === 'momentum';
}

/** Reads sample i: the features the model sees (x[i], or z from x) and the residual r. */
function sample(p: PathSpec): { read: string; feature: string[] } {
  const xs = p.features === 1 ? ['x'] : ['x1', 'x2'];
  const { ws } = params(p);
  let read = '';
  let feature = xs.map((x) => `${x}[i]`);
  if (p.standardize) {
    const zs = p.features === 1 ? ['z'] : ['z1', 'z2'];
    const m = (k: number): string => (p.features === 1 ? 'mx' : 'mx' + (k + 1));
    const c = (k: number): string => (p.features === 1 ? 'sx' : 'sx' + (k + 1));
    read += 'var ' + zs.map((z, k) => `${z} = ${p.bias ? `(${xs[k]}[i] - ${m(k)})` : `${xs[k]}[i]`} / ${c(k)}`).join(', ') + '; ';
    feature = zs;
  }
  read += `var r = ${ws.map((w, k) => `${w} * ${feature[k]}`).join(' + ')}${p.bias ? ' + b' : ''} - y[i]`;
  return { read, feature };
}

/** The epoch's printed line (data units) with its loss pass. */
function printLine(p: PathSpec): string {
  const fn = p.val ? 'lineVal' : 'line';
  const b = p.bias ? 'b' : '0';
  if (!p.standardize) return `${fn}(e, ${params(p).ws.join(', ')}, ${b});`;
  // wu: w in the data's units (not `wd`, which is AdamW's weight decay).
  if (p.features === 1) return p.bias ? `var wu = w / sx; ${fn}(e, wu, b - wu * mx);` : `${fn}(e, w / sx, 0);`;
  return p.bias ? `var wu1 = w1 / sx1, wu2 = w2 / sx2; ${fn}(e, wu1, wu2, b - wu1 * mx1 - wu2 * mx2);` : `${fn}(e, w1 / sx1, w2 / sx2, 0);`;
}

/** The generated loop for a path: a function expression in the given file's style (`f32`: see update). */
export function templateLoop(p: PathSpec, f32 = false): string {
  const { names } = params(p);
  const { read, feature } = sample(p);
  const gradOf = (n: string): string => (n === 'b' ? '' : ' * ' + feature[n === 'w' ? 0 : Number(n.slice(1)) - 1]);
  const visit = (from: string, to: string): string => (p.val ? `for (var k = ${from}; k < ${to}; k++) { var i = tr[k]; ` : `for (var i = ${from}; i < ${to}; i++) { `);
  const n = p.val ? 'NT' : 'N';
  let body: string;
  if (p.batch === 1) {
    // Per sample: the gradient 2·r·x written where it is used, or in gw, gb first (given Adam loop).
    if (inlineGradient(p.optimizer)) {
      body = visit('0', n) + read + '; ' + update(p, (nm) => '2 * r' + gradOf(nm), f32) + ' }';
    } else {
      const gs = names.map((nm) => `g${nm === 'b' ? 'b' : nm}` + ` = 2 * r${gradOf(nm)}`).join(', ');
      body = visit('0', n) + read + ', ' + gs + '; ' + update(p, (nm) => 'g' + nm, f32) + ' }';
    }
  } else {
    // Batches: sums of r·x and r, then a step with the mean gradient 2·Σ/n. SGD writes it in place
    // with the sums named gw, gb (given full-batch and mini-batch SGD loops); the others first set
    // gw, gb from sums sw, sb (given full-batch Adam loop).
    const sgdLike = p.optimizer === 'sgd';
    const sum = (nm: string): string => (sgdLike ? 'g' : 's') + nm;
    const zero = names.map((nm) => `${sum(nm)} = 0`).join(', ');
    const acc = names.map((nm) => `${sum(nm)} += r${gradOf(nm)};`).join(' ');
    const count = p.batch === 0 ? n : '(end - s)';
    const step = sgdLike
      ? update(p, (nm) => `2 * ${sum(nm)} / ${count}`, f32)
      : 'var ' + names.map((nm) => `g${nm} = 2 * ${sum(nm)} / ${count}`).join(', ') + '; ' + update(p, (nm) => 'g' + nm, f32);
    if (p.batch === 0) {
      body = `var ${zero}; ` + visit('0', n) + read + '; ' + acc + ' } ' + step;
    } else {
      body = `for (var s = 0; s < ${n}; s += 32) { var ${zero}, end = Math.min(${n}, s + 32); ` + visit('s', 'end') + read + '; ' + acc + ' } ' + step + ' }';
    }
  }
  return `function () { ${declarations(p, f32)} for (var e = 1; e <= EP; e++) { ${body} ${printLine(p)} } }`;
}

/** The hand loop of a path: the given file's own when it has one, else the template's. */
export function handLoop(p: PathSpec): { source: string; given: string | null } {
  const t = TABLE_PATHS.find((tp) => samePath(tp.spec, p));
  if (t) {
    const src = givenLoops().loops.get(t.given);
    if (!src) throw new Error(`${HAND_LOOPS_FILE} has no loop '${t.given}'`);
    return { source: src, given: t.given };
  }
  return { source: templateLoop(p), given: null };
}

/** Marker printed just before the loop runs: its stamp starts epoch 1 (as the given file's t0 = millis()). */
export const START_MARK = 'HAND START';

/**
 * A complete hand-loop program for one path: the data and helpers (the given file's own for 1
 * feature), the split and standardization set-up (before the clock starts, like the firmware's
 * set-up before its first record), then the loop for `epochs` epochs. Variant 'f32' is the
 * template with float32 storage (tests only, see update).
 */
/**
 * A diagnostic, not a yardstick: the same 1-feature loop with N, x and y copied into locals at the
 * top of each function (the given loops read them as top-level vars on every sample). Duktape charges
 * a top-level var read several multiply-adds; the board's cost for one was not measured. The ratio
 * against this variant shows how much the proxy's verdict hangs on that one habit.
 */
const PRELUDE_LOCALS_1 = `var N_ = 1000, EP = 3;
var x_ = new Float32Array(N_), y_ = new Float32Array(N_);
for (var i = 0; i < N_; i++) { x_[i] = i / N_; y_[i] = 2 * x_[i] + 0.5; }
function loss(w, b) { var N = N_, x = x_, y = y_; var s = 0; for (var i = 0; i < N; i++) { var r = w * x[i] + b - y[i]; s += r * r; } return s / N; }
function line(e, w, b) { console.log('{"epoch":' + e + ',"w":[' + w + '],"b":' + b + ',"loss":' + loss(w, b) + '}'); }
`;

export function handProgram(p: PathSpec, epochs: number, variant: 'plain' | 'f32' | 'locals' = 'plain'): string {
  const g = givenLoops();
  if (variant === 'locals') {
    if (p.features !== 1 || p.val || p.standardize) throw new Error('the locals variant is for the plain 1-feature paths');
    const loop = templateLoop(p).replace(/^function \(\) \{ /, 'function () { var N = N_, x = x_, y = y_; ');
    return PRELUDE_LOCALS_1 + `EP = ${epochs};\nvar run = ${loop};\nconsole.log('${START_MARK}');\nrun();\n`;
  }
  let s = p.features === 1 ? g.prelude : PRELUDE_2;
  s += `EP = ${epochs};\n`;
  if (p.val) s += splitPrelude(p);
  if (p.standardize) s += stdPrelude(p);
  const source = variant === 'f32' ? templateLoop(p, true) : handLoop(p).source;
  s += `var run = ${source};\n`;
  s += `console.log('${START_MARK}');\nrun();\n`;
  return s;
}
