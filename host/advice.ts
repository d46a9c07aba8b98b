// Advice for a diverged run that looks at the data, not only at the learning rate. The engine's own
// message (shared/divergence.ts, which also runs on the board and must stay small) can only say
// "try a smaller --lr"; when the features are unscaled that is the wrong fix — on x up to 2e7 even
// --lr 1e-14 diverges, while --standardize trains at the default rate. The host has the data, so
// it says that instead.
import type { TrainConfig } from '../shared/config.ts';

/** Features whose largest |x| is above this are "large". */
export const LARGE_FEATURE = 1e3;
/** Features whose scales (largest |x|) differ by this factor or more are "unscaled". */
export const SCALE_RATIO = 1e3;

/** The largest |x| of each feature in packed rows [x1..xF, y]. */
export function featureMaxAbs(packed: ArrayLike<number>, features: number, rows: number): number[] {
  const out = new Array<number>(features).fill(0);
  const stride = features + 1;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < features; j++) {
      const v = Math.abs(packed[r * stride + j]);
      if (v > out[j]) out[j] = v;
    }
  }
  return out;
}

/** A magnitude for a message: 2e7, 1.5e7, 3500, 0.002. */
export function magnitude(x: number): string {
  const v = Number(x.toPrecision(2));
  if (v !== 0 && (Math.abs(v) >= 1e4 || Math.abs(v) < 1e-3)) return v.toExponential().replace('e+', 'e');
  return String(v);
}

/**
 * What to try when a run on features with these scales (featureMaxAbs) diverges under `config`,
 * when the cause is the data rather than the rate alone; '' when a smaller --lr is the right advice.
 */
export function divergenceAdvice(maxAbs: readonly number[], config: Pick<TrainConfig, 'standardize'>): string {
  if (config.standardize || maxAbs.length === 0) return '';
  const largest = Math.max(...maxAbs);
  if (largest > LARGE_FEATURE) return `the features are large (up to ${magnitude(largest)}): try --standardize`;
  const nonzero = maxAbs.filter((v) => v > 0);
  if (nonzero.length < 2) return '';
  const smallest = Math.min(...nonzero);
  if (largest / smallest >= SCALE_RATIO) {
    return `the features' scales differ ${magnitude(largest / smallest)}-fold (largest |x| from ${magnitude(smallest)} to ${magnitude(largest)}): try --standardize`;
  }
  return '';
}

/** The engine's closing advice on a diverged run (shared/divergence.ts lowerRateAdvice). */
const LOWER_RATE = /: the learning rate \S+ is too high for this data; try --lr \S+ or smaller$/;

/**
 * A diverged run's message with `advice` (divergenceAdvice) in place of the engine's "try a smaller
 * --lr"; unchanged when there is no advice or the message already names --standardize.
 */
export function withAdvice(message: string, advice: string): string {
  if (!advice || message.indexOf('--standardize') >= 0) return message;
  if (LOWER_RATE.test(message)) return message.replace(LOWER_RATE, `: ${advice}`);
  return `${message}; ${advice}`;
}
