// The benchmark's data: y = w·x + b + noise with known w and b, seeded, so every run and every
// contender trains on the very same float32 samples.
import { Dataset, datasetFromPacked } from '../../shared/dataset.ts';
import { Random } from '../../shared/random.ts';

export const TRUE_W = [2, -3, 1.5, 0.5, -1, 0.25, -0.75, 1];
export const TRUE_B = 0.5;

/** x uniform in [−1, 1), noise N(0, 0.1²). */
export function syntheticDataset(samples: number, features: number, seed = 7): Dataset {
  const rng = new Random(seed);
  const packed = new Float32Array(samples * (features + 1));
  for (let i = 0; i < samples; i++) {
    let y = TRUE_B;
    for (let j = 0; j < features; j++) {
      const x = rng.next() * 2 - 1;
      packed[i * (features + 1) + j] = x;
      y += TRUE_W[j] * x;
    }
    packed[i * (features + 1) + features] = y + 0.1 * rng.gauss();
  }
  return datasetFromPacked(packed, features);
}
