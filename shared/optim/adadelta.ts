// Adadelta, as torch.optim.Adadelta (lr defaults to 1).
//   g ← g + λθ                                  (weight_decay λ)
//   v ← ρv + (1 − ρ)g²
//   Δ ← √(u + ε) / √(v + ε) · g
//   u ← ρu + (1 − ρ)Δ²
//   θ ← θ − γΔ
import { f32, type Optimizer } from './types.ts';

export interface AdadeltaState {
  sq: Float32Array;
  acc: Float32Array;
}

export const adadelta: Optimizer<AdadeltaState> = {
  init: (size) => ({ sq: new Float32Array(size), acc: new Float32Array(size) }),
  update(p, g, n, s, o, lr) {
    const rho = o.rho;
    for (let i = 0; i < n; i++) {
      const d = o.weightDecay !== 0 ? f32(g[i] + o.weightDecay * p[i]) : g[i];
      const v = f32(rho * s.sq[i] + (1 - rho) * d * d);
      s.sq[i] = v;
      const delta = f32((f32(Math.sqrt(s.acc[i] + o.eps)) / f32(Math.sqrt(v + o.eps))) * d);
      s.acc[i] = f32(rho * s.acc[i] + (1 - rho) * delta * delta);
      p[i] = f32(p[i] - lr * delta);
    }
  },
};
