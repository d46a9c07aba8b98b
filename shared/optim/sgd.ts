// SGD, as torch.optim.SGD (also `momentum` and `nesterov`, which are SGD with other defaults).
//   g ← g + λθ                                  (weight_decay λ)
//   if μ ≠ 0:  b ← g on the first step, else b ← μb + (1 − τ)g   (momentum μ, dampening τ)
//              g ← g + μb if nesterov, else g ← b
//   θ ← θ − γg
import { f32, type Optimizer } from './types.ts';

export interface SgdState {
  buf: Float32Array;
  started: boolean;
}

export const sgd: Optimizer<SgdState> = {
  init: (size) => ({ buf: new Float32Array(size), started: false }),
  update(p, g, n, s, o, lr) {
    const mu = o.momentum;
    for (let i = 0; i < n; i++) {
      let d = o.weightDecay !== 0 ? f32(g[i] + o.weightDecay * p[i]) : g[i];
      if (mu !== 0) {
        const b = s.started ? f32(mu * s.buf[i] + (1 - o.dampening) * d) : d;
        s.buf[i] = b;
        d = o.nesterov ? f32(d + mu * b) : b;
      }
      p[i] = f32(p[i] - lr * d);
    }
    s.started = true;
  },
};
