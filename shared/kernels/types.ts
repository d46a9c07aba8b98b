// What a training kernel works on, and what every kernel offers. The trainer (trainer.ts) owns the
// phases of an epoch; a kernel does the work inside a phase, over a range of samples, so that the
// board can stop after any few milliseconds and go on later. Two sets implement the same signatures:
// reference.ts (readable loops over linear.ts, transforms.ts and each optimizer's update) and
// fast.ts (loops generated for the run's exact shape). The trainer picks one explicitly.
import type { OptimizerOptions, TrainConfig } from '../config.ts';
import type { LinearModel } from '../linear.ts';
import type { AnyOptimizer } from '../optim/index.ts';
import type { TransformChain } from '../transforms.ts';

/** What one step of an update rule works on: the parameters, their gradient, the rule and its state. */
export interface RuleState {
  /** Weights (their locals are named by index), and the bias at index f when `bias`. */
  f: number;
  bias: boolean;
  /** Parameters the optimizer updates: f weights, plus the bias when the model has one. */
  np: number;
  theta: Float32Array;
  /** The gradient handed to the transforms and the rule (f + 1). */
  grad: Float64Array;
  optimizer: AnyOptimizer;
  /** The optimizer's state (init's result). */
  opt: object;
  cfg: OptimizerOptions;
  transforms: TransformChain;
}

/** One step of the rule from the gradient in st.grad (transforms first), at learning rate lr. */
export type Apply = (lr: number) => void;

export interface TrainingState extends RuleState, LinearModel {
  cfg: TrainConfig;
  /** Parameters in the data's own units: θ itself without standardization. */
  params: Float32Array;
  /** Σ r·zⱼ and Σ r of the batch in progress (f + 1). */
  acc: Float64Array;
  /** 1: a step per sample; otherwise samples per batch. */
  batchSize: number;
  /** Samples summed into acc since the last step. */
  inBatch: number;
}

export interface Kernels {
  /**
   * Trains on samples idx[from..to) (from..to themselves when idx is null): a step per sample with
   * batchSize 1, else sums with a step at each batch's end; a batch also ends at poolEnd, the end of
   * this epoch's samples. Sums of a batch cut by `to` carry over to the next call.
   */
  train(idx: Uint32Array | null, from: number, to: number, poolEnd: number, lr: number): void;
  /** sum + Σ (b + w·x − y)² over the samples, at params (the data's units). */
  loss(idx: Uint32Array | null, from: number, to: number, sum: number): number;
  /** The same at θ (without standardization, where θ is params), also adding the gradient sums to acc. */
  lossAndSums(idx: Uint32Array | null, from: number, to: number, sum: number): number;
  /** One optimizer step with the mean gradient of the n samples summed in acc; clears acc. */
  step(n: number, lr: number): void;
}
