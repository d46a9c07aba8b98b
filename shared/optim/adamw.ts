// AdamW, as torch.optim.AdamW: Adam with decoupled weight decay (weight_decay λ defaults to 0.01).
//   θ ← θ − γλθ                                 (decay first, outside the adaptive scaling)
//   then the Adam step of adam.ts with no L2 term
import { adamKernel, adamStep, initAdam, type AdamState } from './adam.ts';
import { f32, type Optimizer, type Reference } from './types.ts';

export const adamw: Optimizer<AdamState> = {
  init: initAdam,
  kernel: (o) => adamKernel(o.amsgrad, true),
  decoupledDecay: true,
};

export const adamwReference: Reference<AdamState> = {
  update(p, g, n, s, o, lr) {
    const keep = 1 - lr * o.weightDecay;
    for (let i = 0; i < n; i++) p[i] = f32(p[i] * keep);
    adamStep(p, g, n, s, o, lr);
  },
};
