// The baseline: gradient descent for y = w·x + b written the way a person would write it by hand,
// straight loops over the same Float32Arrays, no engine, no records. It does the same job as the
// engine's Trainer with the same settings: per-sample SGD or full-batch GD from w = 1, b = 0, and
// after every epoch the training MSE at the epoch's final parameters (what each epoch record
// reports), so that the two do the same arithmetic and end at the same parameters.

export interface HandResult {
  w: Float64Array;
  b: number;
  /** Loss after each epoch. */
  losses: Float64Array;
}

function epochLoss(x: Float32Array, y: Float32Array, n: number, f: number, w: Float64Array, b: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let pred = b;
    for (let j = 0; j < f; j++) pred += w[j] * x[i * f + j];
    const r = pred - y[i];
    sum += r * r;
  }
  return sum / n;
}

/** Per-sample SGD: one step per sample, in data order. */
export function handSgd(x: Float32Array, y: Float32Array, n: number, f: number, lr: number, epochs: number): HandResult {
  const w = new Float64Array(f).fill(1);
  let b = 0;
  const losses = new Float64Array(epochs);
  for (let e = 0; e < epochs; e++) {
    for (let i = 0; i < n; i++) {
      let pred = b;
      for (let j = 0; j < f; j++) pred += w[j] * x[i * f + j];
      const r = pred - y[i];
      for (let j = 0; j < f; j++) w[j] -= lr * 2 * r * x[i * f + j];
      b -= lr * 2 * r;
    }
    losses[e] = epochLoss(x, y, n, f, w, b);
  }
  return { w, b, losses };
}

/** Full-batch GD: one step per epoch along the mean gradient. */
export function handGd(x: Float32Array, y: Float32Array, n: number, f: number, lr: number, epochs: number): HandResult {
  const w = new Float64Array(f).fill(1);
  let b = 0;
  const gw = new Float64Array(f);
  const losses = new Float64Array(epochs);
  for (let e = 0; e < epochs; e++) {
    gw.fill(0);
    let gb = 0;
    for (let i = 0; i < n; i++) {
      let pred = b;
      for (let j = 0; j < f; j++) pred += w[j] * x[i * f + j];
      const r = pred - y[i];
      for (let j = 0; j < f; j++) gw[j] += r * x[i * f + j];
      gb += r;
    }
    for (let j = 0; j < f; j++) w[j] -= (lr * 2 * gw[j]) / n;
    b -= (lr * 2 * gb) / n;
    losses[e] = epochLoss(x, y, n, f, w, b);
  }
  return { w, b, losses };
}
