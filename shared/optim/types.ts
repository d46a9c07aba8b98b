import type { OptimizerOptions } from '../config.ts';

/**
 * An optimizer is a pair of functions over explicit state (as in optax): `init` allocates the state
 * once for `size` parameters; `update` applies one step in place to p[0..n) given the gradient
 * g[0..n) and the learning rate for this step. Nothing is allocated per step.
 */
export interface Optimizer<S> {
  init(size: number, o: OptimizerOptions): S;
  update(p: Float32Array, g: Float32Array, n: number, s: S, o: OptimizerOptions, lr: number): void;
}

/** torch keeps parameters and state in float32; rounding each stored value the same way keeps parity. */
export const f32 = Math.fround;
