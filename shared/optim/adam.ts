// Adam, as torch.optim.Adam.
//   g ← g + λθ                                  (weight_decay λ: L2, coupled to the gradient)
//   m ← β₁m + (1 − β₁)g
//   v ← β₂v + (1 − β₂)g²
//   amsgrad:  v̂ ← max(v̂, v), else v̂ ← v
//   θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
import type { OptimizerOptions } from '../config.ts';
import { f32, type Optimizer } from './types.ts';

export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  vmax: Float32Array;
  step: number;
}

export function initAdam(size: number): AdamState {
  return { m: new Float32Array(size), v: new Float32Array(size), vmax: new Float32Array(size), step: 0 };
}

/** One Adam step with L2 coefficient `l2` (AdamW passes 0 and decays the weights itself). */
export function adamStep(p: Float32Array, g: Float32Array, n: number, s: AdamState, o: OptimizerOptions, lr: number, l2: number): void {
  s.step++;
  const b1 = o.beta1;
  const b2 = o.beta2;
  const stepSize = lr / (1 - Math.pow(b1, s.step));
  const bc2sqrt = Math.sqrt(1 - Math.pow(b2, s.step));
  for (let i = 0; i < n; i++) {
    const d = l2 !== 0 ? f32(g[i] + l2 * p[i]) : g[i];
    const m = f32(b1 * s.m[i] + (1 - b1) * d);
    const v = f32(b2 * s.v[i] + (1 - b2) * d * d);
    s.m[i] = m;
    s.v[i] = v;
    let vh = v;
    if (o.amsgrad) {
      if (v > s.vmax[i]) s.vmax[i] = v;
      vh = s.vmax[i];
    }
    const denom = f32(f32(f32(Math.sqrt(vh)) / bc2sqrt) + o.eps);
    p[i] = f32(p[i] - stepSize * f32(m / denom));
  }
}

export const adam: Optimizer<AdamState> = {
  init: initAdam,
  update: (p, g, n, s, o, lr) => adamStep(p, g, n, s, o, lr, o.weightDecay),
};
