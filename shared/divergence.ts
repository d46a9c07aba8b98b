// The divergence guard: a learning rate too large for the data is caught in the first epoch that
// explodes, and the run ends with the last finite parameters and a smaller rate to try.
// A run diverges when:
//   a loss is not a finite float32, or a parameter becomes infinite or NaN;
//   the loss grows more than JUMP_FACTOR times in one epoch and ends above the reference;
//   the loss exceeds DIVERGENCE_FACTOR times the reference,
// where the reference is the larger of the starting loss and mean y² (the scale of the problem).
import { formatF32 } from './protocol.ts';

/** A loss this many times the reference has exploded. */
export const DIVERGENCE_FACTOR = 1e4;
/** An epoch that multiplies the loss by more than this, ending above the reference, is diverging. */
export const JUMP_FACTOR = 10;

export function finite(v: number): boolean {
  return v === v && v !== Infinity && v !== -Infinity;
}

/** True when p[0..n) are all finite numbers. */
export function allFinite(p: ArrayLike<number>, n: number): boolean {
  for (let j = 0; j < n; j++) if (!finite(p[j])) return false;
  return true;
}

/** The scale divergence is judged against: the larger of the starting loss and mean y². */
export function divergenceReference(startLoss: number, y: Float32Array, idx: Uint32Array, n: number): number {
  let meanSqY = 0;
  for (let k = 0; k < n; k++) meanSqY += y[idx[k]] * y[idx[k]];
  return Math.max(startLoss, meanSqY / n, 1e-30);
}

/** What is wrong with an epoch's finite loss, or '' when nothing is. */
export function lossDiverged(loss: number, previous: number, reference: number, epoch: number): string {
  if (!(loss <= DIVERGENCE_FACTOR * reference)) {
    return 'the loss reached ' + formatF32(loss) + ', over ' + DIVERGENCE_FACTOR + ' times its starting scale ' + formatF32(reference);
  }
  if (loss > JUMP_FACTOR * previous && loss > reference) return 'the loss jumped from ' + formatF32(previous) + ' to ' + formatF32(loss) + ' in epoch ' + epoch;
  return '';
}

/** The advice that ends a diverged run's message. */
export function lowerRateAdvice(lr: number): string {
  return ': the learning rate ' + formatF32(lr) + ' is too high for this data; try --lr ' + formatF32(lr / 10) + ' or smaller';
}
