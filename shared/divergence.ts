// The divergence guard: a learning rate too large for the data is caught in the first epoch that
// explodes, and the run ends with the last finite parameters and a smaller rate to try.
// A run diverges when:
//   a loss is not a finite float32, or a parameter becomes infinite or NaN;
//   the loss grows more than JUMP_FACTOR times in one epoch and ends above the reference;
//   the loss exceeds DIVERGENCE_FACTOR times the reference,
// where the reference is the larger of the starting loss and mean y² (the scale of the problem).
// Messages name float32 values through `text`, the record sink's way of writing one (sink.num): the
// shortest decimal on the desktop, a token of the bits on a board (which cannot always print
// decimals: Espruino has no toPrecision), turned into the same decimal by the host.

/** How a message writes a float32 value. */
export type NumberText = (x: number) => string;

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
export function lossDiverged(loss: number, previous: number, reference: number, epoch: number, text: NumberText): string {
  if (!(loss <= DIVERGENCE_FACTOR * reference)) {
    return 'the loss reached ' + text(loss) + ', over ' + DIVERGENCE_FACTOR + ' times its starting scale ' + text(reference);
  }
  if (loss > JUMP_FACTOR * previous && loss > reference) return 'the loss jumped from ' + text(previous) + ' to ' + text(loss) + ' in epoch ' + epoch;
  return '';
}

/** The advice that ends a diverged run's message. */
export function lowerRateAdvice(lr: number, text: NumberText): string {
  return ': the learning rate ' + text(lr) + ' is too high for this data; try --lr ' + text(lr / 10) + ' or smaller';
}
