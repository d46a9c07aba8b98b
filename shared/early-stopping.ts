// Early stopping: after `patience` epochs without the monitored loss (validation, or training
// without a split) improving on its best by more than `minDelta`, the run stops and the best
// parameters come back. Epoch 0 counts as the first best.

export interface EarlyStopping {
  patience: number;
  minDelta: number;
  best: number;
  bestLoss: number;
  bestEpoch: number;
  wait: number;
  bestParams: Float32Array;
  bestTheta: Float32Array;
}

export function initEarlyStopping(patience: number, minDelta: number, size: number): EarlyStopping {
  return { patience, minDelta, best: Infinity, bestLoss: NaN, bestEpoch: 0, wait: 0, bestParams: new Float32Array(size), bestTheta: new Float32Array(size) };
}

/** Takes an epoch's result; true when the run should stop now (then call restoreBest). */
export function observeEpoch(s: EarlyStopping, epoch: number, monitored: number, loss: number, params: Float32Array, theta: Float32Array): boolean {
  if (epoch === 0 || monitored < s.best - s.minDelta) {
    s.best = monitored;
    s.bestLoss = loss;
    s.bestEpoch = epoch;
    s.bestParams.set(params);
    s.bestTheta.set(theta);
    s.wait = 0;
    return false;
  }
  return ++s.wait >= s.patience;
}

/** Puts the best parameters back (θ too, when it is a separate array); returns their loss. */
export function restoreBest(s: EarlyStopping, params: Float32Array, theta: Float32Array): number {
  params.set(s.bestParams);
  if (theta !== params) theta.set(s.bestTheta);
  return s.bestLoss;
}
