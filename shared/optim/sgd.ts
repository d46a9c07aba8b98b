// SGD, as torch.optim.SGD (also `momentum` and `nesterov`, which are SGD with other defaults).
//   g ← g + λθ                                  (weight_decay λ: a gradient transform, transforms.ts)
//   if μ ≠ 0:  b ← g on the first step, else b ← μb + (1 − τ)g   (momentum μ, dampening τ)
//              g ← g + μb if nesterov, else g ← b
//   θ ← θ − γg
import { f32, type Optimizer, type Reference } from './types.ts';

export interface SgdState {
  buf: Float32Array;
  /** 0 until the first step with momentum, then 1 (a number, so that kernels carry it like any other scalar). */
  started: number;
}

export const sgd: Optimizer<SgdState> = {
  init: (size) => ({ buf: new Float32Array(size), started: 0 }),
  kernel(o) {
    if (o.momentum === 0) return { slots: [], scalars: [], consts: '', step: '', param: '$p = fr($p - lr * $g);' };
    const apply = o.nesterov ? '$p = fr($p - lr * ($g + mu * $buf));' : '$p = fr($p - lr * $buf);';
    return {
      slots: ['buf'],
      scalars: ['started'],
      consts: 'var mu = o.momentum, damp1 = 1 - o.dampening;',
      step: '',
      // Without dampening (1 − τ)·g is 1·g, which is g exactly: one multiply less per parameter.
      param: '$buf = fr(mu * $buf + ' + (o.dampening === 0 ? '$g' : 'damp1 * $g') + '); ' + apply,
      first: { scalar: 'started', param: '$buf = fr($g); ' + apply },
    };
  },
};

export const sgdReference: Reference<SgdState> = {
  update(p, g, n, s, o, lr) {
    const mu = o.momentum;
    for (let i = 0; i < n; i++) {
      let d = g[i];
      if (mu !== 0) {
        const b = s.started ? f32(mu * s.buf[i] + (1 - o.dampening) * d) : f32(d);
        s.buf[i] = b;
        d = o.nesterov ? d + mu * b : b;
      }
      p[i] = f32(p[i] - lr * d);
    }
    if (mu !== 0) s.started = 1;
  },
};
