// Seeded, noiseless datasets for the parallel runners and their benchmarks: 8 features, y given by a
// known true model, so that a run can be judged against the truth and not only against its loss.
//
//   truth   w* = [1.5, -2, 0.5, 3, -1, 2.5, -0.75, 1.25], b* = 0.5   (all exact float32 values)
//   packed  one row per sample, [x1 … x8, y] (float32), the layout of datasetFromPacked (dataset.ts)
//   y       b* + w*·x computed in double (in linear.ts's order: w₁x₁, then b + …, then + wⱼxⱼ),
//           then stored as float32: noiseless up to that one rounding
//   dense   every feature non-zero: Ω = 9 parameters per sample, the case Hogwild!'s theory does not cover
//   sparse  each sample has 1 or 2 non-zero features of the 8 (equally likely; the second one
//           distinct from the first), the rest exactly 0: Hogwild!'s regime (sheet §2), only the bias
//           is shared by every sample
//   value   a non-zero feature is ±(0.25 … 1): a random sign and a magnitude uniform in [0.25, 1),
//           so it is never 0 nor tiny (a feature that is drawn is really present)
//
// Draws, in order, from one Random(seed) (random.ts): per sample, dense: 8 × (sign, magnitude);
// sparse: the count, the first feature, the second if any, then (sign, magnitude) per feature.
import { Random } from '../random.ts';

export type GeneratedKind = 'dense' | 'sparse';

export const GENERATED_FEATURES = 8;

/** The true model of every generated set. */
export const TRUTH: { readonly w: readonly number[]; readonly b: number } = {
  w: [1.5, -2, 0.5, 3, -1, 2.5, -0.75, 1.25],
  b: 0.5,
};

export interface GeneratedDataset {
  packed: Float32Array;
  features: number;
  truth: { w: number[]; b: number };
}

function nonZero(rng: Random): number {
  const sign = rng.next() < 0.5 ? -1 : 1;
  return sign * (0.25 + 0.75 * rng.next());
}

export function generateDataset(kind: GeneratedKind, samples: number, seed: number): GeneratedDataset {
  if (kind !== 'dense' && kind !== 'sparse') throw new RangeError(`unknown dataset kind "${String(kind)}"; choose dense or sparse`);
  if (!(Number.isInteger(samples) && samples >= 1)) throw new RangeError(`samples must be a whole number of at least 1, got ${samples}`);
  const f = GENERATED_FEATURES;
  const stride = f + 1;
  const w = TRUTH.w;
  const b = TRUTH.b;
  const rng = new Random(seed);
  const packed = new Float32Array(samples * stride);
  const x = new Float32Array(f);
  for (let i = 0; i < samples; i++) {
    x.fill(0);
    if (kind === 'dense') {
      for (let j = 0; j < f; j++) x[j] = nonZero(rng);
    } else {
      const count = 1 + rng.int(2);
      const first = rng.int(f);
      x[first] = 1; // placeholder: the values are drawn after the positions
      let second = -1;
      if (count === 2) {
        second = (first + 1 + rng.int(f - 1)) % f;
        x[second] = 1;
      }
      x[first] = nonZero(rng);
      if (second >= 0) x[second] = nonZero(rng);
    }
    // The true prediction in double from the float32 features, in linear.ts's order.
    let pred = w[0] * x[0];
    pred = b + pred;
    for (let j = 1; j < f; j++) pred += w[j] * x[j];
    const base = i * stride;
    for (let j = 0; j < f; j++) packed[base + j] = x[j];
    packed[base + f] = pred;
  }
  return { packed, features: f, truth: { w: w.slice(), b } };
}
