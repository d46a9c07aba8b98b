// Curriculum learning, easy to hard: samples are ordered by difficulty, the squared length of their
// (standardized) feature vector, since small |x| gives small, stable gradients (∂/∂w = 2r·x). With
// K > 0 epochs of growth, epoch e trains on the easiest ⌈n·min(1, e/K)⌉ samples.

/** Sorts idx[0..n) easy to hard (ties by index, so the order is the same everywhere). */
export function sortByDifficulty(idx: Uint32Array, n: number, x: Float32Array, f: number, mean: Float64Array, scale: Float64Array, samples: number): void {
  const d = new Float64Array(samples);
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    let s = 0;
    for (let j = 0; j < f; j++) {
      const z = (x[i * f + j] - mean[j]) / scale[j];
      s += z * z;
    }
    d[i] = s;
  }
  idx.subarray(0, n).sort((a, b) => d[a] - d[b] || a - b);
}

/** How many of the n training samples epoch e (from 1) trains on. */
export function curriculumPool(epoch: number, n: number, growEpochs: number): number {
  if (growEpochs <= 0) return n;
  return Math.max(1, Math.ceil(n * Math.min(1, epoch / growEpochs) - 1e-9));
}
