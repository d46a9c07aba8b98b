// Learning-rate schedules, evaluated once per epoch. `t` is the number of epochs already finished
// (0 for the first epoch), as torch's schedulers count after each scheduler.step(); `prev` is the
// rate of the epoch before (ignored at t = 0).
//
// Powers are running products, as torch's chainable StepLR and ExponentialLR compute them
// (lr ← lr·γ at each step), never Math.pow: Espruino's Math.pow is inexact (runtime-facts.md), and
// one formula on every target keeps the board's records equal to the desktop's.
import type { TrainConfig } from './config.ts';

export function scheduledLr(c: TrainConfig, t: number, prev: number): number {
  if (t === 0) return c.lr;
  switch (c.schedule) {
    case 'step': // StepLR: multiply by gamma every stepSize epochs
      return t % c.stepSize === 0 ? prev * c.gamma : prev;
    case 'exponential': // ExponentialLR: multiply by gamma every epoch
      return prev * c.gamma;
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
