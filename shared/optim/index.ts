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

export type { Optimizer } from './types.ts';

const TABLE: Record<OptimizerName, Optimizer<unknown>> = {
  sgd: sgd as Optimizer<unknown>,
  momentum: sgd as Optimizer<unknown>,
  nesterov: sgd as Optimizer<unknown>,
  adagrad: adagrad as Optimizer<unknown>,
  adadelta: adadelta as Optimizer<unknown>,
  rmsprop: rmsprop as Optimizer<unknown>,
  adam: adam as Optimizer<unknown>,
  adamw: adamw as Optimizer<unknown>,
};

export function getOptimizer(name: OptimizerName): Optimizer<unknown> {
  return TABLE[name];
}
