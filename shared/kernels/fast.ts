// Fast kernels: each run's loops are generated as JavaScript text for its exact shape (features,
// bias, standardization, indexed or direct samples, the optimizer and its options, the transforms)
// and compiled once with `new Function`. On the board every operation is paid in full, tens of µs
// each: a call, a property read, a closure variable, a branch on an option. The generated loops
// have none of these per sample. Everything they touch is a local: the data arrays, each weight and
// each value of the optimizer's state (w0, m_0, …), the constants; one loop per sample range, the
// update rule inlined for each parameter, and what the run does not use left out.
//
// The update rules come from the optimizers themselves (optim/*.ts `kernel`, transforms.ts
// `kernel`), the model's arithmetic mirrors linear.ts operation for operation, and
// test/engine/kernels.test.ts runs one table of option sets through these kernels and the
// reference ones and asks for the same bits. The text is ES5 (`var`, no arrows): JerryScript and
// Espruino both parse it.
import type { RuleCode } from '../optim/types.ts';
import { gradientNoise, weightDecay, type TransformCode } from '../transforms.ts';
import type { Kernels, TrainingState } from './types.ts';

/** The parts of a run that decide the generated text. */
interface Shape {
  f: number;
  bias: boolean;
  std: boolean;
  indexed: boolean;
}

/** Local-name suffix of parameter j: 0, 1, … for weights, b for the bias (index f). */
function sfx(j: number, f: number): string {
  return j === f ? 'b' : String(j);
}

/** Indices of the trained parameters: the weights, then the bias when there is one. */
function trained(f: number, bias: boolean): number[] {
  const js: number[] = [];
  for (let j = 0; j < f; j++) js.push(j);
  if (bias) js.push(f);
  return js;
}

/** Per-parameter template code for parameter j: $p → p0, $g → _g, $slot → slot_0. */
function forParam(code: string, j: number, f: number): string {
  const s = sfx(j, f);
  return code.replace(/\$(\w+)/g, (_m: string, name: string) => (name === 'p' ? 'p' + s : name === 'g' ? '_g' : name + '_' + s));
}

/** Loads the parameters p0…, pb from `array` (an expression) into locals; stores them back. */
function loadParams(f: number, bias: boolean, array: string): string {
  let s = 'var _th = ' + array + ';';
  for (const j of trained(f, bias)) s += ' var p' + sfx(j, f) + ' = _th[' + j + '];';
  return s;
}
function storeParams(f: number, bias: boolean): string {
  let s = '';
  for (const j of trained(f, bias)) s += '_th[' + j + '] = p' + sfx(j, f) + '; ';
  return s;
}

/**
 * Reads sample _k (or idx[_k]) and computes its residual into _r, and the features the model sees
 * into _z0…: linear.ts's residual, term for term. `raw`: the data's own units (no standardization).
 */
function sampleCode(sh: Shape, raw: boolean): string {
  const f = sh.f;
  const I = sh.indexed ? '_i' : '_k';
  let s = sh.indexed ? 'var _i = idx[_k]; ' : '';
  if (f > 1) s += 'var _row = ' + I + ' * ' + f + '; ';
  const terms: string[] = [];
  for (let j = 0; j < f; j++) {
    const at = 'x[' + (f === 1 ? I : j === 0 ? '_row' : '_row + ' + j) + ']';
    // Without a bias the mean is 0 and x − 0 is x: the subtraction is left out, not the bits.
    const z = raw || !sh.std ? at : sh.bias ? '(' + at + ' - _m' + j + ') / _c' + j : at + ' / _c' + j;
    s += 'var _z' + j + ' = ' + z + '; ';
    terms.push('p' + j + ' * _z' + j);
  }
  return s + '_r = ' + (sh.bias ? 'pb + ' : '') + terms.join(' + ') + ' - y[' + I + ']; ';
}

function standardization(sh: Shape): string {
  if (!sh.std) return '';
  let s = 'var _mean = S.mean, _scale = S.scale;';
  for (let j = 0; j < sh.f; j++) s += ' var _m' + j + ' = _mean[' + j + '], _c' + j + ' = _scale[' + j + '];';
  return s;
}

/** The optimizer's rule and the run's transforms, as the generator needs them. */
interface Update {
  rule: RuleCode;
  noise: TransformCode | null;
  decay: TransformCode | null;
}

function updateOf(st: TrainingState): Update {
  return {
    rule: st.optimizer.kernel(st.cfg),
    noise: st.transforms.noise ? gradientNoise.kernel(st.cfg) : null,
    decay: st.transforms.decay ? weightDecay.kernel(st.cfg) : null,
  };
}

/** Declarations: options, the state's slots (one local per parameter) and scalars. */
function loadUpdate(u: Update, f: number, bias: boolean): string {
  let s = 'var o = S.cfg, _opt = S.opt; ' + u.rule.consts + ' ';
  for (const slot of u.rule.slots) {
    s += 'var _s_' + slot + ' = _opt.' + slot + ';';
    for (const j of trained(f, bias)) s += ' var ' + slot + '_' + sfx(j, f) + ' = _s_' + slot + '[' + j + '];';
    s += ' ';
  }
  for (const name of u.rule.scalars) s += 'var ' + name + ' = _opt.' + name + '; ';
  if (u.noise) {
    s += 'var _noise = S.transforms.noise; ' + u.noise.consts + ' ';
    for (const name of u.noise.scalars) s += 'var ' + name + ' = _noise.' + name + '; ';
  }
  if (u.decay) s += u.decay.consts + ' ';
  return s;
}
function storeUpdate(u: Update, f: number, bias: boolean): string {
  let s = '';
  for (const slot of u.rule.slots) for (const j of trained(f, bias)) s += '_s_' + slot + '[' + j + '] = ' + slot + '_' + sfx(j, f) + '; ';
  for (const name of u.rule.scalars) s += '_opt.' + name + ' = ' + name + '; ';
  if (u.noise) for (const name of u.noise.scalars) s += '_noise.' + name + ' = ' + name + '; ';
  return s;
}

/**
 * One optimizer step over the trained parameters: the transforms' and the rule's step code, then
 * per parameter its gradient (`grad(j)`), the transforms and the rule (or the rule's first-step form).
 */
function stepCode(u: Update, f: number, bias: boolean, grad: (j: number) => string, first: boolean): string {
  let s = (u.noise ? u.noise.step + ' ' : '') + u.rule.step + ' ';
  const rule = first && u.rule.first ? u.rule.first.param : u.rule.param;
  for (const j of trained(f, bias)) {
    s += '_g = ' + grad(j) + '; ';
    if (u.noise) s += forParam(u.noise.param, j, f) + ' ';
    if (u.decay) s += forParam(u.decay.param, j, f) + ' ';
    s += forParam(rule, j, f) + ' ';
  }
  if (first && u.rule.first) s += u.rule.first.scalar + ' = 1; ';
  return s;
}

/** A step from a mean gradient `grad(j)`, with the rule's first-step form while it applies. */
function guardedStep(u: Update, f: number, bias: boolean, grad: (j: number) => string): string {
  if (!u.rule.first) return stepCode(u, f, bias, grad, false);
  return 'if (' + u.rule.first.scalar + ') { ' + stepCode(u, f, bias, grad, false) + '} else { ' + stepCode(u, f, bias, grad, true) + '} ';
}

const PROLOGUE = 'var x = S.x, y = S.y, fr = Math.fround, sqrt = Math.sqrt, _r = 0, _r2 = 0, _g = 0; ';

/** Per-sample training: body of function (S, idx, from, to, poolEnd, lr). */
function perSampleSource(sh: Shape, u: Update): string {
  const sampleGrad = (j: number): string => (j === sh.f ? '_r2' : '_r2 * _z' + j);
  const one = (first: boolean): string => sampleCode(sh, false) + '_r2 = 2 * _r; ' + stepCode(u, sh.f, sh.bias, sampleGrad, first);
  let s = PROLOGUE + loadParams(sh.f, sh.bias, 'S.theta') + ' ' + standardization(sh) + ' ' + loadUpdate(u, sh.f, sh.bias) + 'var _k = from; ';
  // SGD's momentum buffer starts as the first gradient: that one step is peeled off the loop.
  if (u.rule.first) s += 'if (_k < to && !' + u.rule.first.scalar + ') { ' + one(true) + '_k++; } ';
  s += 'for (; _k < to; _k++) { ' + one(false) + '} ';
  return s + storeParams(sh.f, sh.bias) + storeUpdate(u, sh.f, sh.bias);
}

/** Sums over the samples, and a step at each batch's end: body of function (S, idx, from, to, poolEnd, lr). */
function batchesSource(sh: Shape, u: Update): string {
  const js = trained(sh.f, sh.bias);
  const accName = (j: number): string => '_a' + sfx(j, sh.f);
  let s = PROLOGUE + loadParams(sh.f, sh.bias, 'S.theta') + ' ' + standardization(sh) + ' ' + loadUpdate(u, sh.f, sh.bias);
  s += 'var _acc = S.acc;';
  for (const j of js) s += ' var ' + accName(j) + ' = _acc[' + j + '];';
  s += ' var _inb = S.inBatch, _bs = S.batchSize, _sc = 0, _k = from, _end = 0, _stop = 0; ';
  s += 'while (_k < to) { _end = _k + (_bs - _inb); if (_end > poolEnd) _end = poolEnd; _stop = _end < to ? _end : to; _inb += _stop - _k; ';
  s += 'for (; _k < _stop; _k++) { ' + sampleCode(sh, false) + sumsCode(sh) + '} ';
  s += 'if (_k === _end) { _sc = 2 / _inb; ' + guardedStep(u, sh.f, sh.bias, (j) => accName(j) + ' * _sc');
  for (const j of js) s += accName(j) + ' = 0; ';
  s += '_inb = 0; } } ';
  for (const j of js) s += '_acc[' + j + '] = ' + accName(j) + '; ';
  return s + 'S.inBatch = _inb; ' + storeParams(sh.f, sh.bias) + storeUpdate(u, sh.f, sh.bias);
}

/** Adds the sample's gradient terms to the sums _a0…, _ab (linear.ts addSums). */
function sumsCode(sh: Shape): string {
  let s = '';
  for (let j = 0; j < sh.f; j++) s += '_a' + j + ' += _r * _z' + j + '; ';
  if (sh.bias) s += '_ab += _r; ';
  return s;
}

/** sum + squared errors; with `sums`, also the gradient sums: body of function (S, idx, from, to, sum). */
function lossSource(sh: Shape, sums: boolean): string {
  const js = trained(sh.f, sh.bias);
  // The plain loss is at the parameters in the data's units; the fused pass is at θ (the same array
  // without standardization, which is the only case the trainer fuses).
  let s = PROLOGUE + loadParams(sh.f, sh.bias, sums ? 'S.theta' : 'S.params') + ' var _ls = sum, _k = from; ';
  if (sums) {
    s += 'var _acc = S.acc;';
    for (const j of js) s += ' var _a' + sfx(j, sh.f) + ' = _acc[' + j + '];';
    s += ' ';
  }
  s += 'for (; _k < to; _k++) { ' + sampleCode(sh, true) + (sums ? sumsCode(sh) : '') + '_ls += _r * _r; } ';
  if (sums) for (const j of js) s += '_acc[' + j + '] = _a' + sfx(j, sh.f) + '; ';
  return s + 'return _ls;';
}

/** One step from the sums in acc: body of function (S, n, lr). */
function stepSource(sh: Shape, u: Update): string {
  let s = 'var fr = Math.fround, sqrt = Math.sqrt, _g = 0; ' + loadParams(sh.f, sh.bias, 'S.theta') + ' ' + loadUpdate(u, sh.f, sh.bias);
  s += 'var _acc = S.acc, _sc = 2 / n; ' + guardedStep(u, sh.f, sh.bias, (j) => '_acc[' + j + '] * _sc');
  for (let j = 0; j <= sh.f; j++) s += '_acc[' + j + '] = 0; ';
  return s + 'S.inBatch = 0; ' + storeParams(sh.f, sh.bias) + storeUpdate(u, sh.f, sh.bias);
}

type TrainFn = (S: TrainingState, idx: Uint32Array | null, from: number, to: number, poolEnd: number, lr: number) => void;
type LossFn = (S: TrainingState, idx: Uint32Array | null, from: number, to: number, sum: number) => number;
type StepFn = (S: TrainingState, n: number, lr: number) => void;

/** The generated text of each kernel of a run: for tests, and to read what the board runs. */
export function kernelSource(st: TrainingState, kernel: 'train' | 'loss' | 'lossAndSums' | 'step', indexed: boolean): string {
  const sh: Shape = { f: st.f, bias: st.bias, std: st.cfg.standardize, indexed };
  if (kernel === 'loss' || kernel === 'lossAndSums') return lossSource(sh, kernel === 'lossAndSums');
  const u = updateOf(st);
  if (kernel === 'step') return stepSource(sh, u);
  return st.batchSize === 1 ? perSampleSource(sh, u) : batchesSource(sh, u);
}

/**
 * Kernels generated for this run's state. Each (direct or indexed samples) is generated and
 * compiled on first use and kept: a run compiles two to four functions, once.
 */
export function fastKernels(st: TrainingState): Kernels {
  const trains: (TrainFn | null)[] = [null, null];
  const losses: (LossFn | null)[] = [null, null];
  const fused: (LossFn | null)[] = [null, null];
  let step: StepFn | null = null;
  return {
    train(idx, from, to, poolEnd, lr) {
      const v = idx === null ? 0 : 1;
      let fn = trains[v];
      if (fn === null) fn = trains[v] = new Function('S', 'idx', 'from', 'to', 'poolEnd', 'lr', kernelSource(st, 'train', v === 1)) as TrainFn;
      fn(st, idx, from, to, poolEnd, lr);
    },
    loss(idx, from, to, sum) {
      const v = idx === null ? 0 : 1;
      let fn = losses[v];
      if (fn === null) fn = losses[v] = new Function('S', 'idx', 'from', 'to', 'sum', kernelSource(st, 'loss', v === 1)) as LossFn;
      return fn(st, idx, from, to, sum);
    },
    lossAndSums(idx, from, to, sum) {
      const v = idx === null ? 0 : 1;
      let fn = fused[v];
      if (fn === null) fn = fused[v] = new Function('S', 'idx', 'from', 'to', 'sum', kernelSource(st, 'lossAndSums', v === 1)) as LossFn;
      return fn(st, idx, from, to, sum);
    },
    step(n, lr) {
      if (step === null) step = new Function('S', 'n', 'lr', kernelSource(st, 'step', false)) as StepFn;
      step(st, n, lr);
    },
  };
}
