// Optimizer names → their init/update pair. `momentum` and `nesterov` are SGD; their defaults
// (momentum 0.9, nesterov) live in config.ts with every other default.
import type { OptimizerName } from '../config.ts';
import { adadelta } from './adadelta.ts';
import { adagrad } from './adagrad.ts';
import { adam } from './adam.ts';
import { adamw } from './adamw.ts';
import { rmsprop } from './rmsprop.ts';
import { sgd } from './sgd.ts';
import type { Optimizer } from './types.ts';

export type { Optimizer, Reference, RuleCode } from './types.ts';

/** Any optimizer: its state is opaque to the trainer, which only hands it back to the same optimizer. */
export type AnyOptimizer = Optimizer<object>;

const TABLE: Record<OptimizerName, AnyOptimizer> = {
  sgd,
  momentum: sgd,
  nesterov: sgd,
  adagrad,
  adadelta,
  rmsprop,
  adam,
  adamw,
};

export function getOptimizer(name: OptimizerName): AnyOptimizer {
  return TABLE[name];
}
