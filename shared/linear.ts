// The linear model y = w·x + b and its squared error, as plain readable loops: the reference that
// the generated kernels (kernels/fast.ts) must match bit for bit. Samples are visited through an
// index list (`idx[from..to)`, or the samples from..to themselves when idx is null), which is how
// batches, shuffling, validation splits and curricula all share one loop. Sums run in double.
//
// The model sees standardized features z = (x − mean) / scale (standardize.ts); without
// standardization mean is 0 and scale 1, and z is x exactly. The prediction adds in one fixed order,
// b + θ₀z₀ + θ₁z₁ + …, and without a bias there is no b term at all (not even + 0, which would turn a
// −0 into 0), so that every kernel gives the very same bits.

/** What the model reads: data, parameters in the optimizer's coordinates, and the feature map. */
export interface LinearModel {
  x: Float32Array;
  y: Float32Array;
  /** Features per sample. */
  f: number;
  bias: boolean;
  /** θ[0..f) weights, θ[f] the bias (0 without one). */
  theta: Float32Array;
  mean: Float64Array;
  scale: Float64Array;
}

/** The residual r = b + θ·z − y of sample i. */
export function residual(m: LinearModel, i: number): number {
  const { x, theta, mean, scale, f } = m;
  let pred = theta[0] * ((x[i * f] - mean[0]) / scale[0]);
  if (m.bias) pred = theta[f] + pred;
  for (let j = 1; j < f; j++) pred += theta[j] * ((x[i * f + j] - mean[j]) / scale[j]);
  return pred - m.y[i];
}

/** Adds Σ r·zⱼ into acc[0..f) and, with a bias, Σ r into acc[f] over the samples; returns sum + Σ r². */
export function addSums(m: LinearModel, idx: Uint32Array | null, from: number, to: number, acc: Float64Array, sum: number): number {
  const { x, mean, scale, f } = m;
  for (let k = from; k < to; k++) {
    const i = idx === null ? k : idx[k];
    const r = residual(m, i);
    for (let j = 0; j < f; j++) acc[j] += r * ((x[i * f + j] - mean[j]) / scale[j]);
    if (m.bias) acc[f] += r;
    sum += r * r;
  }
  return sum;
}

/** The gradient of one sample's squared error: gⱼ = 2r·zⱼ, g_b = 2r (g[f] is left alone without a bias). */
export function sampleGradient(m: LinearModel, i: number, g: Float64Array): void {
  const { x, mean, scale, f } = m;
  const r2 = 2 * residual(m, i);
  for (let j = 0; j < f; j++) g[j] = r2 * ((x[i * f + j] - mean[j]) / scale[j]);
  if (m.bias) g[f] = r2;
}

/** The mean gradient of n samples from their sums: g = acc · 2/n. */
export function batchGradient(acc: Float64Array, f: number, n: number, g: Float64Array): void {
  const s = 2 / n;
  for (let j = 0; j <= f; j++) g[j] = acc[j] * s;
}

/** sum + Σ (b + w·x − y)² over the samples, at parameters p = [w…, b] in the data's own units. */
export function squaredErrorSum(x: Float32Array, y: Float32Array, f: number, bias: boolean, p: Float32Array, idx: Uint32Array | null, from: number, to: number, sum: number): number {
  for (let k = from; k < to; k++) {
    const i = idx === null ? k : idx[k];
    let pred = p[0] * x[i * f];
    if (bias) pred = p[f] + pred;
    for (let j = 1; j < f; j++) pred += p[j] * x[i * f + j];
    const r = pred - y[i];
    sum += r * r;
  }
  return sum;
}
