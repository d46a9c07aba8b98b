// Adam, as torch.optim.Adam.
//   g ← g + λθ                                  (weight_decay λ: L2, a gradient transform, transforms.ts)
//   m ← β₁m + (1 − β₁)g
//   v ← β₂v + (1 − β₂)g²
//   amsgrad:  v̂ ← max(v̂, v), else v̂ ← v
//   θ ← θ − (γ / (1 − β₁ᵗ)) · m / (√v̂ / √(1 − β₂ᵗ) + ε)
// β₁ᵗ and β₂ᵗ are running products, one multiply a step (Math.pow is costly on the board and
// inexact on Espruino; a product gives the same bits everywhere).
import { f32, type Optimizer, type Reference, type RuleCode } from './types.ts';

export interface AdamState {
  m: Float32Array;
  v: Float32Array;
  vmax: Float32Array;
  step: number;
  /** β₁ᵗ and β₂ᵗ after `step` steps. */
  b1t: number;
  b2t: number;
}

export function initAdam(size: number): AdamState {
  return { m: new Float32Array(size), v: new Float32Array(size), vmax: new Float32Array(size), step: 0, b1t: 1, b2t: 1 };
}

/** One Adam step, without any weight decay (AdamW decays the weights itself first). */
export function adamStep(p: Float32Array, g: Float64Array, n: number, s: AdamState, o: { beta1: number; beta2: number; eps: number; amsgrad: boolean }, lr: number): void {
  const b1 = o.beta1;
  const b2 = o.beta2;
  s.step++;
  s.b1t *= b1;
  s.b2t *= b2;
  const stepSize = lr / (1 - s.b1t);
  const bc2 = Math.sqrt(1 - s.b2t);
  for (let i = 0; i < n; i++) {
    const m = f32(b1 * s.m[i] + (1 - b1) * g[i]);
    const v = f32(b2 * s.v[i] + (1 - b2) * g[i] * g[i]);
    s.m[i] = m;
    s.v[i] = v;
    let vh = v;
    if (o.amsgrad) {
      if (v > s.vmax[i]) s.vmax[i] = v;
      vh = s.vmax[i];
    }
    p[i] = f32(p[i] - stepSize * (m / (Math.sqrt(vh) / bc2 + o.eps)));
  }
}

/** adamStep as kernel code; `decay` is AdamW's decoupled weight decay, applied before it. */
export function adamKernel(amsgrad: boolean, decay: boolean): RuleCode {
  const vh = amsgrad ? '$vmax' : '$v';
  return {
    slots: amsgrad ? ['m', 'v', 'vmax'] : ['m', 'v'],
    scalars: ['step', 'b1t', 'b2t'],
    consts: 'var b1 = o.beta1, b2 = o.beta2, b11 = 1 - o.beta1, b21 = 1 - o.beta2, eps = o.eps, keep = 1 - lr * o.weightDecay, ss = 0, bc2 = 0;',
    step: 'step++; b1t *= b1; b2t *= b2; ss = lr / (1 - b1t); bc2 = sqrt(1 - b2t);',
    param:
      (decay ? '$p = fr($p * keep); ' : '') +
      '$m = fr(b1 * $m + b11 * $g); $v = fr(b2 * $v + b21 * $g * $g); ' +
      (amsgrad ? 'if ($v > $vmax) $vmax = $v; ' : '') +
      '$p = fr($p - ss * ($m / (sqrt(' + vh + ') / bc2 + eps)));',
  };
}

export const adam: Optimizer<AdamState> = {
  init: initAdam,
  kernel: (o) => adamKernel(o.amsgrad, false),
};

export const adamReference: Reference<AdamState> = { update: adamStep };
