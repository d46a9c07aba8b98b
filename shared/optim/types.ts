import type { OptimizerOptions } from '../config.ts';

/**
 * An optimizer is a pair of functions over explicit state (as in optax): `init` allocates the state
 * once for `size` parameters; its `Reference.update` applies one step in place to p[0..n) given the
 * gradient g[0..n) and the learning rate for this step. Nothing is allocated per step.
 *
 * Precision, the engine's one rule: what persists is float32, what is in flight is double. The
 * parameters and every value of the optimizer's state are stored as float32 (as torch stores them),
 * each rounded once when it is written; the gradient and the arithmetic within one update are double.
 *
 * `kernel` states the same rule once more as scalar code, specialized to the options, from which
 * kernels/fast.ts generates the board's loops; the test table in test/engine/kernels.test.ts checks
 * the two bit for bit on every option set.
 */
export interface Optimizer<S> {
  init(size: number, o: OptimizerOptions): S;
  kernel(o: OptimizerOptions): RuleCode;
  /** The rule applies weight_decay itself (AdamW's decoupled decay), so no L2 term is added to g. */
  decoupledDecay?: boolean;
}

/**
 * The readable form of the rule, kept apart from `Optimizer` so that the board's bundle, which runs
 * the generated kernels only, leaves it out (optim/reference.ts gathers them).
 */
export interface Reference<S> {
  update(p: Float32Array, g: Float64Array, n: number, s: S, o: OptimizerOptions, lr: number): void;
}

/**
 * An update rule as JavaScript text for generated kernels (ES5: `var`, no arrows, so that every
 * board's interpreter parses it). Names:
 * - `$p` is the parameter, `$g` its gradient (read-only), `$<slot>` its value of the state array
 *   `<slot>`; the generator gives each parameter its own locals.
 * - Step-level names (the `scalars`, and whatever `consts`/`step` declare) are shared by all
 *   parameters; `lr` (this epoch's learning rate), `o` (the options, read only in `consts`), `fr`
 *   (Math.fround) and `sqrt` (Math.sqrt) are given.
 * Identifiers that start with `_` belong to the generator.
 */
export interface RuleCode {
  /** Per-parameter Float32Array fields of the state. */
  slots: string[];
  /** Number fields of the state carried from step to step (a step count, running products). */
  scalars: string[];
  /** `var` declarations computed once per kernel call from `o` and `lr`. */
  consts: string;
  /** Statements run once per step, before the parameters. */
  step: string;
  /** Statements run for each parameter. */
  param: string;
  /** The very first step of a run, when it differs (SGD's momentum buffer starts as the gradient). */
  first?: { scalar: string; param: string };
}

/**
 * torch keeps parameters and state in float32; each stored value is rounded once, this way.
 * (Math.fround is looked up at each call, like the generated kernels' `fr`, so that a test can
 * take the rounding away from both and compare their arithmetic in pure double.)
 */
export function f32(x: number): number {
  return Math.fround(x);
}
