// The linear model y = w·x + b and its mean-squared-error loss. These are the engine's hot loops:
// plain indexed loops over typed arrays, no allocation. Samples are visited through an index list
// (`idx[from..to)`), which is how batches, shuffling, validation splits and curricula all share one loop.
// Sums run in double precision and are rounded to float32 once, at the end.

import { MAX_FEATURES } from './dataset.ts';

// Scratch for the multi-feature loop, allocated once at load: weights read as doubles, and the
// gradient sums (a Float32Array accumulator would round at every sample).
const W = new Float64Array(MAX_FEATURES);
const G = new Float64Array(MAX_FEATURES);

/**
 * Mean gradient of the MSE over the samples idx[from..to) at parameters p = [w0..wF-1, b].
 * Writes g[0..F) for the weights and g[F] for the bias.
 */
export function batchGradient(
  x: Float32Array,
  y: Float32Array,
  features: number,
  idx: Uint32Array,
  from: number,
  to: number,
  p: Float32Array,
  g: Float32Array,
): void {
  const f = features;
  const b = p[f];
  let gb = 0;
  if (f === 1) {
    // The seeds' case (and the board's usual one) gets a loop without the inner feature loop.
    const w = p[0];
    let gw = 0;
    for (let k = from; k < to; k++) {
      const i = idx[k];
      const xi = x[i];
      const r = w * xi + b - y[i];
      gw += r * xi;
      gb += r;
    }
    G[0] = gw;
  } else {
    for (let j = 0; j < f; j++) {
      W[j] = p[j];
      G[j] = 0;
    }
    for (let k = from; k < to; k++) {
      const i = idx[k];
      const row = i * f;
      let pred = b;
      for (let j = 0; j < f; j++) pred += W[j] * x[row + j];
      const r = pred - y[i];
      for (let j = 0; j < f; j++) G[j] += r * x[row + j];
      gb += r;
    }
  }
  const scale = 2 / (to - from);
  for (let j = 0; j < f; j++) g[j] = Math.fround(G[j] * scale);
  g[f] = Math.fround(gb * scale);
}

/** Mean squared error over idx[from..to) at p = [w0..wF-1, b], rounded to float32 (NaN for an empty set). */
export function meanSquaredError(
  x: Float32Array,
  y: Float32Array,
  features: number,
  idx: Uint32Array,
  from: number,
  to: number,
  p: Float32Array,
): number {
  const f = features;
  const b = p[f];
  let sum = 0;
  if (f === 1) {
    const w = p[0];
    for (let k = from; k < to; k++) {
      const i = idx[k];
      const r = w * x[i] + b - y[i];
      sum += r * r;
    }
    return Math.fround(sum / (to - from));
  }
  for (let k = from; k < to; k++) {
    const i = idx[k];
    const row = i * f;
    let pred = b;
    for (let j = 0; j < f; j++) pred += p[j] * x[row + j];
    const r = pred - y[i];
    sum += r * r;
  }
  return Math.fround(sum / (to - from));
}

/**
 * Per-sample plain SGD (no momentum, no weight decay) over idx[from..to), fused: for each sample
 * the gradient and the update in one pass, with exactly batchGradient + sgd.update's float32
 * rounding. Returns the samples visited; stops after the first update that is not finite.
 */
export function sgdPerSample(
  x: Float32Array,
  y: Float32Array,
  features: number,
  idx: Uint32Array,
  from: number,
  to: number,
  p: Float32Array,
  lr: number,
): number {
  const f = features;
  let b = p[f];
  let k = from;
  if (f === 1) {
    let w = p[0];
    while (k < to) {
      const i = idx[k++];
      const xi = x[i];
      const r = w * xi + b - y[i];
      w = Math.fround(w - lr * Math.fround(2 * r * xi));
      b = Math.fround(b - lr * Math.fround(2 * r));
      if (w - w !== 0 || b - b !== 0) break;
    }
    p[0] = w;
  } else {
    while (k < to) {
      const i = idx[k++];
      const row = i * f;
      let pred = b;
      for (let j = 0; j < f; j++) pred += p[j] * x[row + j];
      const r = pred - y[i];
      let bad = false;
      for (let j = 0; j < f; j++) {
        const w = Math.fround(p[j] - lr * Math.fround(2 * r * x[row + j]));
        p[j] = w;
        if (w - w !== 0) bad = true;
      }
      b = Math.fround(b - lr * Math.fround(2 * r));
      if (bad || b - b !== 0) break;
    }
  }
  p[f] = b;
  return k - from;
}
