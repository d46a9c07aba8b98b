// The linear model y = w·x + b and its mean-squared-error loss. These are the engine's hot loops:
// plain indexed loops over typed arrays, no allocation. Samples are visited through an index list
// (`idx[from..to)`), which is how batches, shuffling, validation splits and curricula all share one loop.
// Sums run in double precision and are rounded to float32 once, at the end.
//
// Each loop has two shapes. One feature (the seeds' case, and the board's usual one) is inline in the
// exported function. Two to MAX_FEATURES features go to a function of their own (…Many) that keeps
// the weights, and the gradient sums, in locals w0…w7 and g0…g7 and skips the terms a smaller model
// does not have. Measured in V8, an inner `for (j < f)` loop over a weight array ran these loops at
// 0.5–0.65 of that speed (2–8 features): every sample re-reads and re-writes the weights through
// memory, and in per-sample SGD that store and reload sits on the chain from one sample's update to
// the next sample's prediction. Giving the ladder a function of its own, apart from the 1-feature
// loop, made V8's code for it faster again (the loss loop ran in half the time).
//
// The prediction adds in one fixed order, b + w0·x0 + w1·x1 + …, in every shape, so a result does not
// depend on which shape ran. Each ladder of per-feature lines stops after the model's last feature
// with a labelled `break`: one compare per sample for two features, where `if (f > j)` on every line
// took six, and measurably more time in the loss loop.

import { MAX_FEATURES } from './dataset.ts';

// Scratch allocated once at load: the weights, zero past the model's features so that w0…w7 can be
// read without a guard (and, in sgdMany, summed for the finiteness check), and the gradient sums on
// their way out.
const W = new Float64Array(MAX_FEATURES);
const G = new Float64Array(MAX_FEATURES);

/** Copies the f weights of p into W and zeroes the rest. */
function loadWeights(p: Float32Array, f: number): void {
  for (let j = 0; j < MAX_FEATURES; j++) W[j] = j < f ? p[j] : 0;
}

/** Gradient sums for batchGradient, zeroed per call (allocated once at load). */
const ACC = new Float64Array(MAX_FEATURES + 1);

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
  ACC.fill(0);
  gradientSums(x, y, features, idx, from, to, p, ACC);
  finishGradient(ACC, features, to - from, g);
}

/**
 * Adds the sums behind the gradient over idx[from..to) to acc: Σ r·xⱼ into acc[0..F) and Σ r into
 * acc[F], where r = w·x + b − y. Summing a batch in pieces, one after another into the same acc,
 * gives the very bits of one pass (the same additions in the same order): this is what lets the
 * board split a large batch across time slices.
 */
export function gradientSums(
  x: Float32Array,
  y: Float32Array,
  features: number,
  idx: Uint32Array,
  from: number,
  to: number,
  p: Float32Array,
  acc: Float64Array,
): void {
  if (features !== 1) {
    gradientMany(x, y, features, idx, from, to, p, acc);
    return;
  }
  const w = p[0];
  const b = p[1];
  let gw = acc[0];
  let gb = acc[1];
  for (let k = from; k < to; k++) {
    const i = idx[k];
    const xi = x[i];
    const r = w * xi + b - y[i];
    gw += r * xi;
    gb += r;
  }
  acc[0] = gw;
  acc[1] = gb;
}

/** The mean gradient of n samples from their sums: g = 2/n · acc, rounded to float32. */
export function finishGradient(acc: Float64Array, features: number, n: number, g: Float32Array): void {
  const scale = 2 / n;
  for (let j = 0; j <= features; j++) g[j] = Math.fround(acc[j] * scale);
}

function gradientMany(x: Float32Array, y: Float32Array, f: number, idx: Uint32Array, from: number, to: number, p: Float32Array, acc: Float64Array): void {
  loadWeights(p, f);
  const w0 = W[0], w1 = W[1], w2 = W[2], w3 = W[3], w4 = W[4], w5 = W[5], w6 = W[6], w7 = W[7];
  const b = p[f];
  // The running sums: acc[0..f) for the weights, acc[f] for the bias (zero past the model's features).
  for (let j = 0; j < MAX_FEATURES; j++) G[j] = j < f ? acc[j] : 0;
  let g0 = G[0], g1 = G[1], g2 = G[2], g3 = G[3], g4 = G[4], g5 = G[5], g6 = G[6], g7 = G[7], gb = acc[f];
  for (let k = from; k < to; k++) {
    const i = idx[k];
    const row = i * f;
    const x0 = x[row];
    const x1 = x[row + 1];
    let pred = b + w0 * x0 + w1 * x1;
    terms: {
      if (f < 3) break terms;
      pred += w2 * x[row + 2];
      if (f < 4) break terms;
      pred += w3 * x[row + 3];
      if (f < 5) break terms;
      pred += w4 * x[row + 4];
      if (f < 6) break terms;
      pred += w5 * x[row + 5];
      if (f < 7) break terms;
      pred += w6 * x[row + 6];
      if (f < 8) break terms;
      pred += w7 * x[row + 7];
    }
    const r = pred - y[i];
    g0 += r * x0;
    g1 += r * x1;
    sums: {
      if (f < 3) break sums;
      g2 += r * x[row + 2];
      if (f < 4) break sums;
      g3 += r * x[row + 3];
      if (f < 5) break sums;
      g4 += r * x[row + 4];
      if (f < 6) break sums;
      g5 += r * x[row + 5];
      if (f < 7) break sums;
      g6 += r * x[row + 6];
      if (f < 8) break sums;
      g7 += r * x[row + 7];
    }
    gb += r;
  }
  G[0] = g0, G[1] = g1, G[2] = g2, G[3] = g3, G[4] = g4, G[5] = g5, G[6] = g6, G[7] = g7;
  for (let j = 0; j < f; j++) acc[j] = G[j];
  acc[f] = gb;
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
  return Math.fround(squaredErrorSum(x, y, features, idx, from, to, p, 0) / (to - from));
}

/**
 * `sum` plus the squared errors over idx[from..to), added one after another: a loss summed in
 * pieces (the board's time slices) is bit for bit the loss of one pass.
 */
export function squaredErrorSum(
  x: Float32Array,
  y: Float32Array,
  features: number,
  idx: Uint32Array,
  from: number,
  to: number,
  p: Float32Array,
  sum: number,
): number {
  if (features !== 1) return squaredErrorMany(x, y, features, idx, from, to, p, sum);
  const w = p[0];
  const b = p[1];
  let s = sum;
  for (let k = from; k < to; k++) {
    const i = idx[k];
    const r = w * x[i] + b - y[i];
    s += r * r;
  }
  return s;
}

function squaredErrorMany(x: Float32Array, y: Float32Array, f: number, idx: Uint32Array, from: number, to: number, p: Float32Array, start: number): number {
  loadWeights(p, f);
  const w0 = W[0], w1 = W[1], w2 = W[2], w3 = W[3], w4 = W[4], w5 = W[5], w6 = W[6], w7 = W[7];
  const b = p[f];
  let sum = start;
  for (let k = from; k < to; k++) {
    const i = idx[k];
    const row = i * f;
    let pred = b + w0 * x[row] + w1 * x[row + 1];
    terms: {
      if (f < 3) break terms;
      pred += w2 * x[row + 2];
      if (f < 4) break terms;
      pred += w3 * x[row + 3];
      if (f < 5) break terms;
      pred += w4 * x[row + 4];
      if (f < 6) break terms;
      pred += w5 * x[row + 5];
      if (f < 7) break terms;
      pred += w6 * x[row + 6];
      if (f < 8) break terms;
      pred += w7 * x[row + 7];
    }
    const r = pred - y[i];
    sum += r * r;
  }
  return sum;
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
  if (features !== 1) return sgdMany(x, y, features, idx, from, to, p, lr);
  let w = p[0];
  let b = p[1];
  let k = from;
  while (k < to) {
    const i = idx[k++];
    const xi = x[i];
    const r = w * xi + b - y[i];
    // r·(2·x) is (2·r)·x exactly (doubling is exact), but 2·x does not wait for r: one multiply
    // less on the chain from one sample's update to the next sample's prediction.
    w = Math.fround(w - lr * Math.fround(r * (2 * xi)));
    b = Math.fround(b - lr * Math.fround(2 * r));
    if (w - w !== 0 || b - b !== 0) break;
  }
  p[0] = w;
  p[1] = b;
  return k - from;
}

function sgdMany(x: Float32Array, y: Float32Array, f: number, idx: Uint32Array, from: number, to: number, p: Float32Array, lr: number): number {
  loadWeights(p, f);
  let w0 = W[0], w1 = W[1], w2 = W[2], w3 = W[3], w4 = W[4], w5 = W[5], w6 = W[6], w7 = W[7];
  let b = p[f];
  let k = from;
  while (k < to) {
    const i = idx[k++];
    const row = i * f;
    const x0 = x[row];
    const x1 = x[row + 1];
    let pred = b + w0 * x0 + w1 * x1;
    terms: {
      if (f < 3) break terms;
      pred += w2 * x[row + 2];
      if (f < 4) break terms;
      pred += w3 * x[row + 3];
      if (f < 5) break terms;
      pred += w4 * x[row + 4];
      if (f < 6) break terms;
      pred += w5 * x[row + 5];
      if (f < 7) break terms;
      pred += w6 * x[row + 6];
      if (f < 8) break terms;
      pred += w7 * x[row + 7];
    }
    const r = pred - y[i];
    // r·(2·x), as in sgdPerSample: 2·x is ready before r is.
    w0 = Math.fround(w0 - lr * Math.fround(r * (2 * x0)));
    w1 = Math.fround(w1 - lr * Math.fround(r * (2 * x1)));
    updates: {
      if (f < 3) break updates;
      w2 = Math.fround(w2 - lr * Math.fround(r * (2 * x[row + 2])));
      if (f < 4) break updates;
      w3 = Math.fround(w3 - lr * Math.fround(r * (2 * x[row + 3])));
      if (f < 5) break updates;
      w4 = Math.fround(w4 - lr * Math.fround(r * (2 * x[row + 4])));
      if (f < 6) break updates;
      w5 = Math.fround(w5 - lr * Math.fround(r * (2 * x[row + 5])));
      if (f < 7) break updates;
      w6 = Math.fround(w6 - lr * Math.fround(r * (2 * x[row + 6])));
      if (f < 8) break updates;
      w7 = Math.fround(w7 - lr * Math.fround(r * (2 * x[row + 7])));
    }
    b = Math.fround(b - lr * Math.fround(2 * r));
    // Finite float32 values cannot overflow a double sum: the sum is finite exactly when all are.
    const all = w0 + w1 + w2 + w3 + w4 + w5 + w6 + w7 + b;
    if (all - all !== 0) break;
  }
  W[0] = w0, W[1] = w1, W[2] = w2, W[3] = w3, W[4] = w4, W[5] = w5, W[6] = w6, W[7] = w7;
  for (let j = 0; j < f; j++) p[j] = W[j];
  p[f] = b;
  return k - from;
}
