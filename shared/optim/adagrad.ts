// Adagrad, as torch.optim.Adagrad.
//   γ̃ ← γ / (1 + (t − 1)η)                      (lr_decay η, step t from 1)
//   g ← g + λθ                                  (weight_decay λ: a gradient transform, transforms.ts)
//   S ← S + g²                                  (S starts at initial_accumulator_value)
//   θ ← θ − γ̃ g / (√S + ε)
import { f32, type Optimizer, type Reference } from './types.ts';

export interface AdagradState {
  sum: Float32Array;
  step: number;
}

export const adagrad: Optimizer<AdagradState> = {
  init: (size, o) => ({ sum: new Float32Array(size).fill(o.initialAccumulator), step: 0 }),
  kernel: () => ({
    slots: ['sum'],
    scalars: ['step'],
    consts: 'var lrd = o.lrDecay, eps = o.eps;',
    step: 'step++; var clr = lr / (1 + (step - 1) * lrd);',
    param: '$sum = fr($sum + $g * $g); $p = fr($p - clr * $g / (sqrt($sum) + eps));',
  }),
};

export const adagradReference: Reference<AdagradState> = {
  update(p, g, n, s, o, lr) {
    s.step++;
    const clr = lr / (1 + (s.step - 1) * o.lrDecay);
    for (let i = 0; i < n; i++) {
      const sum = f32(s.sum[i] + g[i] * g[i]);
      s.sum[i] = sum;
      p[i] = f32(p[i] - (clr * g[i]) / (Math.sqrt(sum) + o.eps));
    }
  },
};
