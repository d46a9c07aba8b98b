// Gradient transforms, chained before the optimizer's rule (as optax chains them): each is an
// init/update pair over explicit state, plus the same update as kernel code (see optim/types.ts for
// the names: `$g` is the gradient of the parameter `$p`, and a transform may rewrite `$g`). As with
// the optimizers, the readable updates stand apart (…Reference), so that the board leaves them out.
//   noise:        g ← g + N(0, η / (1 + t)^γ)   annealed Gaussian noise (Neelakantan et al. 2015), t = steps so far
//   weight decay: g ← g + λθ                    L2, coupled to the gradient (torch's weight_decay)
// They run in that order. AdamW's decoupled decay is not this one: it lives in its rule (optim/adamw.ts).
import type { OptimizerOptions, TrainConfig } from './config.ts';
import type { AnyOptimizer } from './optim/index.ts';
import type { Random } from './random.ts';

export interface TransformCode {
  /** `var` declarations from `o` (the config), once per kernel call. */
  consts: string;
  /** Statements once per step. */
  step: string;
  /** Statements per parameter. */
  param: string;
}

/** A transform's settings: the optimizer's options, and the noise's when training (walks have none). */
export type TransformOptions = OptimizerOptions & Partial<Pick<TrainConfig, 'noiseEta' | 'noiseGamma'>>;

export interface GradientTransform<S> {
  init(cfg: TransformOptions, rng: Random | null): S;
  kernel(cfg: TransformOptions): TransformCode;
}

export interface TransformReference<S> {
  update(g: Float64Array, theta: Float32Array, n: number, s: S): void;
}

export interface NoiseState {
  eta: number;
  gamma: number;
  /** Optimizer steps taken so far (t in the formula). */
  nsteps: number;
  rng: Random;
}

export const gradientNoise: GradientTransform<NoiseState> = {
  init: (cfg, rng) => ({ eta: cfg.noiseEta || 0, gamma: cfg.noiseGamma || 0, nsteps: 0, rng: rng as Random }),
  // nsteps is loaded from the state and stored back by the generator (kernels/fast.ts).
  kernel: () => ({
    consts: 'var neta = o.noiseEta, ngam = o.noiseGamma, nsd = 0, rng = _noise.rng;',
    step: 'nsd = sqrt(neta / Math.pow(1 + nsteps, ngam)); nsteps++;',
    param: '$g = $g + nsd * rng.gauss();',
  }),
};

export const gradientNoiseReference: TransformReference<NoiseState> = {
  update(g, _theta, n, s) {
    const sd = Math.sqrt(s.eta / Math.pow(1 + s.nsteps, s.gamma));
    s.nsteps++;
    for (let j = 0; j < n; j++) g[j] = g[j] + sd * s.rng.gauss();
  },
};

export interface DecayState {
  lambda: number;
}

export const weightDecay: GradientTransform<DecayState> = {
  init: (cfg) => ({ lambda: cfg.weightDecay }),
  kernel: () => ({ consts: 'var wd = o.weightDecay;', step: '', param: '$g = $g + wd * $p;' }),
};

export const weightDecayReference: TransformReference<DecayState> = {
  update(g, theta, n, s) {
    for (let j = 0; j < n; j++) g[j] = g[j] + s.lambda * theta[j];
  },
};

/** The transforms a run uses, in order, each with its state. */
export interface TransformChain {
  noise: NoiseState | null;
  decay: DecayState | null;
}

export function initTransforms(cfg: TransformOptions, optimizer: AnyOptimizer, rng: Random | null): TransformChain {
  return {
    noise: rng !== null && (cfg.noiseEta || 0) > 0 ? gradientNoise.init(cfg, rng) : null,
    decay: cfg.weightDecay !== 0 && !optimizer.decoupledDecay ? weightDecay.init(cfg, rng) : null,
  };
}

/** The chain's readable form (the reference kernels'). */
export function applyTransforms(c: TransformChain, g: Float64Array, theta: Float32Array, n: number): void {
  if (c.noise) gradientNoiseReference.update(g, theta, n, c.noise);
  if (c.decay) weightDecayReference.update(g, theta, n, c.decay);
}
