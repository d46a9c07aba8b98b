// What every parallel runner prepares the same way before its workers start: the validation split
// and standardization (exactly as `host run` makes them, so that one worker reproduces it), the
// shards, the starting θ, each worker's own random stream, and the loss a record reports.
//
// Shards (documented in the README):
//   strided (default)  worker k gets the training samples k, k + p, k + 2p, … (in training order),
//                      so every shard sees the whole range of the data;
//   contiguous         p consecutive blocks, the first (N mod p) one sample longer;
//   replicate          every worker gets all N training samples (its own shuffle tells them apart).
import type { TrainConfig } from '../config.ts';
import type { Dataset } from '../dataset.ts';
import { squaredErrorSum, type LinearModel } from '../linear.ts';
import { Random } from '../random.ts';
import { seededSplit, validationCount } from '../split.ts';
import { fitStandardization, fromTheta, identityStandardization, toTheta, type Standardization } from '../standardize.ts';
import type { ParallelConfig } from './options.ts';

export interface ParallelSetup {
  x: Float32Array;
  y: Float32Array;
  f: number;
  bias: boolean;
  /** Parameters that move: f weights, and the bias when there is one (θ has f + 1 either way). */
  np: number;
  trainIdx: Uint32Array;
  nTrain: number;
  valIdx: Uint32Array;
  nVal: number;
  std: Standardization;
  /** Sample indices of each worker's shard. */
  shards: Uint32Array[];
  /** The starting θ (the optimizer's coordinates), and the starting parameters in data units as given. */
  theta0: Float32Array;
  params0: Float32Array;
}

/** SplitMix32's finalizer: a well-mixed 32-bit hash. */
function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * Worker k's own random stream (its shuffles, its jitter), seeded from hash(seed, k): adding a
 * worker leaves the others' streams as they were.
 */
export function workerRandom(seed: number, k: number): Random {
  return new Random(mix32((seed >>> 0) + Math.imul(k + 1, 0x9e3779b9)));
}

export function prepare(ds: Dataset, cfg: TrainConfig, par: ParallelConfig): ParallelSetup {
  const n = ds.n;
  const f = ds.features;
  const nVal = validationCount(n, cfg.valSplit);
  const nTrain = n - nVal;
  const trainIdx = new Uint32Array(nTrain);
  const valIdx = new Uint32Array(Math.max(1, nVal));
  seededSplit(n, nVal, new Random(cfg.seed), trainIdx, valIdx, new Uint32Array(n));
  const std = identityStandardization(f);
  if (cfg.standardize) fitStandardization(std, ds.x, f, trainIdx, nTrain, cfg.bias);

  const p = par.workers;
  const shards: Uint32Array[] = [];
  for (let k = 0; k < p; k++) {
    if (par.replicate) {
      shards.push(trainIdx.slice());
    } else if (par.shards === 'strided') {
      const s = new Uint32Array(Math.floor((nTrain - k + p - 1) / p));
      for (let i = 0; i < s.length; i++) s[i] = trainIdx[k + i * p];
      shards.push(s);
    } else {
      const base = Math.floor(nTrain / p);
      const extra = nTrain % p;
      const from = k * base + Math.min(k, extra);
      shards.push(trainIdx.slice(from, from + base + (k < extra ? 1 : 0)));
    }
  }

  // The starting parameters as the Trainer makes them (kept apart from it: on the board every
  // function costs heap; test/parallel/cluster.test.ts checks that epoch 0 is host run's epoch 0).
  const params = new Float32Array(f + 1);
  for (let j = 0; j < f; j++) params[j] = cfg.initW.length === 1 ? cfg.initW[0] : cfg.initW[j];
  params[f] = cfg.bias ? cfg.initB : 0;
  const theta0 = new Float32Array(f + 1);
  toTheta(std, f, params, theta0);
  return { x: ds.x, y: ds.y, f, bias: cfg.bias, np: cfg.bias ? f + 1 : f, trainIdx, nTrain, valIdx, nVal, std, shards, theta0, params0: params };
}

/** The model's view of a parameter copy θ: what linear.ts's gradient functions read. */
export function modelOf(s: ParallelSetup, theta: Float32Array): LinearModel {
  return { x: s.x, y: s.y, f: s.f, bias: s.bias, theta, mean: s.std.mean, scale: s.std.scale };
}

/** θ in the data's units (what records report): `out` gets w[0..f) and b at f. */
export function paramsOf(s: ParallelSetup, theta: Float32Array, out: Float32Array): void {
  fromTheta(s.std, s.f, theta, out, s.bias);
}

/** The float32 MSE of the data-unit parameters `params` over idx[0..n), as a training record reports it. */
export function meanLoss(s: ParallelSetup, params: Float32Array, idx: Uint32Array, n: number): number {
  return Math.fround(squaredErrorSum(s.x, s.y, s.f, s.bias, params, idx, 0, n, 0) / n);
}
