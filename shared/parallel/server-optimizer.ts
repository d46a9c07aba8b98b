// The rule a parameter server applies to the gradient a worker sends (sync, downpour): any of the
// engine's optimizers, through the same readable update and gradient transforms as the reference
// kernels (kernels/reference.ts), or Downpour's Adagrad in the paper's form (Dean et al. 2012):
//   G ← G + g²;   θ ← θ − (γ / √G)·g        (per coordinate; the current gradient included; no ε,
//                                              and no step while G is 0: 0/0 is no move)
// torch's Adagrad differs: g / (√G + ε), with ε = 1e-10 by default. The paper's form is what
// AdaRevision (adarevision.ts) becomes without delays, step for step and bit for bit.
import type { OptimizerName, TrainConfig } from '../config.ts';
import { referenceApply } from '../kernels/reference.ts';
import type { RuleState } from '../kernels/types.ts';
import { getOptimizer } from '../optim/index.ts';
import { f32 } from '../optim/types.ts';
import { initTransforms } from '../transforms.ts';

export interface ServerRule {
  /** θ ← the rule's step from θ with gradient g at learning rate lr (θ, g: f + 1 entries). */
  apply(theta: Float32Array, g: Float64Array, lr: number): void;
}

/** The paper's Adagrad: G (float32 at rest, like every optimizer state) and the rate γ/√G. */
export function paperAdagrad(np: number, size: number): ServerRule {
  const G = new Float32Array(size);
  return {
    apply(theta, g, lr) {
      for (let j = 0; j < np; j++) {
        const sum = f32(G[j] + g[j] * g[j]);
        G[j] = sum;
        if (sum > 0) theta[j] = f32(theta[j] - (lr / Math.sqrt(sum)) * g[j]);
      }
    },
  };
}

/**
 * The server's rule for `name` with the run's options. `paper`: Downpour's Adagrad is the paper's
 * form (above); everything else is torch's, exactly as `host run` applies it.
 */
export function serverRule(name: OptimizerName, cfg: TrainConfig, f: number, bias: boolean, paper: boolean): ServerRule {
  const np = bias ? f + 1 : f;
  if (name === 'adagrad' && paper) return paperAdagrad(np, f + 1);
  const optimizer = getOptimizer(name);
  const grad = new Float64Array(f + 1);
  const st: RuleState = {
    f,
    bias,
    np,
    theta: new Float32Array(f + 1),
    grad,
    optimizer,
    opt: optimizer.init(f + 1, cfg),
    cfg,
    transforms: initTransforms(cfg, optimizer, null),
  };
  const step = referenceApply(st, name);
  return {
    apply(theta, g, lr) {
      st.theta = theta;
      grad.set(g);
      step(lr);
    },
  };
}
