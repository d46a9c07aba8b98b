// RMSprop, as torch.optim.RMSprop.
//   g ← g + λθ                                  (weight_decay λ: a gradient transform, transforms.ts)
//   v ← αv + (1 − α)g²
//   centered:  ḡ ← αḡ + (1 − α)g,  v′ ← v − ḡ²   else v′ ← v
//   momentum μ > 0:  b ← μb + g / (√v′ + ε),  θ ← θ − γb
//   otherwise:       θ ← θ − γ g / (√v′ + ε)
import { f32, type Optimizer, type Reference } from './types.ts';

export interface RmspropState {
  sq: Float32Array;
  avg: Float32Array;
  buf: Float32Array;
}

export const rmsprop: Optimizer<RmspropState> = {
  init: (size) => ({ sq: new Float32Array(size), avg: new Float32Array(size), buf: new Float32Array(size) }),
  kernel(o) {
    const slots = ['sq'];
    let param = '$sq = fr(al * $sq + al1 * $g * $g); ';
    if (o.centered) {
      slots.push('avg');
      param += '$avg = fr(al * $avg + al1 * $g); den = sqrt($sq - $avg * $avg) + eps; ';
    } else {
      param += 'den = sqrt($sq) + eps; ';
    }
    if (o.momentum > 0) {
      slots.push('buf');
      param += '$buf = fr(mu * $buf + $g / den); $p = fr($p - lr * $buf);';
    } else {
      param += '$p = fr($p - lr * $g / den);';
    }
    return { slots, scalars: [], consts: 'var al = o.alpha, al1 = 1 - o.alpha, eps = o.eps, mu = o.momentum, den = 0;', step: '', param };
  },
};

export const rmspropReference: Reference<RmspropState> = {
  update(p, g, n, s, o, lr) {
    const a = o.alpha;
    for (let i = 0; i < n; i++) {
      const d = g[i];
      const v = f32(a * s.sq[i] + (1 - a) * d * d);
      s.sq[i] = v;
      let denom: number;
      if (o.centered) {
        const m = f32(a * s.avg[i] + (1 - a) * d);
        s.avg[i] = m;
        denom = Math.sqrt(v - m * m) + o.eps;
      } else {
        denom = Math.sqrt(v) + o.eps;
      }
      if (o.momentum > 0) {
        const b = f32(o.momentum * s.buf[i] + d / denom);
        s.buf[i] = b;
        p[i] = f32(p[i] - lr * b);
      } else {
        p[i] = f32(p[i] - (lr * d) / denom);
      }
    }
  },
};
