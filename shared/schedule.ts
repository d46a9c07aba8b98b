// Learning-rate schedules, evaluated once per epoch. `t` is the number of epochs already finished
// (0 for the first epoch), as torch's schedulers count after each scheduler.step().
import type { TrainConfig } from './config.ts';

export function scheduledLr(c: TrainConfig, t: number): number {
  switch (c.schedule) {
    case 'step': // StepLR: multiply by gamma every stepSize epochs
      return c.lr * Math.pow(c.gamma, Math.floor(t / c.stepSize));
    case 'exponential': // ExponentialLR: multiply by gamma every epoch
      return c.lr * Math.pow(c.gamma, t);
    case 'inverse': // inverse time decay: lr / (1 + decay·t)
      return c.lr / (1 + c.decay * t);
    case 'cosine': {
      // CosineAnnealingLR's closed form, period tMax (0 = the whole run)
      const T = c.tMax > 0 ? c.tMax : c.epochs;
      return c.etaMin + ((c.lr - c.etaMin) * (1 + Math.cos((Math.PI * t) / T))) / 2;
    }
    default:
      return c.lr;
  }
}
