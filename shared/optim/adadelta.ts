// Adadelta, as torch.optim.Adadelta (lr defaults to 1).
//   g ← g + λθ                                  (weight_decay λ: a gradient transform, transforms.ts)
//   v ← ρv + (1 − ρ)g²
//   Δ ← √(u + ε) / √(v + ε) · g
//   u ← ρu + (1 − ρ)Δ²
//   θ ← θ − γΔ
import { f32, type Optimizer, type Reference } from './types.ts';

export interface AdadeltaState {
  sq: Float32Array;
  acc: Float32Array;
}

export const adadelta: Optimizer<AdadeltaState> = {
  init: (size) => ({ sq: new Float32Array(size), acc: new Float32Array(size) }),
  kernel: () => ({
    slots: ['sq', 'acc'],
    scalars: [],
    consts: 'var rho = o.rho, rho1 = 1 - o.rho, eps = o.eps, dl = 0;',
    step: '',
    param: '$sq = fr(rho * $sq + rho1 * $g * $g); dl = sqrt($acc + eps) / sqrt($sq + eps) * $g; $acc = fr(rho * $acc + rho1 * dl * dl); $p = fr($p - lr * dl);',
  }),
};

export const adadeltaReference: Reference<AdadeltaState> = {
  update(p, g, n, s, o, lr) {
    const rho = o.rho;
    for (let i = 0; i < n; i++) {
      const v = f32(rho * s.sq[i] + (1 - rho) * g[i] * g[i]);
      s.sq[i] = v;
      const delta = (Math.sqrt(s.acc[i] + o.eps) / Math.sqrt(v + o.eps)) * g[i];
      s.acc[i] = f32(rho * s.acc[i] + (1 - rho) * delta * delta);
      p[i] = f32(p[i] - lr * delta);
    }
  },
};
