// A worker's walk through its shard: batches in order (or reshuffled each pass from the worker's own
// stream), and the gradient of the next batch at a parameter copy, through linear.ts (the model's one
// gradient). A batch ends at the pass's end, as in `host run`, so one worker with the whole set
// visits the samples exactly as `host run` does.
import type { TrainConfig } from '../config.ts';
import { addSums, batchGradient } from '../linear.ts';
import type { Random } from '../random.ts';
import { modelOf, workerRandom, type ParallelSetup } from './setup.ts';

export interface Cursor {
  /** This pass's order of the shard's samples. */
  order: Uint32Array;
  pos: number;
  /** Samples per step: the whole shard for --batch 0. */
  batch: number;
  shuffle: boolean;
  rng: Random;
  /** Passes completed over the shard. */
  passes: number;
}

export function newCursor(s: ParallelSetup, cfg: TrainConfig, k: number): Cursor {
  const shard = s.shards[k];
  const c: Cursor = {
    order: shard.slice(),
    pos: 0,
    batch: cfg.batch === 0 ? shard.length : Math.min(cfg.batch, shard.length),
    shuffle: cfg.shuffle,
    rng: workerRandom(cfg.seed, k),
    passes: 0,
  };
  if (c.shuffle) c.rng.shuffle(c.order, c.order.length);
  return c;
}

/** The size of the next batch (it ends at the pass's end). */
export function nextBatchSize(c: Cursor): number {
  return Math.min(c.batch, c.order.length - c.pos);
}

/**
 * Adds the next batch's sums (Σ r·zⱼ, and Σ r for the bias) at θ into acc and moves past it;
 * returns the batch's size. A new pass starts (reshuffled when asked) after the last batch.
 */
export function addBatchSums(s: ParallelSetup, theta: Float32Array, c: Cursor, acc: Float64Array): number {
  const n = nextBatchSize(c);
  addSums(modelOf(s, theta), c.order, c.pos, c.pos + n, acc, 0);
  c.pos += n;
  if (c.pos === c.order.length) {
    c.pos = 0;
    c.passes++;
    if (c.shuffle) c.rng.shuffle(c.order, c.order.length);
  }
  return n;
}

/** The next batch's mean gradient at θ into g (acc is scratch, left zeroed); returns the batch's size. */
export function batchGradientAt(s: ParallelSetup, theta: Float32Array, c: Cursor, acc: Float64Array, g: Float64Array): number {
  acc.fill(0);
  const n = addBatchSums(s, theta, c, acc);
  batchGradient(acc, s.f, n, g);
  acc.fill(0);
  return n;
}
