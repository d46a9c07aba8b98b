// RMSprop, as torch.optim.RMSprop.
//   g ← g + λθ                                  (weight_decay λ)
//   v ← αv + (1 − α)g²
//   centered:  ḡ ← αḡ + (1 − α)g,  v′ ← v − ḡ²   else v′ ← v
//   momentum μ > 0:  b ← μb + g / (√v′ + ε),  θ ← θ − γb
//   otherwise:       θ ← θ − γ g / (√v′ + ε)
import { f32, type Optimizer } from './types.ts';

export interface RmspropState {
  sq: Float32Array;
  avg: Float32Array;
  buf: Float32Array;
}

export const rmsprop: Optimizer<RmspropState> = {
  init: (size) => ({ sq: new Float32Array(size), avg: new Float32Array(size), buf: new Float32Array(size) }),
  update(p, g, n, s, o, lr) {
    const a = o.alpha;
    for (let i = 0; i < n; i++) {
      const d = o.weightDecay !== 0 ? f32(g[i] + o.weightDecay * p[i]) : g[i];
      const v = f32(a * s.sq[i] + (1 - a) * d * d);
      s.sq[i] = v;
      let denom: number;
      if (o.centered) {
        const m = f32(a * s.avg[i] + (1 - a) * d);
        s.avg[i] = m;
        denom = f32(f32(Math.sqrt(f32(v - m * m))) + o.eps);
      } else {
        denom = f32(f32(Math.sqrt(v)) + o.eps);
      }
      if (o.momentum > 0) {
        const b = f32(o.momentum * s.buf[i] + f32(d / denom));
        s.buf[i] = b;
        p[i] = f32(p[i] - lr * b);
      } else {
        p[i] = f32(p[i] - (lr * d) / denom);
      }
    }
  },
};
