// Fast kernels: each run's loops are generated as JavaScript text for its exact shape (features,
// bias, standardization, indexed or direct samples, the optimizer and its options, the transforms)
// and compiled once with `new Function`. On the board every operation is paid in full, tens of µs
// each: a call, a property read, a closure variable, a branch on an option. The generated loops
// have none of these per sample. Everything they touch is a local: the data arrays, each weight and
// each value of the optimizer's state (p0, m_0, …), the constants; one loop per sample range, the
// update rule inlined for each parameter, and what the run does not use left out.
//
// The update rules come from the optimizers themselves (optim/*.ts `kernel`, transforms.ts
// `kernel`), the model's arithmetic mirrors linear.ts operation for operation, and
// test/engine/kernels.test.ts runs one table of option sets through these kernels and the
// reference ones and asks for the same bits. The text is ES5 (`var`, no arrows, no labels):
// JerryScript and Espruino both parse it. The generator itself is kept small: it is code the board
// holds in its heap from start-up.
import { f32Rounding } from '../f32.ts';
import { engineSqrt } from '../sqrt.ts';
import type { RuleCode } from '../optim/types.ts';
import { gradientNoise, weightDecay, type TransformCode } from '../transforms.ts';
import type { Apply, Kernels, RuleState, TrainingState } from './types.ts';

export type KernelName = 'train' | 'loss' | 'lossAndSums' | 'step' | 'apply';

/**
 * `code` once per trained parameter j (the weights, then the bias), `bias` for the bias when it
 * differs: # becomes j, $p the parameter's local (p0…, pb), $g the gradient _g, and $name the
 * parameter's local of that name (m_0…, m_b).
 */
function each(st: RuleState, code: string, bias?: string): string {
  let s = '';
  for (let j = 0; j < st.np; j++) {
    const n = j === st.f ? 'b' : String(j);
    s += (j === st.f && bias !== undefined ? bias : code).split('#').join(String(j)).replace(/\$(\w+)/g, (_m: string, name: string) => (name === 'p' ? 'p' : name === 'g' ? '_g' : name + '_') + (name === 'g' ? '' : n)) + ' ';
  }
  return s;
}

/**
 * Reads sample _k + o (o from 0 to UNROLL − 1), directly or through idx: the features the model sees
 * into _z0… (when `keepZ`; otherwise read where they are used) and the residual into _r (or twice it
 * into _r2, `doubled`), linear.ts's residual term for term. `raw`: the data's own units (no standardization). Read directly, the
 * samples of a loop turn share one row offset: sample o's features sit o·f values further on.
 */
function sample(st: TrainingState, indexed: boolean, raw: boolean, o: number, keepZ: boolean, doubled?: boolean): string {
  const f = st.f;
  const k = o ? '_k + ' + o : '_k';
  const I = indexed ? '_i' : k;
  let s = indexed ? 'var _i = idx[' + k + ']; ' : '';
  if (f > 1 && (indexed || !o)) s += 'var _row = ' + (indexed ? '_i' : '_k') + ' * ' + f + '; ';
  const at = (j: number): number => j + (indexed ? 0 : o * f);
  let pred = st.bias ? 'pb' : '';
  for (let j = 0; j < f; j++) {
    const x = 'x[' + (f === 1 ? I : at(j) ? '_row + ' + at(j) : '_row') + ']';
    // Without a bias the mean is 0, and x − 0 is x: the subtraction is left out, not the bits.
    const z = raw || !st.cfg.standardize ? x : st.bias ? '(' + x + ' - _m' + j + ') / _c' + j : x + ' / _c' + j;
    if (keepZ) s += 'var _z' + j + ' = ' + z + '; ';
    pred += (pred ? ' + ' : '') + 'p' + j + ' * ' + (keepZ ? '_z' + j : z);
  }
  // Per-sample training needs only 2r: `doubled` computes it straight into _r2, one store less.
  return s + (doubled ? '_r2 = 2 * (' + pred + ' - y[' + I + ']); ' : '_r = ' + pred + ' - y[' + I + ']; ');
}

/** Samples a loop turn. */
const UNROLL = 4;

/**
 * The samples from _k up to `end` (an expression), UNROLL a turn, then the rest one by one:
 * `body(o)` for sample _k + o. The loop's test, increment and jump are paid once for four samples
 * (they cost as much as a multiply on the board); the samples keep their order, so every sum is the same.
 */
function loop(end: string, body: (o: number) => string): string {
  let turn = '';
  for (let o = 0; o < UNROLL; o++) turn += body(o);
  return 'var _last = ' + end + ' - ' + (UNROLL - 1) + '; for (; _k < _last; _k += ' + UNROLL + ') { ' + turn + '} for (; _k < ' + end + '; _k++) { ' + body(0) + '} ';
}

/** The code of a run's update: the optimizer's rule and the transforms it uses, asked for once a kernel. */
interface Update {
  rule: RuleCode;
  noise: TransformCode | null;
  decay: TransformCode | null;
}

function updateOf(st: RuleState): Update {
  return {
    rule: st.optimizer.kernel(st.cfg),
    noise: st.transforms.noise ? gradientNoise.kernel(st.cfg) : null,
    decay: st.transforms.decay ? weightDecay.kernel(st.cfg) : null,
  };
}

/**
 * One optimizer step, `grad` (and `biasGrad`) giving each parameter's gradient: the transforms'
 * and the rule's step code, then per parameter its gradient, the transforms and the rule.
 * SGD's momentum buffer starts as the gradient: its first step has a form of its own, chosen by
 * a branch once per step (the per-sample loop peels that step off instead, see below).
 */
function step(st: RuleState, u: Update, grad: string, biasGrad: string, first?: boolean): string {
  const rule = u.rule;
  const noise = u.noise;
  const decay = u.decay;
  const per = (noise ? noise.param + ' ' : '') + (decay ? decay.param + ' ' : '');
  // A gradient the rule reads once, untouched by transforms, goes into the rule as an expression
  // rather than through _g: a store and a load less per parameter (plain SGD, momentum).
  const param = (f: boolean, g: string): string => {
    const code = f && rule.first ? rule.first.param : rule.param;
    return !per && code.split('$g').length === 2 ? code.replace('$g', '(' + g + ')') : '_g = ' + g + '; ' + per + code;
  };
  const body = (f: boolean): string =>
    (noise ? noise.step + ' ' : '') + rule.step + ' ' + each(st, param(f, grad), param(f, biasGrad)) + (f && rule.first ? rule.first.scalar + ' = 1; ' : '');
  if (first !== undefined || !rule.first) return body(!!first);
  return 'if (' + rule.first.scalar + ') { ' + body(false) + '} else { ' + body(true) + '} ';
}

/** Declarations that load the parameters (from `array`) and the rule's state into locals, and the statements that store them back. */
function locals(st: RuleState, array: string, u: Update | null): [string, string] {
  let load = 'var x = S.x, y = S.y, _r = 0, _r2 = 0, _g = 0, _th = ' + array + '; ' + each(st, 'var $p = _th[#];');
  let store = each(st, '_th[#] = $p;');
  if (u === null) return [load, store];
  const rule = u.rule;
  load += 'var o = S.cfg, _opt = S.opt; ' + rule.consts + ' ';
  for (const slot of rule.slots) {
    load += 'var _s_' + slot + ' = _opt.' + slot + '; ' + each(st, 'var $' + slot + ' = _s_' + slot + '[#];');
    store += each(st, '_s_' + slot + '[#] = $' + slot + ';');
  }
  for (const name of rule.scalars) {
    load += 'var ' + name + ' = _opt.' + name + '; ';
    store += '_opt.' + name + ' = ' + name + '; ';
  }
  if (u.noise) {
    load += 'var _noise = S.transforms.noise, nsteps = _noise.nsteps; ' + u.noise.consts + ' ';
    store += '_noise.nsteps = nsteps; ';
  }
  if (u.decay) load += u.decay.consts + ' ';
  return [load, store];
}

/**
 * The text of one kernel, the body of a function (S, idx, …) whose further parameters are
 * train: from, to, poolEnd, lr; loss and lossAndSums: from, to, sum; step: n, lr; apply: lr.
 */
export function kernelSource(st: TrainingState, name: KernelName, indexed: boolean): string {
  const sums = each(st, '$_a += _r * _z#;', '$_a += _r;');
  const accLoad = 'var _acc = S.acc; ' + each(st, 'var $_a = _acc[#];');
  const accStore = each(st, '_acc[#] = $_a;');
  if (name === 'loss' || name === 'lossAndSums') {
    // The plain loss is at the parameters in the data's units; the fused pass is at θ (the same
    // array without standardization, which is the only case the trainer fuses).
    const fused = name === 'lossAndSums';
    const load = locals(st, fused ? 'S.theta' : 'S.params', null)[0];
    return load + (fused ? accLoad : '') + 'var _ls = sum, _k = from; ' + loop('to', (o) => sample(st, indexed, true, o, fused) + (fused ? sums : '') + '_ls += _r * _r; ') + (fused ? accStore : '') + 'return _ls;';
  }
  const u = updateOf(st);
  const ls = locals(st, 'S.theta', u);
  const load = ls[0];
  const store = ls[1];
  if (name === 'apply') return load + 'var _gr = S.grad; ' + step(st, u, '_gr[#]', '_gr[#]') + store;
  if (name === 'step') {
    let zero = '';
    for (let j = 0; j <= st.f; j++) zero += '_acc[' + j + '] = 0; ';
    return load + 'var _acc = S.acc, _sc = 2 / n; ' + step(st, u, '_acc[#] * _sc', '_acc[#] * _sc') + zero + 'S.inBatch = 0; ' + store;
  }
  let std = '';
  if (st.cfg.standardize) for (let j = 0; j < st.f; j++) std += 'var _m' + j + ' = S.mean[' + j + '], _c' + j + ' = S.scale[' + j + ']; ';
  const head = load + std + 'var _k = from; ';
  if (st.batchSize === 1) {
    // A step per sample. SGD's first momentum step is peeled off the loop rather than tested in it.
    const one = (first: boolean, o: number): string => sample(st, indexed, false, o, true, true) + step(st, u, '_r2 * _z#', '_r2', first);
    const peel = u.rule.first ? 'if (_k < to && !' + u.rule.first.scalar + ') { ' + one(true, 0) + '_k++; } ' : '';
    return head + peel + loop('to', (o) => one(false, o)) + store;
  }
  // Sums over the samples, and a step at each batch's end (at most batchSize samples, and never
  // past poolEnd); a batch cut by `to` carries its sums to the next call in S.acc.
  return (
    head + accLoad +
    'var _inb = S.inBatch, _bs = S.batchSize, _sc = 0, _end = 0, _stop = 0; ' +
    'while (_k < to) { _end = _k + (_bs - _inb); if (_end > poolEnd) _end = poolEnd; _stop = _end < to ? _end : to; _inb += _stop - _k; ' +
    loop('_stop', (o) => sample(st, indexed, false, o, true) + sums) +
    'if (_k === _end) { _sc = 2 / _inb; ' + step(st, u, '$_a * _sc', '$_a * _sc') + each(st, '$_a = 0;') + '_inb = 0; } } ' +
    accStore + 'S.inBatch = _inb; ' + store
  );
}

type KernelFn = (...args: unknown[]) => number;

// The last few compiled kernels by their text: a run that starts again with the same shape (the
// bench's repetitions, a class restarting a run) reuses them, and the desktop's JIT keeps its
// optimized code instead of warming a fresh copy up. Small, because on the board each holds a few
// kilobytes of byte code.
const CACHE_SIZE = 4;
const cached: { text: string; fn: KernelFn }[] = [];

/** Lets go of every compiled kernel (a board starting a new run: the old run's kernels would hold its memory). */
export function forgetKernels(): void {
  cached.length = 0;
}

/**
 * Compiles a kernel whose own arguments are `args` ("from, to, sum"). Every kernel takes the same
 * parameters, and its text names them: Espruino's Function constructor makes each argument one
 * parameter name, whole ("from, to" would be a single, unusable name), so a list cannot go in one.
 */
function compile(args: string, text: string): KernelFn {
  const names = args.split(', ');
  let head = '';
  for (let i = 0; i < names.length; i++) head += (i ? ', ' : 'var ') + names[i] + ' = _a' + i;
  text = head + '; ' + text;
  for (let i = 0; i < cached.length; i++) if (cached[i].text === text) return cached[i].fn;
  const fn = new Function('fr', 'sqrt', 'S', 'idx', '_a0', '_a1', '_a2', '_a3', text) as KernelFn;
  if (cached.length === CACHE_SIZE) cached.shift();
  cached.push({ text, fn });
  return fn;
}

/** One step of the rule from the gradient in st.grad, generated for this state's rule and size. */
export function fastApply(st: RuleState): Apply {
  const fn = compile('lr', kernelSource(st as TrainingState, 'apply', false));
  const fr = f32Rounding();
  const sqrt = engineSqrt();
  return (lr) => fn(fr, sqrt, st, null, lr);
}

/**
 * Kernels generated for this run's state. Each (direct or indexed samples) is generated and
 * compiled on first use and kept: a run compiles two to four functions, once.
 */
export function fastKernels(st: TrainingState): Kernels {
  // Compiled kernels by name and variant (0: direct samples, 1: indexed).
  const made: Record<string, KernelFn> = {};
  // The runtime's rounding and square root, looked up once a run (a test may replace Math.fround before it builds the kernels).
  const fr = f32Rounding();
  const sqrt = engineSqrt();
  // An arrow, not a function declaration: a declared function and its prototype object point at
  // each other, a cycle that would keep this run's state alive until a cycle collector ran (the
  // virtual boards' QuickJS frees by reference counting alone).
  const kernel = (name: KernelName, idx: Uint32Array | null, args: string): KernelFn => {
    const key = name + (idx === null ? 0 : 1);
    return made[key] || (made[key] = compile(args, kernelSource(st, name, idx !== null)));
  };
  return {
    train: (idx, from, to, poolEnd, lr) => {
      kernel('train', idx, 'from, to, poolEnd, lr')(fr, sqrt, st, idx, from, to, poolEnd, lr);
    },
    loss: (idx, from, to, sum) => kernel('loss', idx, 'from, to, sum')(fr, sqrt, st, idx, from, to, sum),
    lossAndSums: (idx, from, to, sum) => kernel('lossAndSums', idx, 'from, to, sum')(fr, sqrt, st, idx, from, to, sum),
    step: (n, lr) => {
      kernel('step', null, 'n, lr')(fr, sqrt, st, null, n, lr);
    },
  };
}
